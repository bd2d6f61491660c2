"""The steward's phone without signal [issue 16], in Chromium at 360×640 under slow-4G and 4× CPU
throttling (CDP), with the service worker of propsvc/core/offline.py:
  * a reload without signal shows the kept checklist (saying when it was saved) with the taps
    waiting on the phone; a page never kept shows the offline page, which lists what waits to be
    sent, never the browser's error page; the taps are sent once when the signal is back;
  * 完成巡查 pressed without signal is kept with visible feedback, survives a reload and is saved
    exactly once when the signal is back (also when the same form is sent again);
  * 退出 leaves no cache and no worker behind."""
import re
import time

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect
from sqlalchemy import func, select

from .conftest import sign_in

pytestmark = pytest.mark.browser

# DevTools' "Slow 4G" as Lighthouse applies it: 150 ms RTT × 3.75, 1.6 Mbit/s down, 750 kbit/s up (× 0.9).
SLOW_4G = {"offline": False, "latency": 562.5, "downloadThroughput": 1.6e6 * 0.9 / 8,
           "uploadThroughput": 750e3 * 0.9 / 8}


def throttle(page):
    """Slow 4G and a 4× slower CPU on this page (again after each set_offline(False), which
    resets the network conditions)."""
    cdp = getattr(page, "_cdp", None) or page.context.new_cdp_session(page)
    page._cdp = cdp
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", SLOW_4G)
    cdp.send("Emulation.setCPUThrottlingRate", {"rate": 4})


def offline(page):
    """No signal: for the page and its worker (Playwright), and in this CDP session's conditions
    too (the last conditions set decide navigator.onLine)."""
    page.context.set_offline(True)
    if getattr(page, "_cdp", None):
        page._cdp.send("Network.emulateNetworkConditions", {**SLOW_4G, "offline": True})


def online(page):
    page.context.set_offline(False)
    throttle(page)


KEPT = """async () => {
  const out = [];
  for (const name of await caches.keys()) {
    if (!name.startsWith('propsvc-pages-')) continue;
    const cache = await caches.open(name);
    for (const r of await cache.keys()) out.push(new URL(r.url).pathname);
  }
  return out.sort();
}"""


def wait_kept(page, *paths, timeout=20):
    """Wait until the worker keeps these pages."""
    end = time.monotonic() + timeout
    while True:
        kept = page.evaluate(KEPT)
        if set(paths) <= set(kept):
            return kept
        if time.monotonic() > end:
            raise AssertionError(f"not kept: {set(paths) - set(kept)} (kept: {kept})")
        time.sleep(0.2)


def with_worker(page, live_server, steward):
    """Sign in (the steward lands on 今日, which registers the worker), wait until the worker
    controls the page, and open 今日 again so that it is kept."""
    sign_in(page, live_server, steward)
    expect(page.locator("body")).to_have_attribute("data-sw", "/sw.js")
    page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=20_000)
    page.goto(f"{live_server}/patrols/today")
    wait_kept(page, "/patrols/today")


def start_patrol(page, live_server) -> int:
    page.goto(f"{live_server}/patrols/start")
    page.locator("label", has_text="楼栋单元巡查表").click()
    page.locator("#building_id").select_option(label="3栋")
    page.get_by_role("button", name="开始巡查").click()
    page.wait_for_url(re.compile(r".*/patrols/\d+$"))
    pid = int(page.url.rsplit("/", 1)[1])
    wait_kept(page, f"/patrols/{pid}")
    return pid


def finish_without_signal(page, last: str = "正常") -> int:
    """On a started patrol's checklist, slowed down: every item but the last tapped with signal
    (and sent), then the signal drops, the last item is tapped and 完成巡查 pressed: both kept on
    the phone, with visible feedback. Returns the number of items."""
    throttle(page)
    rows = page.locator("#pl li.pi")
    total = rows.count()
    for i in range(total - 1):
        rows.nth(i).get_by_role("button", name="正常").click()
    expect(page.locator("#pq")).to_be_hidden(timeout=30_000)
    offline(page)
    rows.nth(total - 1).get_by_role("button", name=last).click()
    page.get_by_role("button", name="完成巡查").click()
    expect(page.locator("#pq")).to_contain_text("完成巡查已记下")
    expect(page.locator("#pf button")).to_have_text("完成巡查（待发送）")
    return total


def _site(app, make):
    c = make.community("新澳花园北区")
    b = make.building(c, "3")
    unit = make.unit(b, 2, "1201")
    make.person(unit, phone="13812345678", id_number="110101199003071233")
    return make.user("steward", communities=[c], buildings=[b], name="李管家")


def _db(app, fn):
    from propsvc.extensions import db

    with app.app_context():
        try:
            return fn(db.session)
        finally:
            db.session.remove()


def _results(app, pid):
    from propsvc.patrols.models import PatrolResult

    return _db(app, lambda s: [(r.item_id, r.result) for r in s.scalars(
        select(PatrolResult).where(PatrolResult.patrol_id == pid).order_by(PatrolResult.item_id))])


def _events(app, action, pid):
    from propsvc.core.models import Event

    return _db(app, lambda s: s.scalar(select(func.count()).select_from(Event).where(
        Event.action == action, Event.object_id == pid)))


def test_offline_reload_shows_the_kept_checklist_and_other_pages_the_offline_page_with_queued_taps(
        app, live_server, page, make, shot):
    steward = _site(app, make)
    with_worker(page, live_server, steward)
    pid = start_patrol(page, live_server)
    throttle(page)
    rows = page.locator("#pl li.pi")
    total = rows.count()
    rows.nth(0).get_by_role("button", name="正常").click()
    expect(rows.nth(0).locator(".pu")).to_have_count(0)
    assert len(_results(app, pid)) == 1

    # The signal drops: two taps wait on the phone.
    offline(page)
    rows.nth(1).get_by_role("button", name="正常").click()
    rows.nth(2).get_by_role("button", name="不适用").click()
    expect(page.locator("#pq")).to_contain_text("2 项待发送")

    # A reload without signal: the kept checklist, the saved tap in it, the waiting ones laid over it.
    page.reload()
    expect(page.locator("[data-offline-copy]")).to_contain_text("无信号：这是")
    expect(page.locator("h1")).to_contain_text("3栋")
    expect(rows.nth(0).locator("button[value=ok]")).to_have_attribute("aria-pressed", "true")
    for i in (1, 2):
        expect(rows.nth(i)).to_contain_text("未同步")
    expect(rows.nth(2).locator("button[value=na]")).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#pq")).to_contain_text("2 项待发送（无信号，恢复后自动发送）")
    expect(page.locator(".pg")).to_contain_text(f"已完成 3/{total}")
    shot("kept-checklist")

    # A page never kept: the offline page, listing what waits, never the browser's error page.
    page.goto(f"{live_server}/tickets/new")
    expect(page.locator("h1")).to_have_text("没有网络连接")
    waiting = page.locator("#off-wait li")
    expect(waiting).to_have_count(1)
    expect(waiting).to_contain_text("2 项待发送")
    expect(waiting.locator("a")).to_have_attribute("href", f"/patrols/{pid}")
    expect(waiting.locator("a")).to_contain_text("3栋")
    kept = page.locator("#off-pages li a")
    expect(kept).to_have_count(2)
    expect(page.locator("#off-pages")).to_contain_text("今日")
    shot("offline-page")
    # 今日 was kept as well. Leaving the offline page can race its own reload: it reloads on the
    # browser's "online" event, which the emulated network fired once in CI while still offline
    # (stop 30: the page was left on /tickets/new after the goto). A second goto is what a person
    # would do; the kept copy must then be there.
    page.goto(f"{live_server}/patrols/today")
    if not page.url.endswith("/patrols/today"):
        page.goto(f"{live_server}/patrols/today")
    expect(page).to_have_url(re.compile(r".*/patrols/today$"))
    expect(page.locator("[data-offline-copy]")).to_be_visible()
    expect(page.locator("h1")).to_contain_text("今日")

    # A form sent without signal (退出 here): the offline page says it was not sent; and signing
    # out forgets the kept pages even without signal.
    page.get_by_role("button", name="退出").click()
    expect(page.locator("h1")).to_have_text("没有网络连接")
    expect(page.locator("[data-offline-post]")).to_be_visible()
    assert page.evaluate(KEPT) == []

    # The signal returns: the offline page opens 首页 (still signed in: 退出 never left the phone),
    # the patrol opens from the network and sends the two taps, once.
    online(page)
    page.wait_for_url(re.compile(r".*/patrols/today$"))
    page.goto(f"{live_server}/patrols/{pid}")
    expect(page.locator("[data-offline-copy]")).to_have_count(0)
    expect(page.locator("#pq")).to_be_hidden(timeout=20_000)
    assert [r for _i, r in _results(app, pid)] == ["ok", "ok", "na"]
    assert _events(app, "patrol.tapped", pid) == 3
    assert page.js_errors == []


def test_finish_pressed_without_signal_is_kept_and_saved_once_when_the_signal_returns(
        app, live_server, page, make, shot):
    from propsvc.patrols.models import Patrol

    steward = _site(app, make)
    with_worker(page, live_server, steward)
    pid = start_patrol(page, live_server)
    total = finish_without_signal(page, last="不适用")
    expect(page.locator("#pq")).to_contain_text("无信号，恢复后自动发送")
    shot("finish-offline")
    key = page.evaluate(f"() => JSON.parse(localStorage.getItem('propsvc.patrol.{pid}.finish'))[0].k")

    # Kept over a reload without signal.
    page.reload()
    expect(page.locator("[data-offline-copy]")).to_be_visible()
    expect(page.locator("#pf button")).to_have_text("完成巡查（待发送）")
    expect(page.locator("#pq")).to_contain_text("完成巡查已记下，等 1 项发送后提交")
    assert _db(app, lambda s: s.get(Patrol, pid).finished_at) is None
    assert len(_results(app, pid)) == total - 1

    # The signal returns: the last tap, then 完成巡查, once; the page opens with the server's message.
    online(page)
    expect(page.locator(".flash")).to_contain_text("巡查已完成", timeout=30_000)
    expect(page.locator("#pf")).to_have_count(0)
    assert _db(app, lambda s: s.get(Patrol, pid).finished_at) is not None
    assert len(_results(app, pid)) == total and _events(app, "patrol.tapped", pid) == total
    assert _events(app, "patrol.finished", pid) == 1
    assert page.evaluate(f"() => localStorage.getItem('propsvc.patrol.{pid}.finish')") is None

    # The same 完成巡查 sent again (its answer lost on the way): nothing finished twice.
    status = page.evaluate("""async ([pid, key]) => {
      const token = JSON.parse(document.body.getAttribute('hx-headers'))['X-CSRFToken'];
      const body = new FormData(); body.append('csrf_token', token); body.append('client_key', key);
      const r = await fetch('/patrols/' + pid + '/finish?f', {method: 'POST', body, headers: {'X-CSRFToken': token}});
      return [r.status, new URL(r.url).pathname];
    }""", [pid, key])
    assert status == [200, f"/patrols/{pid}"]
    assert _events(app, "patrol.finished", pid) == 1
    assert page.js_errors == []


def test_sign_out_drops_every_kept_page_and_the_worker(app, live_server, page, make):
    steward = _site(app, make)
    with_worker(page, live_server, steward)
    start_patrol(page, live_server)
    assert len(page.evaluate(KEPT)) == 2
    page.get_by_role("button", name="退出").click()
    page.wait_for_url(re.compile(r".*/login"))
    page.wait_for_function("""async () => (await caches.keys()).length === 0
        && (await navigator.serviceWorker.getRegistrations()).length === 0""", timeout=15_000)
    # Nothing is left to show without signal: the browser has no copy of the steward's pages.
    page.context.set_offline(True)
    with pytest.raises(PlaywrightError, match="ERR_INTERNET_DISCONNECTED"):
        page.goto(f"{live_server}/patrols/today")
    page.context.set_offline(False)
    assert page.js_errors == []
