"""A tap the server cannot take is never dropped [D3]: on a phone at 360×640, a tap answered 422
(with the server's reason) and one answered 413 go to the 需处理 list above the checklist, each
with its Chinese reason and 重试 / 放弃, while the other taps carry on; the list survives a reload,
finishing waits for it, 重试 saves the tap once the server takes it, 放弃 leaves the item as the
server has it."""
import re

import pytest
from playwright.sync_api import expect

from .conftest import assert_no_sideways_scroll, sign_in
from .test_patrol_offline import _results, _site

pytestmark = pytest.mark.browser


def _start_patrol(page, live_server, steward) -> int:
    """Sign in as the steward and start a building patrol of 3栋; the patrol's id."""
    sign_in(page, live_server, steward)
    page.goto(f"{live_server}/patrols/start")
    page.locator("label", has_text="楼栋单元巡查表").click()
    page.locator("#building_id").select_option(label="3栋")
    page.get_by_role("button", name="开始巡查").click()
    page.wait_for_url(re.compile(r".*/patrols/\d+$"))
    return int(page.url.rsplit("/", 1)[1])


def _tap_route(pid, item):
    return re.compile(rf"/patrols/{pid}/items/{item}(\?|$)")


def test_refused_taps_wait_in_the_needs_attention_list(app, live_server, page, make, shot):
    steward, _supervisor = _site(app, make)
    pid = _start_patrol(page, live_server, steward)
    rows = page.locator("#pl li.pi")
    ids = [int(rows.nth(i).get_attribute("id")[1:]) for i in range(4)]
    texts = [rows.nth(i).locator(".pt").inner_text() for i in range(4)]
    attention = page.locator("#pa")
    expect(attention).to_be_hidden()

    # The server refuses item 1 with its reason (422 and the row, as the app answers a refusal).
    row_html = rows.nth(1).evaluate("el => el.outerHTML")
    refused = row_html.replace("</p>", '</p><p class="error" role="alert">检查项暂时无法保存（测试）。</p>', 1)
    page.route(_tap_route(pid, ids[1]), lambda route: route.fulfill(
        status=422, body=refused, content_type="text/html; charset=utf-8"))
    # ... and item 2's upload as too big (413, the app's error page).
    page.route(_tap_route(pid, ids[2]), lambda route: route.fulfill(
        status=413, body="<h1>上传的文件太大。</h1>", content_type="text/html; charset=utf-8"))

    rows.nth(1).get_by_role("button", name="正常").click()
    rows.nth(2).get_by_role("button", name="不适用").click()
    rows.nth(3).get_by_role("button", name="正常").click()  # the taps after them carry on

    expect(attention).to_be_visible()
    expect(attention.locator("h2")).to_have_text("需处理（2）")
    items = attention.locator("li")
    expect(items).to_have_count(2)
    expect(items.nth(0)).to_contain_text(f"{texts[1]} · 正常")
    expect(items.nth(0).locator(".error")).to_have_text("检查项暂时无法保存（测试）。")
    expect(items.nth(1)).to_contain_text(f"{texts[2]} · 不适用")
    expect(items.nth(1).locator(".error")).to_contain_text("内容太大")  # no photo in this tap
    expect(rows.nth(1).locator(".pu")).to_have_text("需处理")
    expect(rows.nth(2).locator(".pu")).to_have_text("需处理")
    expect(rows.nth(2).locator("button[value=na]")).to_have_attribute("aria-pressed", "false")  # as the server has it
    expect(rows.nth(3).locator(".pu")).to_have_count(0)
    expect(page.locator("#pq")).to_be_hidden()
    assert [(i, r) for i, r, _k in _results(app, pid)] == [(ids[3], "ok")]
    box = items.nth(0).get_by_role("button", name="重试").bounding_box()
    assert box["height"] >= 44
    assert_no_sideways_scroll(page)
    shot("needs-attention")

    # Finishing waits for the list.
    page.get_by_role("button", name="完成巡查").click()
    expect(page.locator("#pq")).to_contain_text("还有 2 项需处理")

    # The list is kept on the phone: a reload shows it again.
    page.reload()
    attention, rows = page.locator("#pa"), page.locator("#pl li.pi")
    items = attention.locator("li")
    expect(items).to_have_count(2)
    expect(rows.nth(1).locator(".pu")).to_have_text("需处理")

    # The server takes item 1 again: 重试 saves it.
    page.unroute(_tap_route(pid, ids[1]))
    items.nth(0).get_by_role("button", name="重试").click()
    expect(items).to_have_count(1)
    expect(rows.nth(1).locator("button[value=ok]")).to_have_attribute("aria-pressed", "true")
    expect(rows.nth(1).locator(".pu")).to_have_count(0)
    expect(page.locator("#pq")).to_be_hidden()
    assert sorted((i, r) for i, r, _k in _results(app, pid)) == sorted([(ids[1], "ok"), (ids[3], "ok")])

    # 放弃 item 2: gone from the list, the item stays as the server has it (unchecked).
    items.nth(0).get_by_role("button", name="放弃").click()
    expect(attention).to_be_hidden()
    expect(rows.nth(2).locator(".pu")).to_have_count(0)
    expect(rows.nth(2).locator("button[value=na]")).to_have_attribute("aria-pressed", "false")
    assert len(_results(app, pid)) == 2
    stored = page.evaluate("() => Object.keys(localStorage).sort()")
    assert stored == ["propsvc.tapseq"]
    assert page.js_errors == []


def _refused_tap(page, pid, index, status, body):
    """Tap 正常 on the index-th item while the server answers `status`: it waits in 需处理."""
    row = page.locator("#pl li.pi").nth(index)
    item = int(row.get_attribute("id")[1:])
    page.route(_tap_route(pid, item), lambda route: route.fulfill(status=status, body=body))
    row.get_by_role("button", name="正常").click()
    expect(page.locator("#pa li")).to_have_count(1)
    return row, item


def test_a_new_choice_replaces_the_tap_that_needs_attention(app, live_server, page, make):
    """A tap answered 404 waits in the list until the steward taps the item again; a tap
    answered 409 (the patrol was finished elsewhere) waits there too."""
    steward, _supervisor = _site(app, make)
    pid = _start_patrol(page, live_server, steward)
    row, item = _refused_tap(page, pid, 0, 404, "<h1>页面或记录不存在。</h1>")
    expect(page.locator("#pa li .error")).to_contain_text("此检查项已不在本巡查表中")
    page.unroute(_tap_route(pid, item))
    row.get_by_role("button", name="不适用").click()  # the steward chooses again
    expect(page.locator("#pa")).to_be_hidden()
    expect(row.locator(".pu")).to_have_count(0)
    assert [(i, r) for i, r, _k in _results(app, pid)] == [(item, "na")]

    # Finished elsewhere (409): the tap is kept in the list too, not thrown away.
    _refused_tap(page, pid, 1, 409, "<h1>巡查已结束</h1>")
    expect(page.locator("#pa li .error")).to_have_text("巡查已结束，此项未能保存。")
    expect(page.locator("#pq")).to_contain_text("巡查已结束，不能再修改。")
    assert page.js_errors == []


def test_a_refusal_in_plain_words_is_shown_as_it_is(app, live_server, page, make):
    steward, _supervisor = _site(app, make)
    pid = _start_patrol(page, live_server, steward)
    _refused_tap(page, pid, 0, 422, "该项需要拍照，请补拍后重试。")
    expect(page.locator("#pa li .error")).to_have_text("该项需要拍照，请补拍后重试。")
    assert page.js_errors == []
