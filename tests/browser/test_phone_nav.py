"""Every role on a phone (360×640) [issue 16, items 4 and 7], on the whole demo site
(tests/fullsite.py), page by page over 首页 and each place of the role's bar:

(a) axe-core (axe-playwright-python, which bundles it: no network) finds no serious or critical
    violation;
(b) thumb-sized: no visible control smaller than 44×44 px (links, buttons, inputs, selects,
    text areas, <summary>; a radio or checkbox is measured by the label that wraps or names it,
    which is what a thumb hits), and no visible text under 16 px;
(c) the navigation shows at most five places and 更多, fixed at the bottom of the screen, and the
    place one is at is visible there (in the bar, or as the 更多 label) even scrolled to the end.

And the guard: signing in lands on the gate, and the serial field, the worker's photo and
确认放行 for a slip of today all lie within the first 360×640 screen."""
import pytest
from playwright.sync_api import expect

from .conftest import ARTIFACTS, VIEWPORT
from propsvc.core import nav

pytestmark = [pytest.mark.browser, pytest.mark.layout]

MIN_TARGET = 44
MIN_TEXT = 16

# Every visible control smaller than MIN_TARGET (a radio or checkbox: its label). Hidden ones
# (display:none, visibility:hidden, inside a closed <details>, zero size) are not there to hit.
# Links inside running text are exempt, as WCAG 2.5.8 exempts them ("inline" targets whose size
# the line of text sets): a link whose parent element also holds text of its own outside links.
SMALL_TARGETS_JS = """(min) => {
  const seen = new Set(), out = [];
  const shown = el => el.checkVisibility({visibilityProperty: true}) && el.getClientRects().length > 0;
  const inline = a => a.tagName === 'A' && getComputedStyle(a).display === 'inline' &&
    [...a.parentElement.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
  for (let el of document.querySelectorAll('a[href], button, input:not([type=hidden]), select, textarea, summary')) {
    if (el.matches('input[type=radio], input[type=checkbox]')) {
      el = el.closest('label') || (el.id && document.querySelector(`label[for="${el.id}"]`)) || el;
    }
    if (seen.has(el)) continue;
    seen.add(el);
    if (!shown(el) || inline(el)) continue;
    const r = el.getBoundingClientRect();
    if (r.width < min - 0.5 || r.height < min - 0.5) {
      out.push(`${el.tagName.toLowerCase()}${el.className ? '.' + el.className : ''} "${(el.innerText || el.value || el.name || '').trim().slice(0, 30)}" ${Math.round(r.width)}×${Math.round(r.height)}`);
    }
  }
  return out;
}"""

# Every visible piece of text set smaller than MIN_TEXT px.
SMALL_TEXT_JS = """(min) => {
  const out = [], walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walk.nextNode()) {
    const t = walk.currentNode, el = t.parentElement;
    if (!t.textContent.trim() || !el || el.closest('script, style, noscript, template')) continue;
    if (!el.checkVisibility({visibilityProperty: true}) || !el.getClientRects().length) continue;
    const size = parseFloat(getComputedStyle(el).fontSize);
    if (size < min - 0.05) out.push(`${el.tagName.toLowerCase()}${el.className && typeof el.className === 'string' ? '.' + el.className : ''} "${t.textContent.trim().slice(0, 20)}" ${size}px`);
  }
  return out;
}"""


def sign_in_as(page, base, username, password):
    page.goto(f"{base}/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(lambda url: "/login" not in url)


def axe_serious(page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [f"{v['id']} ({v['impact']}): {v['help']} — " + "; ".join(n["html"][:120] for n in v["nodes"][:4])
            for v in results.response["violations"] if v["impact"] in ("serious", "critical")]


def nav_state(page) -> dict:
    return page.evaluate("""() => {
      const bar = [...document.querySelectorAll('nav.nav > a')];
      const more = document.querySelector('nav.nav > details.more-menu');
      const cur = document.querySelector('nav.nav [aria-current]');
      const sum = more && more.querySelector('summary');
      const box = el => { const r = el.getBoundingClientRect(); return {top: r.top, bottom: r.bottom, left: r.left, right: r.right}; };
      return {
        bar: bar.map(a => a.textContent.trim()),
        more: more ? [...more.querySelectorAll('.more-list a')].map(a => a.textContent.trim()) : null,
        summary: sum ? sum.textContent.trim() : null,
        summaryBox: sum ? box(sum) : null,
        current: cur ? cur.textContent.trim() : null,
        currentInBar: cur ? cur.parentElement.matches('nav.nav') : null,
        currentBox: cur && cur.parentElement.matches('nav.nav') ? box(cur) : null,
        navBox: box(document.querySelector('nav.nav')),
      };
    }""")


def on_screen(box) -> bool:
    return box is not None and box["top"] >= 0 and box["bottom"] <= VIEWPORT["height"] + 0.5 \
        and box["left"] >= 0 and box["right"] <= VIEWPORT["width"] + 0.5


def check_nav(page, expected_label: str | None, where: str) -> list[str]:
    """(c): ≤ 5 places and 更多 at the bottom of the screen, the current place visible — also
    scrolled to the end of the page."""
    problems = []
    for scrolled in (False, True):
        if scrolled:
            page.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)")
        s = nav_state(page)
        if len(s["bar"]) > nav.MAX_BAR:
            problems.append(f"{where}: {len(s['bar'])} places in the bar: {s['bar']}")
        if not on_screen(s["navBox"]) or s["navBox"]["bottom"] < VIEWPORT["height"] - 1:
            problems.append(f"{where}: the bar is not at the bottom of the screen ({s['navBox']})")
        if expected_label is None:
            continue
        if s["currentInBar"]:
            if s["current"] != expected_label or not on_screen(s["currentBox"]):
                problems.append(f"{where}: current place {s['current']!r} (expected {expected_label!r}) not shown")
        elif s["summary"] is None or expected_label not in s["summary"] or not on_screen(s["summaryBox"]):
            problems.append(f"{where}: current place {expected_label!r} neither in the bar nor the 更多 label ({s})")
    page.evaluate("window.scrollTo(0, 0)")
    return problems


# The desk's forms (its 首页 buttons), with a home chosen so the recipient and applicant radios show.
DESK_FORMS = ("/errands/parcels/new?unit_id={unit_id}", "/slips/new?unit_id={unit_id}", "/desk/visitors/new",
              "/tickets/new?unit_id={unit_id}")


def key_pages(app, roles: set[str]) -> list[tuple[str, str | None]]:
    """(URL, the bar label of the place it is) of 首页, the role's bar places and its first place
    under 更多 (shown as the 更多 label there)."""
    with app.test_request_context():
        from flask import url_for

        from propsvc.core.access import access_of

        def can(endpoint):
            rule = access_of(endpoint)
            return rule is not None and bool(set(roles) & rule.roles)

        n = nav.nav_for(frozenset(roles), "core.home", can)
        pages = [("/", None)] + [(url_for(p.endpoint), p.bar_label) for p in n.bar if p.endpoint != "core.home"]
        pages += [(url_for(p.endpoint), p.bar_label) for p in n.more[:1]]
    return pages


ROLES = ("steward", "front_desk", "supervisor", "manager", "technician", "guard", "finance", "admin")


@pytest.mark.parametrize("role", ROLES)
def test_key_pages_for_each_role_are_accessible_thumb_sized_with_the_place_in_view(app, full_site, live_server,
                                                                                   page, role):
    sign_in_as(page, live_server, full_site.users[role], full_site.password)
    problems = []
    pages = key_pages(app, {role})
    if role == "front_desk":
        pages += [(url.format(unit_id=full_site.ids["unit_id"]), None) for url in DESK_FORMS]
    for url, label in pages:
        page.goto(f"{live_server}{url}")
        page.wait_for_load_state("load")
        where = f"{role} {page.url.removeprefix(live_server)}"
        ARTIFACTS.mkdir(exist_ok=True)
        name = url.split("?")[0].strip("/").replace("/", "_") or "home"
        page.screenshot(path=str(ARTIFACTS / f"phone-nav-{role}-{name}.png"))
        problems += [f"{where}: axe {v}" for v in axe_serious(page)]
        problems += [f"{where}: small target {t}" for t in page.evaluate(SMALL_TARGETS_JS, MIN_TARGET)]
        problems += [f"{where}: small text {t}" for t in page.evaluate(SMALL_TEXT_JS, MIN_TEXT)]
        if label is not None:
            problems += check_nav(page, label, where)
        assert page.evaluate("document.documentElement.scrollWidth") <= VIEWPORT["width"], where
    assert not page.js_errors, page.js_errors
    assert not problems, "\n".join(problems)


FAKE_SCANNER = """
window.BarcodeDetector = function () {};
window.BarcodeDetector.getSupportedFormats = function () { return Promise.resolve(["qr_code"]); };
window.BarcodeDetector.prototype.detect = function () { return Promise.resolve([]); };
"""


def gate_serials(app, site) -> tuple[str, str]:
    """The serial of a valid worker pass with a photo, and of a slip approved for today."""
    from sqlalchemy import select

    from propsvc.core.timefmt import site_today
    from propsvc.documents.models import DocKind, Document
    from propsvc.extensions import db
    from propsvc.renovation.models import Renovation, RenovationState, Worker
    from propsvc.slips.models import ReleaseSlip, SlipState

    with app.app_context():
        pass_serial = db.session.scalar(
            select(Document.serial).join(Worker, Worker.id == Document.object_id)
            .join(Renovation, Renovation.id == Worker.renovation_id)
            .where(Document.kind == str(DocKind.PASS), Document.object_type == "worker",
                   Document.community_id == site.community_id, Worker.photo_path.is_not(None),
                   Worker.returned_at.is_(None), Renovation.state == RenovationState.APPROVED,
                   Document.valid_until >= site_today())
            .order_by(Document.id.desc()).limit(1))
        slip = db.session.scalars(select(ReleaseSlip).where(
            ReleaseSlip.community_id == site.community_id, ReleaseSlip.state == SlipState.APPROVED,
            ReleaseSlip.released_at.is_(None), ReleaseSlip.moving_on == site_today())).first()
        slip_serial = slip.serial if slip is not None else None
        db.session.remove()
    assert pass_serial and slip_serial, "the demo has a valid pass with a photo and a slip for today"
    return pass_serial, slip_serial


def above_the_bar(page, locator) -> bool:
    """Wholly inside the first screen and not under the bottom bar (no scrolling needed)."""
    box = locator.bounding_box()
    bar_top = page.evaluate("document.querySelector('nav.nav').getBoundingClientRect().top")
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= bar_top + 0.5


def test_guard_lands_on_the_gate_with_field_photo_and_release_in_the_first_screen(app, full_site, live_server,
                                                                                    page, shot):
    """A guard signs in straight to 门岗查验 (not 首页); with the 扫码 button a phone with a camera
    shows, the serial field, a pass's photo and a slip's 确认放行 each fit the first screen."""
    pass_serial, slip_serial = gate_serials(app, full_site)
    page.add_init_script(FAKE_SCANNER)
    sign_in_as(page, live_server, full_site.users["guard"], full_site.password)
    assert page.url.removeprefix(live_server) == "/renovations/gate"
    expect(page.get_by_role("button", name="扫码")).to_be_visible()
    field = page.get_by_label("出入证编号")
    assert above_the_bar(page, field) and above_the_bar(page, page.get_by_role("button", name="扫码"))
    assert check_nav(page, "门岗", "guard gate") == []

    field.fill(pass_serial)
    page.get_by_role("button", name="查验").click()
    result = page.locator("#gate-result")
    expect(result.locator("[data-status]")).to_have_attribute("data-status", "valid")
    photo = result.locator("img.gate-photo")
    page.wait_for_function("() => { const i = document.querySelector('img.gate-photo'); "
                           "return i && i.complete && i.naturalWidth > 0; }")
    assert page.evaluate("window.scrollY") == 0
    assert above_the_bar(page, photo), photo.bounding_box()
    assert above_the_bar(page, field)
    shot("1-pass")

    field.fill(slip_serial)
    page.get_by_role("button", name="查验").click()
    expect(result.locator("[data-status]")).to_have_attribute("data-status", "valid")
    release = page.get_by_role("button", name="确认放行")
    expect(release).to_be_visible()
    assert page.evaluate("window.scrollY") == 0
    assert above_the_bar(page, release), release.bounding_box()
    shot("2-slip")
    assert not page.js_errors, page.js_errors


@pytest.mark.parametrize("js", [True, False], ids=["js", "no-js"])
def test_more_menu_opens_above_the_bar_and_names_the_place_one_is_at(app, full_site, live_server, chromium, js):
    """A supervisor's 20-odd places: five in the bar, the rest under 更多, a <details> that opens
    upwards inside the screen with thumb-sized rows, with or without JavaScript; on a place from
    更多 its label names that place, and the place is marked current in the opened list."""
    context = chromium.new_context(viewport=VIEWPORT, locale="zh-CN", java_script_enabled=js)
    context.set_default_timeout(10_000)
    try:
        page = context.new_page()
        sign_in_as(page, live_server, full_site.users["supervisor"], full_site.password)
        s = nav_state(page)
        assert s["bar"] == ["首页", "派单", "今日", "早会", "统计"] and s["summary"] == "更多"
        summary = page.locator("nav.nav details.more-menu > summary")
        summary.click()
        menu = page.locator("nav.nav .more-list")
        expect(menu).to_be_visible()
        box = menu.bounding_box()
        bar_top = page.evaluate("document.querySelector('nav.nav').getBoundingClientRect().top")
        assert box["y"] >= 0 and box["y"] + box["height"] <= bar_top + 1 and box["x"] + box["width"] <= VIEWPORT["width"]
        assert page.evaluate(SMALL_TARGETS_JS, MIN_TARGET) == []
        page.screenshot(path=str(ARTIFACTS / f"phone-nav-more-open-{'js' if js else 'nojs'}.png"))
        names = menu.locator("a").all_inner_texts()
        assert "巡查设置" in names and "号码查看记录" in names and "派单队列" not in names  # the bar's are not repeated
        assert page.evaluate("getComputedStyle(document.querySelector('.more-list')).overflowY") == "auto"  # a long list scrolls
        if js:  # a tap outside closes it (app.js); without JS a tap on 更多 does
            page.locator("main h1").click()
            expect(menu).to_be_hidden()
        else:
            summary.click()
            expect(menu).to_be_hidden()
        summary.click()
        menu.get_by_role("link", name="巡查设置").click()
        page.wait_for_url("**/patrols/admin")
        s = nav_state(page)
        assert s["summary"].endswith("巡查设置") and on_screen(s["summaryBox"]) and s["current"] == "巡查设置"
        assert page.locator("nav.nav > a[aria-current]").count() == 0
        page.screenshot(path=str(ARTIFACTS / f"phone-nav-more-here-{'js' if js else 'nojs'}.png"))
        # A page of a place (a plan of 巡查设置) keeps the place shown.
        page.goto(f"{live_server}/patrols/plans")
        assert nav_state(page)["summary"].endswith("巡查设置")
        # A ticket's page belongs to 派单 for a supervisor (the bar's place wins over 我的工单 in 更多).
        page.goto(f"{live_server}/tickets/{full_site.ids['ticket_id']}")
        s = nav_state(page)
        assert s["current"] == "派单" and s["currentInBar"] and s["summary"] == "更多"
    finally:
        context.close()
