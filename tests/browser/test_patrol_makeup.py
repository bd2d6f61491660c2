"""A missed patrol started late is a 补巡 [D3], on a phone at 360×640: 今日 shows the planned
patrol 已漏巡 with a 补巡 button; the start page says it will be recorded as a 补巡; the checklist
shows 补巡 with the planned window and the actual start; once finished, 今日 shows 已补巡 with
both times and counts it as done, never as missed."""
import re
from datetime import datetime, timedelta

import pytest
from playwright.sync_api import expect

from .conftest import assert_no_sideways_scroll, sign_in

pytestmark = pytest.mark.browser


def _site(app, make):
    """A steward with a plan for 3栋 whose window closed earlier today (site time)."""
    from zoneinfo import ZoneInfo

    from sqlalchemy import select

    from propsvc.auth.models import User
    from propsvc.extensions import db
    from propsvc.patrols.models import ChecklistTemplate, PatrolPlan
    from propsvc.registry.models import Building

    c = make.community("新澳花园北区")
    b = make.building(c, "3")
    steward = make.user("steward", communities=[c], name="李管家")
    now = datetime.now(ZoneInfo("Asia/Shanghai"))
    # The window ends a minute ago (at 00:00 just after midnight): closed, whatever the hour.
    end = max(now - timedelta(minutes=1), now.replace(hour=0, minute=0, second=0, microsecond=0)).time()
    end = end.replace(second=0, microsecond=0)
    start = end.replace(hour=max(end.hour - 1, 0))
    with app.app_context():
        db.session.get(User, steward.id).buildings = [db.session.get(Building, b.id)]
        tpl = db.session.scalar(select(ChecklistTemplate).where(ChecklistTemplate.community_id == c.id,
                                                                ChecklistTemplate.kind == "building"))
        db.session.add(PatrolPlan(community_id=c.id, template_id=tpl.id, steward_id=steward.id,
                                  target_type="building", building_id=b.id, window_start=start, window_end=end,
                                  created_at=datetime.now(ZoneInfo("UTC")) - timedelta(days=30)))
        db.session.commit()
        db.session.remove()
    return steward, f"计划 {start:%H:%M}–{end:%H:%M}"


def test_a_missed_patrol_started_late_shows_as_makeup_with_both_times(app, live_server, page, make, shot):
    steward, planned = _site(app, make)
    sign_in(page, live_server, steward)  # a steward lands on 今日
    page.goto(f"{live_server}/patrols/today")
    row = page.locator("#patrols li", has_text="楼栋单元 · 3栋")
    expect(row).to_contain_text("已漏巡")
    expect(page.locator("#patrol-counts")).to_contain_text("待巡查 0 · 已完成 0 · 漏巡 1")
    assert_no_sideways_scroll(page)
    shot("missed")

    row.get_by_role("link", name="补巡").click()
    expect(page.locator("#makeup-note")).to_contain_text("现在开始记为补巡")
    page.get_by_role("button", name="开始补巡").click()
    page.wait_for_url(re.compile(r".*/patrols/\d+$"))
    makeup = page.locator("#makeup")
    expect(makeup).to_contain_text("补巡")
    expect(makeup).to_contain_text(planned)
    expect(makeup).to_contain_text(re.compile(r"实际 \d{2}:\d{2} 开始"))
    assert_no_sideways_scroll(page)

    # Every item 正常 (the page's script sends each tap), then 完成巡查.
    rows = page.locator("#pl li.pi")
    for i in range(rows.count()):
        rows.nth(i).get_by_role("button", name="正常").click()
        expect(rows.nth(i).locator("button[value=ok]")).to_have_attribute("aria-pressed", "true")
    page.get_by_role("button", name="完成巡查").click()
    expect(page.locator(".flash.ok")).to_contain_text("补巡已完成，各项正常")
    expect(makeup).to_contain_text(re.compile(re.escape(planned) + r" · 实际 \d{2}:\d{2}–\d{2}:\d{2}"))
    shot("makeup-run")

    page.goto(f"{live_server}/patrols/today")
    row = page.locator("#patrols li", has_text="楼栋单元 · 3栋")
    expect(row).to_contain_text("已补巡")
    expect(row).to_contain_text(re.compile(re.escape(planned) + r" · 实际 \d{2}:\d{2}–\d{2}:\d{2}"))
    expect(page.locator("#patrol-counts")).to_contain_text("待巡查 0 · 已完成 1 · 漏巡 0 · 其中补巡 1")
    expect(page.locator(".stats")).not_to_contain_text("漏巡")
    assert_no_sideways_scroll(page)
    shot("makeup-today")
    assert page.js_errors == [] and page.console_errors == []
