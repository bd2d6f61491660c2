"""Ticket analysis [T8]: counts with SVG bars, time to resolve, deadlines kept, satisfaction,
recurring places, the same problem in the same stack, and the CSV export [T9]; through the
web interface on a real database."""
import csv
import io
import re
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from propsvc.auth.models import User
from propsvc.extensions import db
from propsvc.tickets import services
from propsvc.tickets.models import Ticket
from test_tickets import client_for, site  # noqa: F401

SH = ZoneInfo("Asia/Shanghai")


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def new_ticket(app, site, at, *, unit=None, building=None, location=None, category="水电气维修",  # noqa: F811
               kind="repair", urgency="normal", description="卫生间漏水", reply_due=None, reporter_phone=None):
    """A ticket created at `at` through the service, as the front desk; returns its id."""
    if unit is None and building is None and location is None:
        unit = site["unit"]
    with app.app_context():
        actor = db.session.get(User, site["users"]["front_desk"].id)
        t = services.create_ticket(site["community"].id, services.Intake(
            kind=kind, channel="phone", category_id=site["cats"][category], urgency=urgency,
            description=description, unit_id=unit.id if unit else None,
            building_id=building.id if building else None, location=location, reply_due=reply_due,
            reporter_phone=reporter_phone), actor, now=at)
        db.session.commit()
        return t.id


def act(app, ticket_id, name, user, *args, **kw):
    """Run one step function of services on the ticket, as `user`, and commit."""
    with app.app_context():
        t = db.session.get(Ticket, ticket_id)
        getattr(services, name)(t, db.session.get(User, user.id), *args, **kw)
        db.session.commit()


def resolved_ticket(app, site, created, resolved, assignee="technician", **kw):  # noqa: F811
    """A ticket created at `created`, dispatched and accepted, resolved at `resolved`."""
    tid = new_ticket(app, site, created, **kw)
    tech = site["users"][assignee]
    act(app, tid, "dispatch", site["users"]["supervisor"], site["eng"], tech.id, now=created + timedelta(minutes=1))
    act(app, tid, "accept", tech, now=created + timedelta(minutes=2))
    act(app, tid, "resolve", tech, "已处理", now=resolved)
    return tid


def serial(app, ticket_id):
    with app.app_context():
        return db.session.get(Ticket, ticket_id).serial


def section(html, ident):
    m = re.search(rf'<section[^>]*id="{ident}"[^>]*>(.*?)</section>', html, re.S)
    assert m, f"section {ident} missing"
    return m.group(1)


def text_of(fragment):
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", fragment))


def page(client, **args):
    resp = client.get("/tickets/analysis", query_string=args)
    assert resp.status_code == 200, resp.status_code
    return resp.get_data(as_text=True)


# --- access ----------------------------------------------------------------------------------

def test_t8_analysis_and_export_are_for_supervisors_managers_and_admins(app, site, make):  # noqa: F811
    for role in ("steward", "front_desk", "technician", "guard"):
        c = client_for(app, site["users"][role])
        assert c.get("/tickets/analysis").status_code == 403
        assert c.get("/tickets/analysis.csv").status_code == 403
    admin = make.user("admin", communities=[site["community"]])
    for user in (site["users"]["supervisor"], site["users"]["manager"], admin):
        c = client_for(app, user)
        assert c.get("/tickets/analysis").status_code == 200
        assert c.get("/tickets/analysis.csv").status_code == 200


def test_t8_other_communities_tickets_are_not_counted(clock, app, site, make):  # noqa: F811
    other = make.community()
    ob = make.building(other, "3")
    ou = make.unit(ob, 2, "1201")
    with app.app_context():
        services.ensure_defaults(other.id)
        actor = db.session.get(User, site["users"]["front_desk"].id)
        cat = services.categories(other.id)[0]
        services.create_ticket(other.id, services.Intake(kind="repair", channel="phone", category_id=cat.id,
                               urgency="normal", description="别的小区", unit_id=ou.id), actor)
        db.session.commit()
    new_ticket(app, site, utc_now() - timedelta(days=1))
    html = page(client_for(app, site["users"]["manager"]))
    assert "1 单，已完成 0 单" in html
    csv_text = client_for(app, site["users"]["manager"]).get("/tickets/analysis.csv").get_data(as_text=True)
    assert "别的小区" not in csv_text and len(list(csv.reader(io.StringIO(csv_text)))) == 2


# --- counts and bars -------------------------------------------------------------------------

def test_t8_counts_by_category_building_urgency_and_kind_as_svg_bars(clock, app, site, make):  # noqa: F811
    b5 = make.building(site["community"], "5")
    at = utc_now() - timedelta(days=2)
    for _ in range(3):
        new_ticket(app, site, at, category="水电气维修")
    new_ticket(app, site, at, category="电梯故障", building=b5, urgency="urgent")
    new_ticket(app, site, at, category="电梯故障", building=b5, location="2单元电梯", urgency="urgent")
    new_ticket(app, site, at, category="环境卫生", location="北门垃圾站", kind="complaint", urgency="low")
    html = page(client_for(app, site["users"]["supervisor"]))
    assert "6 单" in html

    cats = section(html, "by-category")
    assert cats.count("<svg") == 1
    assert cats.count('<rect class="bar"') == 3  # one bar per category with tickets
    labels = re.findall(r'<text[^>]*>([^<]+?) <tspan[^>]*>(\d+)</tspan>', cats)
    assert labels == [("水电气维修", "3"), ("电梯故障", "2"), ("环境卫生", "1")]  # most first
    widths = [float(w) for w in re.findall(r'<rect class="bar"[^>]*width="([\d.]+)%"', cats)]
    assert widths[0] == 90.0 and widths[1] == 60.0 and widths[2] == 30.0

    buildings = re.findall(r'<text[^>]*>([^<]+?) <tspan[^>]*>(\d+)</tspan>', section(html, "by-building"))
    assert buildings == [("3栋", "3"), ("5栋", "2"), ("未指定楼栋", "1")]
    urgency = re.findall(r'<text[^>]*>([^<]+?) <tspan[^>]*>(\d+)</tspan>', section(html, "by-urgency"))
    assert urgency == [("紧急", "2"), ("一般", "3"), ("非紧急", "1")]
    kinds = re.findall(r'<text[^>]*>([^<]+?) <tspan[^>]*>(\d+)</tspan>', section(html, "by-kind"))
    assert kinds == [("投诉", "1"), ("报修", "5")]
    # The CSP forbids inline styles and scripts: the chart uses SVG attributes only.
    assert " style=" not in html and "<style" not in html
    assert re.search(r"<script(?![^>]*\bsrc=)", html) is None


def test_t8_filters_by_kind_category_and_building(clock, app, site, make):  # noqa: F811
    b5 = make.building(site["community"], "5")
    at = utc_now() - timedelta(days=1)
    new_ticket(app, site, at)
    new_ticket(app, site, at, building=b5, category="电梯故障")
    new_ticket(app, site, at, building=b5, category="电梯故障", kind="complaint")
    sup = client_for(app, site["users"]["supervisor"])
    assert "3 单" in page(sup)
    assert "2 单" in page(sup, building_id=b5.id)
    assert "1 单" in page(sup, building_id=b5.id, kind="complaint")
    assert "1 单" in page(sup, category_id=site["cats"]["水电气维修"])
    rows = list(csv.reader(io.StringIO(sup.get("/tickets/analysis.csv", query_string={
        "building_id": b5.id, "kind": "repair"}).get_data(as_text=True))))
    assert len(rows) == 2 and rows[1][2] == "报修" and rows[1][4] == "电梯故障"


def test_t8_date_range_is_in_shanghai_days(app, site):  # noqa: F811
    before = new_ticket(app, site, datetime(2026, 2, 28, 23, 59, tzinfo=SH))
    late_evening = new_ticket(app, site, datetime(2026, 3, 1, 23, 30, tzinfo=SH))  # 15:30 UTC
    after_midnight = new_ticket(app, site, datetime(2026, 3, 2, 0, 10, tzinfo=SH))  # 16:10 UTC on 03-01
    sup = client_for(app, site["users"]["supervisor"])
    assert "1 单" in page(sup, start="2026-03-01", end="2026-03-01")
    text = sup.get("/tickets/analysis.csv", query_string={"start": "2026-03-01", "end": "2026-03-01"}) \
        .get_data(as_text=True)
    assert serial(app, late_evening) in text
    assert serial(app, after_midnight) not in text and serial(app, before) not in text
    assert "2026-03-01 23:30" in text  # created, in local time
    assert "3 单" in page(sup, start="2026-02-28", end="2026-03-02")


def test_t8_default_range_is_the_last_30_days(clock, app, site):  # noqa: F811
    new_ticket(app, site, utc_now() - timedelta(days=29))
    new_ticket(app, site, utc_now() - timedelta(days=31))
    html = page(client_for(app, site["users"]["supervisor"]))
    today = datetime.now(SH).date()
    assert f'name="start" type="date" value="{(today - timedelta(days=29)).isoformat()}"' in html
    assert f'name="end" type="date" value="{today.isoformat()}"' in html
    assert "1 单" in html


def test_t8_bad_filters_fall_back_with_a_message(app, site):  # noqa: F811
    sup = client_for(app, site["users"]["supervisor"])
    html = page(sup, start="yesterday", kind="bogus", category_id="999999", building_id="9" * 30)
    assert "日期格式不正确" in html and "类型不正确" in html and "类别不正确" in html and "楼栋不正确" in html
    html = page(sup, start="2026-03-10", end="2026-03-01")
    assert "已对调" in html and 'value="2026-03-01"' in html
    html = page(sup, start="2020-01-01", end="2026-03-01")
    assert "最长366天" in html
    assert "日期格式不正确" in page(sup, start="0001-01-01", end="9999-12-31")


def test_t8_htmx_filter_gets_only_the_results(clock, app, site):  # noqa: F811
    new_ticket(app, site, utc_now() - timedelta(days=1))
    resp = client_for(app, site["users"]["supervisor"]).get("/tickets/analysis", headers={"HX-Request": "true"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and html.lstrip().startswith('<div id="results">')
    assert "<html" not in html and '<rect class="bar"' in html


def test_t8_empty_range_says_so(app, site):  # noqa: F811
    html = page(client_for(app, site["users"]["supervisor"]))
    assert "所选范围内没有工单" in html and "<svg" not in html


# --- time to resolve, deadlines, satisfaction -------------------------------------------------

def test_t8_median_time_to_resolve_in_hours(clock, app, site):  # noqa: F811
    base = utc_now() - timedelta(days=5)
    resolved_ticket(app, site, base, base + timedelta(hours=2))
    resolved_ticket(app, site, base, base + timedelta(hours=5, minutes=12))
    resolved_ticket(app, site, base, base + timedelta(hours=30))
    new_ticket(app, site, base)  # not resolved: not in the median
    html = page(client_for(app, site["users"]["manager"]))
    assert "中位数 5.2 小时" in html
    assert "4 单，已完成 3 单" in html


def test_t8_share_within_deadline(clock, app, site):  # noqa: F811
    """Resolved by the deadline counts; a delay's new expected time is no excuse; an open ticket
    past its deadline counts as late; paused, closed-unresolved and not-yet-due ones do not count."""
    base = utc_now() - timedelta(days=3)
    tech, sup = site["users"]["technician"], site["users"]["supervisor"]
    on_time = resolved_ticket(app, site, base, base + timedelta(hours=3), urgency="urgent")  # due base+4h
    act(app, on_time, "return_visit", site["users"]["steward"], 5, "fixed", None, now=base + timedelta(days=1))

    delayed = new_ticket(app, site, base, urgency="urgent")
    act(app, delayed, "dispatch", sup, site["eng"], tech.id, now=base + timedelta(minutes=5))
    act(app, delayed, "accept", tech, now=base + timedelta(minutes=10))
    act(app, delayed, "delay", tech, "等待配件", base + timedelta(hours=8), True, now=base + timedelta(hours=1))
    act(app, delayed, "resolve", tech, "已更换", now=base + timedelta(hours=6))  # before expected, after due

    new_ticket(app, site, base, urgency="urgent")  # still open, long past due
    paused = new_ticket(app, site, base, urgency="urgent")
    act(app, paused, "pause", sup, "业主出差，约定下周上门", None, now=base + timedelta(hours=1))
    closed = new_ticket(app, site, base, urgency="urgent")
    act(app, closed, "close", sup, "重复登记", now=base + timedelta(hours=1))
    new_ticket(app, site, utc_now() - timedelta(minutes=5), urgency="urgent")  # not due yet

    html = page(client_for(app, sup))
    summary = text_of(re.search(r'<dl class="card facts summary">(.*?)</dl>', html, re.S).group(1))
    assert "33%" in summary
    assert "按时 1 / 3 单，超时完成 1，超时未完成 1" in summary


def test_t8_average_satisfaction_of_visited_tickets(clock, app, site):  # noqa: F811
    base = utc_now() - timedelta(days=4)
    steward = site["users"]["steward"]
    for score, outcome in ((4, "fixed"), (5, "partly"), (2, "not_fixed")):
        tid = resolved_ticket(app, site, base, base + timedelta(hours=3))
        act(app, tid, "return_visit", steward, score, outcome, None, now=base + timedelta(days=1))
    resolved_ticket(app, site, base, base + timedelta(hours=3))  # not visited yet
    html = page(client_for(app, site["users"]["supervisor"]))
    # The unsatisfied visit reopened its ticket; it still counts until a new visit replaces it.
    assert "平均 3.7 分" in html and "回访 3 单" in html


def test_t8_satisfaction_counts_the_latest_visit_once_per_ticket(clock, app, site):  # noqa: F811
    base = utc_now() - timedelta(days=4)
    steward, tech = site["users"]["steward"], site["users"]["technician"]
    tid = resolved_ticket(app, site, base, base + timedelta(hours=3))
    act(app, tid, "return_visit", steward, 1, "not_fixed", None, now=base + timedelta(days=1))
    act(app, tid, "accept", tech, now=base + timedelta(days=1, hours=1))
    act(app, tid, "resolve", tech, "重新处理", now=base + timedelta(days=1, hours=3))
    act(app, tid, "return_visit", steward, 5, "fixed", None, now=base + timedelta(days=2))
    html = page(client_for(app, site["users"]["supervisor"]))
    assert "平均 5.0 分" in html and "回访 1 单" in html


def test_a5_period_figures_agree_with_the_analysis(clock, app, site):  # noqa: F811
    """The monthly report's ticket figures (stats.period_figures, one query) count what the
    analysis page (stats.analyse) counts: totals by kind and category, the share within the
    deadline, the average satisfaction; and its own averages and reopen share."""
    from datetime import date

    from propsvc.tickets import stats

    base = utc_now() - timedelta(days=3)
    tech, sup, steward = site["users"]["technician"], site["users"]["supervisor"], site["users"]["steward"]
    on_time = resolved_ticket(app, site, base, base + timedelta(hours=3), urgency="urgent")
    act(app, on_time, "return_visit", steward, 4, "fixed", None, now=base + timedelta(days=1))
    late = resolved_ticket(app, site, base, base + timedelta(hours=30), category="电梯故障")  # late
    act(app, late, "return_visit", steward, 1, "not_fixed", None, now=base + timedelta(days=2))  # reopens it
    new_ticket(app, site, base, urgency="urgent", kind="complaint", category="环境卫生")  # open, past due
    new_ticket(app, site, base + timedelta(hours=1), category="电梯故障")
    with app.app_context():
        today = datetime.now(SH).date()
        f = stats.Filters(start=date(today.year, 1, 1) if today.month > 1 else today - timedelta(days=40), end=today)
        a, p = stats.analyse(site["community"].id, f), stats.period_figures(site["community"].id, f)
    assert p.total == a.total == 4
    assert p.by_kind == a.by_kind and p.by_category == a.by_category
    assert [b.label for b in p.by_category] == ["电梯故障", "水电气维修", "环境卫生"]
    assert p.on_time_share == a.on_time_share and 0 < p.on_time_share < 1  # which are due: the moment's
    assert p.avg_satisfaction == a.avg_satisfaction == 2.5
    assert p.reopen_share == 0.25
    assert round(p.avg_response_hours * 60) == 2  # created → accepted: 2 minutes, for the two accepted
    assert p.avg_resolve_hours == 3.0  # the reopened one is no longer resolved


# --- recurring places and stacks --------------------------------------------------------------

def test_t8_recurring_place_needs_three_tickets_in_30_days(clock, app, site, make):  # noqa: F811
    now = utc_now()
    b = site["building"]
    for days in (20, 10, 1):
        new_ticket(app, site, now - timedelta(days=days))  # 3栋2单元1201: three in 30 days
    for days in (5, 2):
        new_ticket(app, site, now - timedelta(days=days), unit=site["neighbour"])  # 1101: only two
    for days in (15, 8, 3):  # a common area: building + location text
        new_ticket(app, site, now - timedelta(days=days), building=b, location="地下车库 入口",
                   category="环境卫生")
    new_ticket(app, site, now - timedelta(days=4), building=b, location="大堂", category="环境卫生")
    spread = make.unit(b, 2, "1001", floor=10)
    for days in (55, 28, 1):  # three tickets, but never three within 30 days
        new_ticket(app, site, now - timedelta(days=days), unit=spread, category="电梯故障")
    sup = client_for(app, site["users"]["supervisor"])

    rec = text_of(section(page(sup), "recurring"))
    assert "3栋2单元1201 · 30 天内 3 单" in rec
    assert "3栋地下车库 入口 · 30 天内 3 单" in rec and "环境卫生" in rec
    assert "1101" not in rec and "大堂" not in rec and "1001" not in rec

    start = (datetime.now(SH) - timedelta(days=60)).date().isoformat()
    rec = text_of(section(page(sup, start=start), "recurring"))
    assert "3栋2单元1201" in rec and "1001" not in rec

    new_ticket(app, site, now - timedelta(days=20), unit=spread, category="电梯故障")  # 28, 20, 1 days ago
    rec = text_of(section(page(sup, start=start), "recurring"))
    assert "3栋2单元1001 · 30 天内 3 单（范围内共 4 单）" in rec


def test_t8_stack_finds_leaks_down_a_riser(clock, app, site, make):  # noqa: F811
    now = utc_now()
    b = site["building"]
    u1201, u1101 = site["unit"], site["neighbour"]
    u901 = make.unit(b, 2, "901", floor=9)       # two floors below 1101: still the same riser
    u601 = make.unit(b, 2, "601", floor=6)       # three floors below 901: not linked
    u1202 = make.unit(b, 2, "1202", floor=12)    # next door, another stack
    e1_1101 = make.unit(b, 1, "1101", floor=11)  # same number in entrance 1: another stack
    t1 = new_ticket(app, site, now - timedelta(days=6), unit=u1201, description="卫生间地漏返水")
    t2 = new_ticket(app, site, now - timedelta(days=5), unit=u1101, description="天花板渗水")
    t3 = new_ticket(app, site, now - timedelta(days=3), unit=u901, description="天花板滴水")
    t4 = new_ticket(app, site, now - timedelta(days=2), unit=u1101, description="又渗水了")
    new_ticket(app, site, now - timedelta(days=2), unit=u601)
    new_ticket(app, site, now - timedelta(days=2), unit=u1202)
    new_ticket(app, site, now - timedelta(days=2), unit=e1_1101)
    new_ticket(app, site, now - timedelta(days=2), unit=site["neighbour"], category="电梯故障")  # other category

    html = page(client_for(app, site["users"]["supervisor"]))
    stacks = section(html, "stacks")
    assert stacks.count('class="stack-item"') == 1
    text = text_of(stacks)
    assert "3栋2单元 01户 · 水电气维修 · 4 单" in text
    assert "12层 3栋2单元1201 → 11层 3栋2单元1101（2 单） → 9层 3栋2单元901" in text
    for tid in (t1, t2, t3, t4):
        assert serial(app, tid) in stacks
    # The stack lists exactly the units of the riser: not 601 (three floors below 901), not 1202
    # (another stack), not 1101 of entrance 1, nor the other category. Asserted on the unit
    # labels, not on digits: serials carry their date (…261202-…), which may hold "601" or "1202".
    assert set(re.findall(r"\d+层 (\d+栋\d+单元\d+)", text)) == {"3栋2单元1201", "3栋2单元1101", "3栋2单元901"}
    assert "电梯故障" not in text


def test_t8_stack_needs_neighbouring_floors_within_30_days(clock, app, site, make):  # noqa: F811
    now = utc_now()
    b = site["building"]
    u1001 = make.unit(b, 2, "1001", floor=10)
    u801 = make.unit(b, 2, "801", floor=8)
    old = new_ticket(app, site, now - timedelta(days=50), unit=site["unit"])  # 1201, 50 days ago
    new_ticket(app, site, now - timedelta(days=2), unit=u1001)               # 1001: two floors down, 48 days later
    new_ticket(app, site, now - timedelta(days=40), unit=u801, category="电梯故障")
    new_ticket(app, site, now - timedelta(days=39), unit=site["neighbour"], category="电梯故障")  # 1101: 3 floors up
    start = (datetime.now(SH) - timedelta(days=60)).date().isoformat()
    sup = client_for(app, site["users"]["supervisor"])
    assert "没有。" in section(page(sup, start=start), "stacks")

    new_ticket(app, site, now - timedelta(days=1), unit=site["unit"])  # 1201 again, a day after 1001
    stacks = section(page(sup, start=start), "stacks")
    text = text_of(stacks)
    assert stacks.count('class="stack-item"') == 1
    assert "水电气维修 · 2 单" in text and "12层 3栋2单元1201 → 10层 3栋2单元1001" in text
    assert serial(app, old) not in stacks


# --- CSV ---------------------------------------------------------------------------------------

def test_t8_csv_has_bom_and_no_phone_numbers(clock, app, site):  # noqa: F811
    at = utc_now() - timedelta(days=1)
    complaint = new_ticket(app, site, at, kind="complaint", category="噪音/邻里",
                           description="1101的张某每晚装修噪音扰民")  # reporter 王建国, 13812345678, from the owner
    repair = new_ticket(app, site, at, description="=HYPERLINK(\"http://evil\")水管爆裂",
                        reporter_phone="13900001111")
    resolved_ticket(app, site, at, at + timedelta(hours=2), description="灯不亮")
    resp = client_for(app, site["users"]["manager"]).get("/tickets/analysis.csv")
    assert resp.status_code == 200
    assert resp.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert resp.headers["Content-Disposition"].startswith("attachment; filename=")
    raw = resp.get_data()
    assert raw.startswith(b"\xef\xbb\xbf")
    text = raw.decode("utf-8-sig")
    for secret in ("13812345678", "13900001111", "110101199003071233", "王建国", "张某"):
        assert secret not in text
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["单号", "登记时间", "类型", "来源", "类别", "紧急程度", "位置", "状态", "处理部门", "处理人",
                       "响应时限", "完成时限", "完成时间", "满意度", "处理结果", "描述"]
    by_serial = {r[0]: r for r in rows[1:]}
    assert len(by_serial) == 3
    c = by_serial[serial(app, complaint)]
    assert c[2] == "投诉" and c[6] == "3栋2单元1201" and c[15] == "（投诉内容保密）"
    r = by_serial[serial(app, repair)]
    assert r[15] == "'=HYPERLINK(\"http://evil\")水管爆裂"  # never a formula in Excel
    done = next(row for row in rows[1:] if row[15] == "灯不亮")
    assert done[7] == "待回访" and done[8] == "工程部" and done[9] == site["users"]["technician"].name
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", done[12])
