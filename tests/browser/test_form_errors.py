"""A refused form on a phone (360×640): the message stands next to its field, and the page
brings that field into view with the cursor in it, instead of showing the top of a long page."""
import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from .conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.layout]


def test_a_refused_intake_shows_its_error_field_on_screen(app, live_server, page, make):
    from propsvc.extensions import db
    from propsvc.tickets.models import Ticket

    c = make.community()
    make.unit(make.building(c, "3"), 2, "1201")
    desk = make.user("front_desk", communities=[c])
    sign_in(page, live_server, desk)
    page.goto(f"{live_server}/tickets/new")
    page.get_by_label("类别").select_option(index=1)
    page.get_by_label("描述").fill("物业费能否按季度交？")
    page.get_by_text("咨询", exact=True).click()
    page.get_by_text("不能，约定时间答复").click()
    page.locator("#reply_due").fill("9999-01-01T10:00")  # a typing slip in the year
    page.get_by_role("button", name="提交工单").click()

    field = page.locator(".field.has-error")
    expect(field).to_have_count(1)
    expect(field).to_contain_text("年份须在2000至2100之间")
    expect(field).to_be_in_viewport()
    expect(page.locator("#reply_due")).to_be_focused()
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Ticket)) == 0
    assert page.js_errors == []
