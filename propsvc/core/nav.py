"""The app's places, in the order the top navigation and the home page's tiles show them.
Each is shown only to those its route lets in (`can(endpoint)` in templates), so there is no
second list of roles here."""

NAV: tuple[tuple[str, str], ...] = (
    ("core.home", "首页"),
    ("patrols.today", "今日"),
    ("patrols.start", "巡查"),
    ("tickets.mine", "我的工单"),
    ("tickets.new", "新建工单"),
    ("tickets.queue", "派单队列"),
    ("registry.search", "房屋查询"),
    ("renovation.gate", "门岗查验"),
    ("frontdesk.visitors", "访客"),
    ("slips.index", "放行条"),
    ("errands.index", "代办"),
    ("renovation.index", "装修"),
    ("renovation.board", "装修动态"),
    ("renovation.worker_list", "装修缴费"),
    ("notices.index", "公告"),
    ("tickets.analysis", "统计分析"),
    ("patrols.briefing", "早会"),
    ("patrols.records", "巡查记录"),
    ("patrols.admin", "巡查设置"),
    ("tickets.settings", "工单设置"),
    ("admin.users", "员工账号"),
    ("privacy.audit", "号码查看记录"),
    ("privacy.covers", "代班"),
    ("admin.import_units", "导入房屋"),
)
