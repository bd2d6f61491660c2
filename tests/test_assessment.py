"""Steward assessment (考核) [A1]-[A3], built from recorded activity: the seed's standards per
community, each steward's day evaluated (met / missed with evidence), confirm / waive / appeal,
and the month's total. Dates are fixed; `now` is passed, so nothing depends on today."""
from datetime import date, datetime, time, timedelta, timezone

import pytest
from sqlalchemy import select

from propsvc.assessment import services as A
from propsvc.assessment.models import AssessmentResult, AssessmentStandard, Decision, Status
from propsvc.auth.models import User
from propsvc.core.models import Event
from propsvc.extensions import db
from propsvc.patrols.models import DailySummary, PatrolSettings
from propsvc.tickets.models import Ticket
from test_mine import own_buildings
from test_today import SH, checklist, patrol

DAY = date(2026, 11, 18)  # a Wednesday, a working day
NOW = datetime(2026, 11, 25, 10, 0, tzinfo=SH).astimezone(timezone.utc)


def at(day, hour, minute=0):
    return datetime.combine(day, time(hour, minute), tzinfo=SH).astimezone(timezone.utc)


@pytest.fixture
def four(app, make):
    """A community with 4 buildings, a steward who owns them, a supervisor; quota 4 buildings."""
    c = make.community()
    bs = [make.building(c, str(n)) for n in (1, 2, 3, 4)]
    steward = make.user("steward", communities=[c], name="张管家")
    sup = make.user("supervisor", communities=[c], name="李主管")
    own_buildings(app, steward, *bs)
    with app.app_context():
        db.session.add(PatrolSettings(community_id=c.id, buildings_per_day=4))
        db.session.commit()
    return {"c": c, "bs": bs, "steward": steward, "sup": sup}


def results(app, steward, day=DAY):
    with app.app_context():
        return {r.standard.code: (r.status, list(r.evidence), r.decision, r.id) for r in db.session.scalars(
            select(AssessmentResult).where(AssessmentResult.steward_id == steward.id, AssessmentResult.day == day))}


def evaluate(app, c, day=DAY, now=NOW):
    with app.app_context():
        out = A.evaluate_day(c.id, day, now=now)
        db.session.commit()
        return out


def ticket(app, c, building, *, kind="repair", serial, resolve_due, resolved_at=None, visit_due=None):
    from propsvc.tickets.models import Category

    with app.app_context():
        cat = db.session.scalar(select(Category.id).where(Category.community_id == c.id).limit(1))
        t = Ticket(community_id=c.id, serial=serial, kind=kind, channel="phone", category_id=cat, urgency="normal",
                   building_id=building.id, location="大堂", description="灯不亮", state="resolved",
                   respond_due=resolve_due - timedelta(hours=2), resolve_due=resolve_due, resolved_at=resolved_at,
                   visit_due=visit_due, created_at=resolve_due - timedelta(days=1))
        db.session.add(t)
        db.session.commit()
        return t.id


def event(app, c, ticket_id, action, when, actor=None, **data):
    with app.app_context():
        db.session.add(Event(at=when, actor_id=actor.id if actor else None, community_id=c.id, action=action,
                             object_type="ticket", object_id=ticket_id, data=data))
        db.session.commit()


def test_a1_community_setup_seeds_the_daily_work_standards(app, four):
    with app.app_context():
        stds = list(db.session.scalars(select(AssessmentStandard).where(
            AssessmentStandard.community_id == four["c"].id).order_by(AssessmentStandard.sort)))
        by = {s.code: s for s in stds}
        assert by["patrol"].text == "每日巡查楼栋数量符合要求" and by["patrol"].rule == "patrol_buildings"
        assert by["appearance"].text == "整理仪容仪表" and by["appearance"].rule == "manual"
        assert by["collection"].text == "完成当日催费任务"
        assert all(s.amount_fen == 1000 for s in stds)  # 10元/次
        from propsvc.assessment.standards import ensure_assessment_standards

        ensure_assessment_standards(four["c"].id)  # idempotent
        db.session.flush()
        assert db.session.query(AssessmentStandard).filter_by(community_id=four["c"].id).count() == len(stds)


def test_a1_standard_amount_below_zero_or_quota_zero_refused(app, four):
    with app.app_context():
        std = db.session.scalar(select(AssessmentStandard).where(
            AssessmentStandard.community_id == four["c"].id, AssessmentStandard.code == "patrol"))
        sup = db.session.get(User, four["sup"].id)
        with pytest.raises(A.AssessmentError, match="不能小于0"):
            A.update_standard(std, sup, amount_fen=-1, quota=4, non_working_days=False, active=True)
        with pytest.raises(A.AssessmentError, match="至少为1栋"):
            A.update_standard(std, sup, amount_fen=1000, quota=0, non_working_days=False, active=True)


def test_a2_patrolled_3_of_4_buildings_misses_with_evidence(app, four):
    c, bs, s = four["c"], four["bs"], four["steward"]
    tpl, items = checklist(app, c)
    for b in bs[:3]:
        patrol(app, c, s, tpl, items, day=DAY, building=b)
    patrol(app, c, s, tpl, items, day=DAY, building=bs[3], finished=False)  # started, never finished
    evaluate(app, c)
    status, evidence, decision, _ = results(app, s)["patrol"]
    assert status == Status.MISSED and decision == Decision.PENDING
    assert evidence[0].startswith("巡查楼栋 3/4：1栋（巡查#")
    assert "4栋" not in evidence[0]
    # Idempotent: re-running changes nothing and records no new event.
    with app.app_context():
        n = db.session.query(Event).filter(Event.action.like("assessment.%")).count()
    again = evaluate(app, c)
    assert again.changed == 0
    stored = len(results(app, s))
    with app.app_context():
        assert db.session.query(Event).filter(Event.action.like("assessment.%")).count() == n
        assert db.session.query(AssessmentResult).filter_by(steward_id=s.id, day=DAY).count() == stored


def test_a2_ticket_return_visit_a_day_late_misses_the_repair_standard(app, four):
    c, b, s = four["c"], four["bs"][0], four["steward"]
    on_time = ticket(app, c, b, serial="BX-1", resolve_due=at(DAY, 16), resolved_at=at(DAY, 11),
                     visit_due=at(DAY - timedelta(days=1), 17))
    late = ticket(app, c, b, serial="BX-2", resolve_due=at(DAY - timedelta(days=1), 12),
                  resolved_at=at(DAY - timedelta(days=1), 10), visit_due=at(DAY, 17))
    event(app, c, late, "ticket.visited", at(DAY + timedelta(days=1), 17), s)
    evaluate(app, c)
    status, evidence, _, _ = results(app, s)["repairs"]
    assert status == Status.MISSED
    assert any(e.startswith("工单BX-2：回访时限 11-18 17:00，11-19 17:00 回访，晚1天") for e in evidence), evidence
    assert "工单BX-1：按期完成（11-18 11:00）" in evidence
    assert on_time


def test_a2_rectification_synced_after_midnight_reevaluates_the_day(app, four):
    c, b, s = four["c"], four["bs"][0], four["steward"]
    tpl, items = checklist(app, c)
    t = ticket(app, c, b, kind="patrol", serial="ZG-1", resolve_due=at(DAY, 18), resolved_at=at(DAY, 14))
    patrol(app, c, s, tpl, items, day=DAY - timedelta(days=1), building=b, problems=(0,), ticket_ids=(t,))
    evaluate(app, c, now=at(DAY + timedelta(days=1), 0, 5))  # the nightly run, before the sync
    status, evidence, _, _ = results(app, s)["recheck"]
    assert status == Status.MISSED and evidence == ["整改ZG-1：11-18 14:00 完成，未复检"]
    # The photo was taken offline at 15:50 and synced at 00:20: the day is evaluated again.
    event(app, c, t, "ticket.rechecked", at(DAY + timedelta(days=1), 0, 20), s, outcome="fixed",
          taken_at=at(DAY, 15, 50).isoformat())
    out = evaluate(app, c, now=at(DAY + timedelta(days=1), 8))
    assert out.changed >= 1
    status, evidence, decision, _ = results(app, s)["recheck"]
    assert status == Status.MET and evidence == ["整改ZG-1：15:50 拍照复检"] and decision is None
    with app.app_context():
        assert db.session.query(Event).filter_by(action="assessment.reevaluated").count() >= 1


def test_a2_summary_after_17_misses_and_future_day_refused(app, four):
    c, s = four["c"], four["steward"]
    with app.app_context():
        db.session.add(DailySummary(community_id=c.id, user_id=s.id, day=DAY, text="巡查3栋",
                                    submitted_at=at(DAY, 17, 25)))
        db.session.commit()
    evaluate(app, c)
    status, evidence, _, _ = results(app, s)["summary"]
    assert status == Status.MISSED and evidence[0].startswith("当日总结 11-18 17:25 提交，晚25分钟")
    with app.app_context(), pytest.raises(A.AssessmentError, match="今天和以后的日期不能评估"):
        A.evaluate_day(c.id, date(2026, 11, 25), now=NOW)
    # No answer from fees: the collection round does not apply.
    assert results(app, s)["collection"][0] == Status.NA


def test_a2_non_working_day_not_applicable(app, four):
    c, s = four["c"], four["steward"]
    evaluate(app, c, day=date(2026, 11, 22))  # a Sunday
    r = results(app, s, date(2026, 11, 22))
    assert r["patrol"][0] == Status.NA and r["patrol"][1] == ["非工作日"]


def test_a3_waived_costs_nothing_and_month_total_is_sum_of_confirmed(app, four):
    c, s, sup = four["c"], four["steward"], four["sup"]
    evaluate(app, c)  # no patrol, no summary: patrol and summary missed
    evaluate(app, c, day=DAY + timedelta(days=1))
    with app.app_context():
        supu = db.session.get(User, sup.id)
        misses = [r for r in A.month_results(c.id, "2026-11", s.id) if r.status == Status.MISSED]
        assert len(misses) == 4
        with pytest.raises(A.AssessmentError, match="免除考核须填写原因"):
            A.waive(misses[0].id, c.id, supu, "  ")
        A.waive(misses[0].id, c.id, supu, "病假")
        A.confirm(misses[1].id, c.id, supu)
        A.confirm(misses[2].id, c.id, supu)
        db.session.commit()
        assert A.month_total_fen(c.id, "2026-11", s.id) == 2000  # two confirmed × 10元; waived and pending: 0
        assert db.session.get(AssessmentResult, misses[0].id).amount_fen == 0
        # The steward appeals with a note; the decision goes back to the supervisor.
        stu = db.session.get(User, s.id)
        with pytest.raises(A.AssessmentError, match="请填写申诉说明"):
            A.appeal(misses[1].id, c.id, stu, "")
        A.appeal(misses[1].id, c.id, stu, "当天系统故障，巡查记录未上传")
        assert A.month_total_fen(c.id, "2026-11", s.id) == 1000
        actions = {e.action for e in db.session.scalars(select(Event).where(Event.object_type == "assessmentresult"))}
        assert {"assessment.waived", "assessment.confirmed", "assessment.appealed"} <= actions
        # 今日: 本月 n 项未达标 (waived not counted).
        assert A.steward_today_lines(stu, c.id, DAY) == [("本月 3 项未达标", None)]
        # A closed month: no appeal.
        with pytest.raises(A.AssessmentError, match="未审核"):
            A.close_month(c.id, "2026-11", supu)
        A.confirm(misses[1].id, c.id, supu)
        A.confirm(misses[3].id, c.id, supu)
        A.close_month(c.id, "2026-11", supu)
        db.session.commit()
        with pytest.raises(A.AssessmentError, match="已结账，不能再申诉"):
            A.appeal(misses[3].id, c.id, stu, "再次申诉")
        assert A.month_total_fen(c.id, "2026-11", s.id) == 3000


def test_a3_a4_supervisor_reviews_on_screen_prints_pdf_and_xlsx_steward_sees_misses_on_today(app, four):
    import io
    import shutil
    import subprocess

    import time_machine
    from openpyxl import load_workbook

    from conftest import client_for, post

    c, s, sup = four["c"], four["steward"], four["sup"]
    with time_machine.travel(NOW, tick=True):
        evaluate(app, c)  # no patrol, no summary that day: two misses
        lead = client_for(app, sup)
        page = lead.get("/assessment?month=2026-11")
        html = page.get_data(as_text=True)
        assert page.status_code == 200 and "<svg" in html and "张管家" in html and "巡查楼栋 0/4" in html
        rid = results(app, s)["patrol"][3]
        # A waiver without a reason: a Chinese message, nothing changed.
        bad = post(lead, "/assessment/review?month=2026-11", {"result_id": rid, "decision": "waive", "reason": ""})
        assert bad.status_code == 422 and "免除考核须填写原因" in bad.get_data(as_text=True)
        assert results(app, s)["patrol"][2] == Decision.PENDING
        ok = post(lead, "/assessment/review?month=2026-11", {"result_id": rid, "decision": "confirm", "reason": ""})
        assert ok.status_code == 303
        assert results(app, s)["patrol"][2] == Decision.CONFIRMED
        # A future day is refused in Chinese.
        future = post(lead, "/assessment/evaluate?month=2026-11", {"day": "2026-11-26"})
        assert future.status_code == 422 and "今天和以后的日期不能评估" in future.get_data(as_text=True)
        pdf = lead.get("/assessment/scorecard.pdf?month=2026-11")
        assert pdf.status_code == 200 and pdf.data[:5] == b"%PDF-"
        if shutil.which("pdftotext"):
            text = subprocess.run(["pdftotext", "-", "-"], input=pdf.data, capture_output=True, check=True).stdout.decode()
            assert "物业管家考核表" in text and "张管家" in text and "项目经理" in text
        xlsx = lead.get("/assessment/scorecard.xlsx?month=2026-11")
        wb = load_workbook(io.BytesIO(xlsx.data))
        rows = list(wb["考核汇总"].iter_rows(values_only=True))
        assert rows[2][0] == "张管家" and rows[2][-1] == 10  # one confirmed miss: 10元
        # The steward: own scorecard, the misses on 今日, an appeal.
        mine = client_for(app, s)
        assert "本月 2 项未达标" in mine.get("/patrols/today").get_data(as_text=True)
        assert post(mine, "/assessment/appeal?month=2026-11", {"result_id": rid, "note": "当天在处理漏水抢修"}).status_code == 303
        assert results(app, s)["patrol"][2] == Decision.PENDING
        assert mine.get("/assessment/scorecard.pdf").status_code == 403


def test_a5_monthly_report_figures_beside_last_month_pdf_and_xlsx(app, four):
    import io

    import time_machine
    from openpyxl import load_workbook

    from conftest import client_for

    c, b, s, sup = four["c"], four["bs"][0], four["steward"], four["sup"]
    ticket(app, c, b, serial="BX-9", resolve_due=at(DAY, 16), resolved_at=at(DAY, 11))
    ticket(app, c, b, serial="BX-8", resolve_due=at(date(2026, 10, 20), 16), resolved_at=at(date(2026, 10, 21), 9))
    evaluate(app, c)
    with time_machine.travel(NOW, tick=True):
        lead = client_for(app, sup)
        html = lead.get("/assessment/report?month=2026-11").get_data(as_text=True)
        assert "月度管理报告" in html and "按期完成率" in html and "在装修户数" in html and "上月（10月）" in html
        with app.app_context():
            from propsvc.assessment.report import month_report

            before, figs = month_report(c.id, "2026-11")
            by = {(f.section, f.label): f for f in figs}
            assert before == "2026-10"
            assert by[("工单", "工单总数")].value == 1 and by[("工单", "工单总数")].before == 1
            assert by[("工单", "按期完成率")].shown == "100%"
            assert by[("工单", "按期完成率")].shown_before == "0%"
            assert by[("考核", "未达标项")].value == 2  # no patrol, no summary on DAY
            # handovers and collection join the report (core.hooks.MONTH_FIGURES): none this month
            assert by[("交房", "交房户数")].value == 0 and by[("交房", "验房问题")].value == 0
            assert by[("收费", "本月账单收缴率")].value == "—" and by[("收费", "本月实收")].value == "0.00 元"
            # a section's name is printed once over its consecutive rows (rowspan): 工单 twice,
            # around its 类型 and 类别 breakdowns
            heads = [(f.section, f.span) for f in figs if f.span]
            assert sum(n for _s, n in heads) == len(figs) and [h for h, _n in heads][:4] == ["工单", "工单·类型", "工单·类别", "工单"]
            assert html.count(f'rowspan="{by[("考核", "达标率")].span}">考核</th>') == 1
        pdf = lead.get("/assessment/report.pdf?month=2026-11")
        assert pdf.status_code == 200 and pdf.data[:5] == b"%PDF-"
        # printed a section a row, its figures as lines: each value on its label's line
        import re
        import subprocess

        lines = subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf.data, capture_output=True,
                               check=True).stdout.decode().splitlines()
        for f in figs:
            if not f.parts and not f.folded:
                line = next(x for x in lines if f" {f.label} " in f" {x} ")
                assert re.search(rf"{re.escape(f.shown)}\s+{re.escape(f.shown_before)}$", line.strip()), line
        rows = list(load_workbook(io.BytesIO(lead.get("/assessment/report.xlsx?month=2026-11").data)).active.iter_rows(values_only=True))
        assert rows[1] == ("类别", "指标", "2026-11", "2026-10")
        assert client_for(app, s).get("/assessment/report").status_code == 403


def test_a1_manual_standard_marked_by_supervisor_only_for_unmeasured_standards(app, four):
    c, s, sup = four["c"], four["steward"], four["sup"]
    with app.app_context():
        by = {x.code: x for x in db.session.scalars(select(AssessmentStandard).where(
            AssessmentStandard.community_id == c.id))}
        supu = db.session.get(User, sup.id)
        r = A.mark_manual(c.id, by["appearance"].id, s.id, DAY, supu, "未穿工装", now=NOW)
        assert (r.status, r.decision, r.evidence) == (Status.MISSED, Decision.PENDING, ["未穿工装"])
        with pytest.raises(A.AssessmentError, match="由系统根据记录评定"):
            A.mark_manual(c.id, by["patrol"].id, s.id, DAY, supu, "少巡一栋", now=NOW)
        with pytest.raises(A.AssessmentError, match="不能标记未来的日期"):
            A.mark_manual(c.id, by["appearance"].id, s.id, date(2026, 11, 26), supu, "未穿工装", now=NOW)
        with pytest.raises(A.AssessmentError, match="请说明"):
            A.mark_manual(c.id, by["appearance"].id, s.id, DAY, supu, " ", now=NOW)
        with pytest.raises(A.AssessmentError, match="本小区的管家"):
            A.mark_manual(c.id, by["appearance"].id, sup.id, DAY, supu, "未穿工装", now=NOW)
        db.session.commit()
    # The evaluation leaves the hand-marked miss alone.
    evaluate(app, c)
    assert results(app, s)["appearance"][0] == Status.MISSED


def test_a1_standard_page_refuses_negative_amount_and_zero_quota_in_chinese(app, four):
    from conftest import client_for, post

    c, sup = four["c"], four["sup"]
    with app.app_context():
        sid = db.session.scalar(select(AssessmentStandard.id).where(
            AssessmentStandard.community_id == c.id, AssessmentStandard.code == "patrol"))
    lead = client_for(app, sup)
    assert "每日巡查楼栋数量符合要求" in lead.get("/assessment/standards").get_data(as_text=True)
    bad = post(lead, "/assessment/standards", {"standard_id": sid, "amount": "-5", "quota": "4", "active": "y"})
    assert bad.status_code == 422 and "考核金额不能小于0" in bad.get_data(as_text=True)
    zero = post(lead, "/assessment/standards", {"standard_id": sid, "amount": "10", "quota": "0", "active": "y"})
    assert zero.status_code == 422 and "巡查楼栋定额至少为1栋" in zero.get_data(as_text=True)
    with app.app_context():
        std = db.session.get(AssessmentStandard, sid)
        assert (std.amount_fen, std.quota) == (1000, None)  # nothing changed
    ok = post(lead, "/assessment/standards", {"standard_id": sid, "amount": "20", "quota": "3", "active": "y"})
    assert ok.status_code == 303
    with app.app_context():
        std = db.session.get(AssessmentStandard, sid)
        assert (std.amount_fen, std.quota) == (2000, 3)


def test_a4_trend_counts_earlier_months_misses_not_waived_and_confirmed_amount(app, four):
    """The scorecard's six-month trend: each earlier month's misses (a waived one not counted) and
    its confirmed amount, per steward; the month shown from its own cards."""
    from propsvc.assessment.scorecard import scorecard

    c, s, sup = four["c"], four["steward"], four["sup"]
    october = date(2026, 10, 21)  # a Wednesday
    evaluate(app, c, day=october, now=at(october + timedelta(days=2), 10))  # no patrol, no summary: two misses
    evaluate(app, c)  # and two on DAY in November
    with app.app_context():
        supu = db.session.get(User, sup.id)
        oct_misses = [r for r in A.month_results(c.id, "2026-10", s.id) if r.status == Status.MISSED]
        assert len(oct_misses) == 2
        A.waive(oct_misses[0].id, c.id, supu, "病假")
        A.confirm(oct_misses[1].id, c.id, supu)
        db.session.commit()
        card, = scorecard(c.id, "2026-11").cards
        trend = dict((m, (misses, fen)) for m, misses, fen in card.trend)
        assert list(trend) == ["2026-06", "2026-07", "2026-08", "2026-09", "2026-10", "2026-11"]
        assert trend["2026-10"] == (1, 1000)  # the waived miss is not counted; one confirmed × 10元
        assert trend["2026-11"] == (2, 0)  # pending: counted, nothing confirmed yet
        assert trend["2026-09"] == (0, 0)
        # Another steward's misses are not in this card.
        assert scorecard(c.id, "2026-11", steward_id=s.id).cards[0].trend == card.trend


def test_a5_report_breakdown_counts_zero_not_unknown_for_a_kind_only_one_month_had(app, four):
    """Tickets by kind beside last month's: a kind only last month had is listed with 0 this month,
    and a kind only this month had shows 0 for last month — never "—" (which reads as 不详)."""
    from propsvc.assessment.report import month_report

    c, b = four["c"], four["bs"][0]
    ticket(app, c, b, kind="complaint", serial="TS-1", resolve_due=at(date(2026, 10, 20), 16))
    ticket(app, c, b, kind="repair", serial="BX-1", resolve_due=at(DAY, 16))
    with app.app_context():
        _before, figs = month_report(c.id, "2026-11")
    kinds = [(f.label, f.shown, f.shown_before) for f in figs if f.section == "工单·类型"]
    assert kinds == [("报修", "1", "0"), ("投诉", "0", "1")]
    # the section's name still heads one run of rows (rowspan) after 工单总数
    assert [(f.section, f.span) for f in figs][:3] == [("工单", 1), ("工单·类型", 2), ("工单·类型", 0)]
    assert sum(f.span for f in figs) == len(figs)
    # printed as one row of the section (its first figure's parts), on the page and in the PDF
    import re

    import time_machine
    from conftest import client_for
    from test_pdf_fonts import pdf_text

    assert [p.label for p in figs[1].parts] == ["报修", "投诉"] and figs[2].folded and not figs[1].folded
    with time_machine.travel(NOW, tick=True):
        lead = client_for(app, four["sup"])
        html = lead.get("/assessment/report?month=2026-11").get_data(as_text=True)
        pdf = lead.get("/assessment/report.pdf?month=2026-11").data
    row = re.search(r"<tr><th>工单·类型</th><td colspan=\"3\">(.*?)</td></tr>", html).group(1)
    assert re.sub("<[^>]+>", "", row) == "报修 1（上月 0）　投诉 0（上月 1）"
    assert html.count("工单·类型") == 1
    text = " ".join(pdf_text(pdf).split())
    assert "报修 1（上月 0） 投诉 0（上月 1）" in text


def test_a5_report_counts_renovations_slips_and_rectifications_by_their_own_dates(app, four, make):
    """The report's counts of other areas (core.hooks.MONTH_FIGURES) and of rectifications, each
    by its own date: a renovation under way in the month (approved or finished, its dates over the
    month), finished in it; extensions asked and approved; slips applied for and released; patrol
    rectifications opened, closed, and still open at the month's end. Neighbouring months' rows
    and another community's are not counted."""
    from propsvc.assessment.report import month_report
    from propsvc.renovation.models import Extension, Renovation
    from propsvc.slips.models import ReleaseSlip

    c, b = four["c"], four["bs"][0]
    other = make.community("西山小区")
    ob = make.building(other, "9")
    u, ou = make.unit(b), make.unit(ob)
    nov, oct_ = date(2026, 11, 10), date(2026, 10, 10)
    with app.app_context():
        def reno(community_id, unit_id, state, starts, ends):
            r = Renovation(community_id=community_id, unit_id=unit_id, applicant_name="王", applicant_role="owner",
                           lead_name="李", lead_phone="13800000000", scope="刷墙", starts_on=starts, ends_on=ends,
                           state=state)
            db.session.add(r)
            db.session.flush()
            return r

        r1 = reno(c.id, u.id, "approved", date(2026, 10, 1), date(2026, 12, 31))   # under way in Nov
        reno(c.id, u.id, "finished", date(2026, 9, 1), date(2026, 11, 20))         # under way, finished in Nov
        reno(c.id, u.id, "finished", date(2026, 8, 1), date(2026, 10, 20))         # finished in Oct
        reno(c.id, u.id, "applied", date(2026, 11, 1), date(2026, 12, 1))          # not approved
        reno(other.id, ou.id, "approved", date(2026, 11, 1), date(2026, 12, 1))    # another community
        for when, state in ((at(nov, 9), "requested"), (at(nov, 10), "approved"), (at(oct_, 9), "approved")):
            db.session.add(Extension(renovation_id=r1.id, requested_by="王", requester_role="owner", reason="工期",
                                     new_end=date(2027, 1, 31), state=state, created_at=when))

        def slip(community_id, unit_id, created, released=None):
            db.session.add(ReleaseSlip(community_id=community_id, unit_id=unit_id, applicant_role="owner",
                                       applicant_name="王", carrier_name="张", carrier_id_number="110101199003071233",
                                       carrier_phone="13800000000", moving_on=created.date(), created_at=created,
                                       released_at=released))

        slip(c.id, u.id, at(nov, 9), at(nov, 15))
        slip(c.id, u.id, at(nov, 11))
        slip(c.id, u.id, at(oct_, 9), at(nov, 8))  # applied in Oct, released in Nov
        slip(other.id, ou.id, at(nov, 9), at(nov, 10))
        db.session.commit()
    for serial, created, closed in (("ZG-1", at(nov, 9), at(nov, 12)), ("ZG-2", at(nov, 9), None),
                                    ("ZG-3", at(oct_, 9), at(nov, 9)), ("ZG-4", at(oct_, 9), at(date(2026, 12, 2), 9)),
                                    ("ZG-5", at(oct_, 9), at(oct_, 12))):
        tid = ticket(app, c, b, kind="patrol", serial=serial, resolve_due=created + timedelta(days=1))
        with app.app_context():
            t = db.session.get(Ticket, tid)
            t.created_at, t.closed_at = created, closed
            db.session.commit()
    with app.app_context():
        _before, figs = month_report(c.id, "2026-11")
    got = {(f.section, f.label): (f.value, f.before) for f in figs}
    assert got[("装修", "在装修户数")] == (2, 3) and got[("装修", "完工户数")] == (1, 1)
    assert got[("装修", "申请延期")] == (2, 1) and got[("装修", "批准延期")] == (1, 1)
    assert got[("放行条", "申请")] == (2, 1) and got[("放行条", "已放行")] == (2, 0)
    # Nov: ZG-1 and ZG-2 opened; ZG-1 and ZG-3 closed; ZG-2 and ZG-4 open on Nov 30
    # Oct: ZG-3, ZG-4, ZG-5 opened; ZG-5 closed; ZG-3 and ZG-4 open on Oct 31
    assert got[("巡查", "新增整改")] == (2, 3) and got[("巡查", "整改关闭")] == (2, 1)
    assert got[("巡查", "月末未关闭整改")] == (2, 2)


def test_a5_printed_report_values_line_up_under_their_months(app, four):
    """The printed report sets a section's figures as lines of `label⇥this month⇥last month` in one
    cell on tab stops every 54 mm (templates/assessment/report_pdf.html: three cells a row laid out
    ~26 % slower), under a header set the same way. Every value starts at its month's column (read
    back with pdftotext -bbox): a label too long for the first stop would push its values one stop
    (~150 pt) to the right."""
    import time_machine

    from conftest import client_for
    from propsvc.assessment.report import month_report
    from test_documents import pdf_words

    c, b = four["c"], four["bs"][0]
    ticket(app, c, b, serial="BX-9", resolve_due=at(DAY, 16), resolved_at=at(DAY, 11))
    evaluate(app, c)
    with time_machine.travel(NOW, tick=True):
        pdf = client_for(app, four["sup"]).get("/assessment/report.pdf?month=2026-11").data
    with app.app_context():
        _before, figs = month_report(c.id, "2026-11")
    words = [(x0, y0, x1, w) for w, x0, y0, x1 in pdf_words(pdf)]
    (this_x, head_y), = [(x0, y0) for x0, y0, _x1, w in words if w == "11月"]
    (last_x,) = [x0 for x0, y0, _x1, w in words if w == "上月（10月）" and abs(y0 - head_y) < 1]
    checked = 0
    for f in figs:
        if f.parts or f.folded:
            continue
        label = next(wd for wd in words if wd[3] == f.label)
        row = sorted(wd for wd in words if abs(wd[1] - label[1]) < 1 and wd[0] > label[2])
        assert row[0][3].startswith(f.shown.split()[0]) and abs(row[0][0] - this_x) < 3, (f.label, row, this_x)
        last = next(wd for wd in row if wd[0] > this_x + 20)
        assert last[3].startswith(f.shown_before.split()[0]) and abs(last[0] - last_x) < 3, (f.label, row, last_x)
        checked += 1
    assert checked >= 20
