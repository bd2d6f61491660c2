"""Assessment in a real browser at 360×640 [A3][A4]: a supervisor opens last month's scorecard
(built from recorded activity: 3 of 4 buildings patrolled, no summary), waives one miss with a
reason, confirms the other, and prints the scorecard (PDF read back with pdftotext)."""
import shutil
import subprocess

import pytest
from playwright.sync_api import expect

from .conftest import ARTIFACTS, PDF_TIMEOUT_MS, assert_no_sideways_scroll, sign_in

pytestmark = pytest.mark.browser


def test_a4_supervisor_reviews_a_month_and_prints_the_scorecard(app, live_server, page, make, tmp_path):
    from propsvc.extensions import db
    from propsvc.patrols.models import PatrolSettings
    from test_assessment import DAY, evaluate
    from test_mine import own_buildings
    from test_today import checklist, patrol

    c = make.community("考核小区")
    bs = [make.building(c, str(n)) for n in (1, 2, 3, 4)]
    steward = make.user("steward", communities=[c], name="张管家")
    boss = make.user("supervisor", communities=[c], name="李主管")
    own_buildings(app, steward, *bs)
    with app.app_context():
        db.session.add(PatrolSettings(community_id=c.id, buildings_per_day=4))
        db.session.commit()
    tpl, items = checklist(app, c)
    for b in bs[:3]:
        patrol(app, c, steward, tpl, items, day=DAY, building=b)
    evaluate(app, c)
    ARTIFACTS.mkdir(exist_ok=True)

    sign_in(page, live_server, boss)
    page.goto(f"{live_server}/assessment?month=2026-11")
    assert_no_sideways_scroll(page)
    misses = page.locator("li[id^=result-]")
    expect(misses).to_have_count(2)
    patrol_miss = misses.filter(has_text="每日巡查楼栋数量符合要求")
    expect(patrol_miss).to_contain_text("巡查楼栋 3/4")
    patrol_miss.get_by_label("原因").fill("系统故障，4栋巡查记录未上传")
    patrol_miss.get_by_role("button", name="免除").click()
    expect(page.locator(".flash").first).to_contain_text("已免除")
    page.locator("li[id^=result-]").filter(has_text="完整、准确地总结当日工作内容").get_by_role(
        "button", name="确认考核").click()
    expect(page.locator(".flash").first).to_contain_text("已确认")
    expect(page.locator("h2").filter(has_text="张管家")).to_contain_text("确认 10元")
    pdf = page.request.get(f"{live_server}/assessment/scorecard.pdf?month=2026-11", timeout=PDF_TIMEOUT_MS)
    assert pdf.ok and pdf.body()[:5] == b"%PDF-"
    (ARTIFACTS / "assessment-scorecard.pdf").write_bytes(pdf.body())
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", "-", "-"], input=pdf.body(), capture_output=True, check=True).stdout.decode()
        assert "物业管家考核表" in text and "张管家" in text and "已免除" in text and "客服主管" in text


@pytest.mark.layout
def test_a5_report_breakdown_parts_stay_whole_on_a_phone(app, live_server, page, make):
    """月度管理报告 at 360×640: tickets by kind read as one line of parts (投诉 2（上月 0）…) that
    wraps between parts, never inside one, and the page does not scroll sideways."""
    import time_machine
    from test_assessment import DAY, NOW, at, ticket

    c = make.community("报告小区")
    b = make.building(c, "1")
    boss = make.user("supervisor", communities=[c], name="李主管")
    for i, kind in enumerate(("complaint", "suggestion", "repair", "inquiry", "errand", "complaint")):
        ticket(app, c, b, kind=kind, serial=f"R-{i}", resolve_due=at(DAY, 16))
    with time_machine.travel(NOW, tick=True):
        sign_in(page, live_server, boss)
        page.goto(f"{live_server}/assessment/report?month=2026-11")
        assert_no_sideways_scroll(page)
        row = page.locator("tr", has_text="工单·类型")
        expect(row).to_contain_text("投诉 2（上月 0）")
        tops = row.locator(".nobr").evaluate_all("els => els.map(e => Math.round(e.getBoundingClientRect().top))")
        assert len(tops) == 5 and len(set(tops)) > 1  # five kinds; the row wraps at this width
        for width in range(360, 440, 4):  # wherever the row wraps, a part stays on one line
            page.set_viewport_size({"width": width, "height": 640})
            lines = row.locator(".nobr").evaluate_all("els => els.map(e => e.getClientRects().length)")
            assert set(lines) == {1}, (width, lines)
    assert page.js_errors == [] and page.console_errors == []
