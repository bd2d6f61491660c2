"""Short forms that guess right, in a real browser at 360×640 (issue 16, item 5): the common
ticket (a repair for a unit) fits one phone screen, a question's fields appear as its answer
needs them — with JavaScript and without (CSS only) — and picking a unit fills in the parcel's
recipient and the release slip's applicant, with today's date on the site's clock."""
import pytest
from playwright.sync_api import expect

from moments import travel

from .conftest import ARTIFACTS, VIEWPORT, assert_no_sideways_scroll, sign_in

pytestmark = pytest.mark.browser

SCREEN = VIEWPORT["height"]  # 640 px


def _site(make):
    c = make.community("新澳花园北区")
    unit = make.unit(make.building(c, "3"), 2, "1201")
    owner = make.person(unit, name="王建国", phone="13812345678")
    tenant = make.person(unit, name="李小红", role="tenant", phone="13987654321", id_number=None)
    users = {r: make.user(r, communities=[c]) for r in ("steward", "front_desk")}
    return owner, tenant, users


def _form_height(page) -> float:
    return page.evaluate("document.getElementById('intake').getBoundingClientRect().height")


@pytest.mark.layout
@pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])
def test_common_repair_ticket_form_fits_one_phone_screen(app, live_server, chromium, make, javascript):
    _owner, _tenant, users = _site(make)
    context = chromium.new_context(viewport=VIEWPORT, locale="zh-CN", timezone_id="Asia/Shanghai",
                                   java_script_enabled=javascript)
    context.set_default_timeout(10_000)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        sign_in(page, live_server, users["steward"])
        page.goto(f"{live_server}/tickets/new")
        page.locator("#unit_q").fill("3-2-1201")
        if not javascript:
            page.get_by_role("button", name="查找").click()
        expect(page.locator(".chosen")).to_contain_text("3栋2单元1201")
        # The common case: a repair for a unit, the owner reporting by phone.
        for hidden in ("#reply_due", "#answer", "[name=answer_now]", "#location", "#reporter_name", "#channel"):
            expect(page.locator(hidden).first).to_be_hidden()
        for shown in ("[name=urgency]", "#photos", "#category_id", "#description"):
            expect(page.locator(shown).first).to_be_visible()
        height = _form_height(page)
        page_height = page.evaluate("document.documentElement.scrollHeight")
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"ticket-form-repair-360-{'js' if javascript else 'nojs'}.png"),
                        full_page=True)
        assert height <= SCREEN, f"the common ticket form is {height:.0f} px tall at 360×640"
        assert_no_sideways_scroll(page)

        # A question: asked whether it can be answered now; the reply time only when it cannot.
        page.get_by_text("咨询", exact=True).click()
        expect(page.get_by_text("能否当场答复")).to_be_visible()
        expect(page.locator("#reply_due")).to_be_hidden()
        expect(page.locator("[name=urgency]").first).to_be_hidden()
        expect(page.locator("#photos")).to_be_hidden()
        page.get_by_text("不能，约定时间答复").click()
        expect(page.locator("#reply_due")).to_be_visible()
        expect(page.locator("#answer")).to_be_hidden()
        inquiry_later = _form_height(page)
        page.get_by_text("能，当场答复").click()
        expect(page.locator("#answer")).to_be_visible()
        expect(page.locator("#reply_due")).to_be_hidden()
        page.get_by_label("类别").select_option(label="费用")
        page.get_by_label("描述").fill("物业费能否按季度交？")
        page.get_by_label("答复内容").fill("可以按季度交，到前台办理。")
        page.get_by_role("button", name="提交工单").click()
        expect(page.locator("body")).to_contain_text("并记录了当场答复")
        print(f"\nticket form at 360×640 ({'js' if javascript else 'nojs'}): repair {height:.0f} px "
              f"(page {page_height} px), question answered later {inquiry_later:.0f} px")
        assert errors == []
    finally:
        context.close()


def test_picking_a_unit_fills_in_parcel_recipient_and_slip_applicant(app, live_server, page, make):
    owner, tenant, users = _site(make)
    with travel("bj-ahead-of-utc", tick=True):  # Saturday 5 Dec in Beijing, still Friday 4 Dec in UTC
        sign_in(page, live_server, users["front_desk"])
        page.goto(f"{live_server}/errands/parcels/new")
        page.locator("#unit_q").fill("3-2-1201")
        expect(page.locator("#lookup")).to_contain_text("已选：3栋2单元1201")
        expect(page.locator(f"#lookup input[name=person_id][value='{owner.id}']")).to_be_checked()
        page.get_by_label("快递公司").select_option("中通")
        page.get_by_label("货架/格口").fill("b-12")
        page.get_by_role("button", name="登记入库").click()
        expect(page.locator("h1")).to_contain_text("王建国")

        page.goto(f"{live_server}/slips/new")
        expect(page.locator("#moving_on")).to_have_value("2026-12-05")  # today on the site's clock
        page.locator("#unit_q").fill("3-2-1201")
        expect(page.locator("#lookup")).to_contain_text("已选：3栋2单元1201")
        expect(page.locator("#applicant_name")).to_have_value("王建国")
        page.locator("label:has(input[name=applicant_role][value=tenant])").click()
        expect(page.locator("#applicant_name")).to_have_value("李小红")
        page.locator("label:has(input[name=applicant_role][value=owner])").click()
        expect(page.locator("#applicant_name")).to_have_value("王建国")
        # A typed name is the clerk's: choosing another unit does not overwrite it.
        page.locator("#applicant_name").fill("张三")
        page.locator("#unit_q").fill("3-2-1201 ")
        page.locator("#unit_q").fill("3-2-1201")
        expect(page.locator("#lookup")).to_contain_text("已选：3栋2单元1201")
        expect(page.locator("#applicant_name")).to_have_value("张三")
        assert_no_sideways_scroll(page)
    assert page.js_errors == []
