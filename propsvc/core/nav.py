"""The app's places and, per role, the five that sit in the phone's bottom bar [issue 16].

One table for everything the navigation shows, read by base.html (the bar and 更多), the home
page (its tiles and their live counts) and the landing after sign-in:

* PLACES: every place, in the order 更多 and the home tiles list them: its full name, the short
  name the bar shows (≤ 3 characters, so five and 更多 fit 360 px at 16 px), the pages that belong
  to it (so a ticket's page still shows where one is). What waits there (its tile shows 待派单 3,
  今日巡查 2/5 …) is counted by the place's area, registered for the extension point
  core.hooks.place_counts(endpoint) in the app factory: core names no area module.
* BAR: per role, at most five places, in the bar's order. Everything else the person may open
  is under 更多. A place is shown only to those its route lets in (can(endpoint)), so there is no
  second list of roles here: a bar place a role may not open simply does not show.
* LANDING: where a role's day starts instead of 首页 (今日 for a steward, the gate for a guard).

A person holding several roles gets the bar of the first of them in PRIMARY (on the shared
front-desk kiosk, the desk's)."""
from dataclasses import dataclass, field
from typing import Callable

from . import hooks
from .roles import Role


@dataclass(frozen=True)
class Place:
    endpoint: str
    label: str                              # full name: 更多, tiles, page titles
    short: str = ""                         # the bar's name (≤ 3 characters); default label
    owns: tuple[str, ...] = ()              # endpoints of its pages; "area." = the whole area

    @property
    def bar_label(self) -> str:
        return self.short or self.label


PLACES: tuple[Place, ...] = (
    Place("core.home", "首页"),
    Place("patrols.today", "今日", owns=("patrols.summary",)),
    Place("patrols.start", "巡查", owns=("patrols.run", "patrols.photo", "patrols.checkpoint")),
    Place("tickets.mine", "我的工单", "工单", owns=("tickets.",)),
    Place("tickets.new", "新建工单", "新工单"),
    Place("tickets.queue", "派单队列", "派单", owns=("tickets.",)),
    Place("registry.search", "房屋查询", "房屋", owns=("registry.",)),
    Place("renovation.gate", "门岗查验", "门岗", owns=("renovation.gate_check",)),
    Place("frontdesk.visitors", "访客", owns=("frontdesk.",)),
    Place("slips.index", "放行条", owns=("slips.",)),
    Place("errands.index", "代办", owns=("errands.",)),
    Place("handover.index", "交房", owns=("handover.",)),
    Place("renovation.index", "装修", owns=("renovation.",)),
    Place("renovation.board", "装修动态", "动态", owns=("renovation.board_pdf",)),
    Place("renovation.worker_list", "装修缴费", "缴费", owns=("renovation.worker_new", "renovation.workers")),
    Place("notices.index", "公告", owns=("notices.",)),
    Place("events.index", "社区活动", "活动", owns=("events.",)),
    Place("fees.round", "今日催费", "催费", owns=("fees.contact",)),
    Place("fees.arrears_list", "欠费清单", "欠费", owns=("fees.arrears_xlsx", "fees.notices", "fees.notices_pdf",
                                                  "fees.unit", "fees.pay", "fees.reverse")),
    Place("fees.index", "收费", owns=("fees.",)),
    Place("tickets.analysis", "统计分析", "统计", owns=("tickets.analysis_csv",)),
    Place("patrols.briefing", "早会", owns=("patrols.briefing_pdf", "patrols.summaries", "patrols.summary_show")),
    Place("patrols.records", "巡查记录", "记录", owns=("patrols.records_csv",)),
    Place("assessment.index", "管家考核", "考核", owns=("assessment.",)),
    Place("patrols.admin", "巡查设置", owns=("patrols.admin_item", "patrols.plans", "patrols.checkpoints",
                                          "patrols.checkpoint_pdf")),
    Place("tickets.settings", "工单设置", "设置"),
    Place("admin.users", "员工账号", "员工", owns=("admin.",)),
    Place("privacy.audit", "号码查看记录", "号码记录", owns=("privacy.audit_csv",)),
    Place("privacy.covers", "代班"),
    Place("admin.import_units", "导入房屋", "导入", owns=("admin.import_example",)),
)
BY_ENDPOINT: dict[str, Place] = {p.endpoint: p for p in PLACES}

MAX_BAR = 5

BAR: dict[str, tuple[str, ...]] = {
    Role.STEWARD: ("patrols.today", "patrols.start", "tickets.mine", "tickets.new", "registry.search"),
    Role.FRONT_DESK: ("core.home", "tickets.new", "tickets.queue", "frontdesk.visitors", "errands.index"),
    Role.SUPERVISOR: ("core.home", "tickets.queue", "patrols.today", "patrols.briefing", "tickets.analysis"),
    Role.MANAGER: ("core.home", "tickets.queue", "slips.index", "renovation.index", "tickets.analysis"),
    Role.TECHNICIAN: ("core.home", "tickets.mine", "renovation.index", "renovation.board", "notices.index"),
    Role.GUARD: ("renovation.gate", "frontdesk.visitors", "slips.index", "registry.search", "notices.index"),
    Role.FINANCE: ("core.home", "renovation.worker_list", "renovation.index", "errands.index", "registry.search"),
    Role.ADMIN: ("core.home", "admin.users", "admin.import_units", "tickets.settings", "tickets.analysis"),
}

# Whose bar a person with several roles gets: the first of theirs here (field work first, as
# the landing: a steward who also leads still starts at 今日). On the kiosk the desk comes first.
PRIMARY: tuple[str, ...] = (Role.STEWARD, Role.GUARD, Role.TECHNICIAN, Role.FRONT_DESK, Role.SUPERVISOR,
                            Role.MANAGER, Role.FINANCE, Role.ADMIN)
KIOSK_PRIMARY: tuple[str, ...] = (Role.FRONT_DESK, Role.SUPERVISOR)

# Where a role's day starts (off the kiosk): 首页 sends them on; /?all=1 still shows 首页.
LANDING: tuple[tuple[str, str], ...] = ((Role.STEWARD, "patrols.today"), (Role.GUARD, "renovation.gate"))


def primary_role(roles, on_kiosk: bool = False) -> str | None:
    order = (KIOSK_PRIMARY + PRIMARY) if on_kiosk else PRIMARY
    return next((r for r in order if r in roles), None)


def landing(roles, on_kiosk: bool, installed: Callable[[str], bool]) -> str | None:
    """The endpoint a person with `roles` starts on instead of 首页, or None (首页 itself)."""
    if on_kiosk:
        return None
    return next((endpoint for role, endpoint in LANDING if role in roles and installed(endpoint)), None)


@dataclass
class Nav:
    bar: list[Place]
    more: list[Place]
    current: Place | None = None
    current_exact: bool = False   # the page is the place itself (aria-current="page"), not one of its pages

    @property
    def current_in_more(self) -> bool:
        return self.current is not None and self.current in self.more


def _claim(place: Place, endpoint: str) -> int:
    """How closely `endpoint` belongs to `place`: 3 itself, 2 one of its pages, 1 its area, 0 not."""
    if endpoint == place.endpoint:
        return 3
    if endpoint in place.owns:
        return 2
    if any(o.endswith(".") and endpoint.startswith(o) for o in place.owns):
        return 1
    return 0


def nav_for(roles, endpoint: str | None, can: Callable[[str], bool], on_kiosk: bool = False) -> Nav:
    """The bar and 更多 for a person with `roles` on the page `endpoint`: the primary role's bar
    places they may open, then everything else they may open under 更多 (without 首页 when 首页
    only sends them on to their landing page), and the place the page belongs to."""
    role = primary_role(roles, on_kiosk)
    bar_endpoints = BAR.get(role, ())[:MAX_BAR]
    skip = set()
    if landing(roles, on_kiosk, can) is not None:
        skip.add("core.home")
    bar = [BY_ENDPOINT[e] for e in bar_endpoints if e not in skip and can(e)]
    more = [p for p in PLACES if p not in bar and p.endpoint not in skip and can(p.endpoint)]
    current, best = None, (0, False)
    for p in bar + more:
        score = (_claim(p, endpoint or ""), p in bar)
        if score[0] and score > best:
            current, best = p, score
    return Nav(bar=bar, more=more, current=current, current_exact=best[0] == 3)


# --- the home tiles' live counts ---------------------------------------------------------

@dataclass(frozen=True)
class Count:
    label: str       # 待派单
    value: str       # "3", "2/5"
    zero: bool       # nothing waiting (shown quieter)


def count_of(place: Place, user, community_id: int) -> Count | None:
    """What waits at `place` for `user`, from the area's own service (scoped as its page is):
    the answer to core.hooks.place_counts(endpoint), None when no area counts there."""
    got = hooks.first(hooks.place_counts(place.endpoint), user, community_id)
    if got is None:
        return None
    label, value = got
    if isinstance(value, tuple):  # (done, of): 今日巡查 2/5
        return Count(label, f"{value[0]}/{value[1]}", zero=value[0] >= value[1])
    return Count(label, str(value), zero=not value)


@dataclass
class Tile:
    place: Place
    count: Count | None = field(default=None)


def tiles_for(user, community_id: int, can: Callable[[str], bool], installed: Callable[[str], bool],
              leave_out=()) -> list[Tile]:
    """首页's tiles: every place but 首页 the person may open, each with its live count."""
    return [Tile(p, count_of(p, user, community_id) if installed(p.endpoint) else None)
            for p in PLACES if p.endpoint != "core.home" and p.endpoint not in leave_out and can(p.endpoint)]
