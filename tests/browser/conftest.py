"""Browser fixtures: the session's `app` served over real HTTP, and Debian's chromium
driven through Playwright (sync API) at a phone-sized 360×640 viewport.

No browser is ever downloaded: the tests use /usr/bin/chromium. Without it they are
skipped, except on CI (CI=true), where a missing browser is an error."""
import os
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from conftest import PASSWORD

# A printed document fetched by a test: a fresh live server's first print makes the common-character
# font cut (under a second on a quiet machine, over 10 s seen while both test processes ran on a
# slow host). Tests never time the app; this only keeps a slow moment from failing them.
PDF_TIMEOUT_MS = 60_000

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
VIEWPORT = {"width": 360, "height": 640}


def sign_in(page, base, user, password=None):
    """Sign in through the login form as a person would (the test password by default)."""
    page.goto(f"{base}/login")
    page.get_by_label("用户名").fill(user.username)
    page.get_by_label("密码").fill(password or PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(lambda url: "/login" not in url)


def assert_no_sideways_scroll(page):
    """The page fits the phone's width (nothing scrolls sideways at 360 px)."""
    assert page.evaluate("document.documentElement.scrollWidth") <= VIEWPORT["width"]


@pytest.fixture(scope="session")
def live_server(app):
    """Serve the session's app (SQLite, or PostgreSQL with TEST_DATABASE_URL) on a free
    port in a background thread; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture(scope="session")
def chromium():
    if not Path(CHROMIUM).is_file():
        reason = f"{CHROMIUM} not found (install Debian's chromium package; Playwright browsers are never downloaded)"
        if os.environ.get("CI") == "true":
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    pw = sync_playwright().start()
    try:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"],
        )
        try:
            yield browser
        finally:
            browser.close()
    finally:
        pw.stop()


@pytest.fixture
def page(chromium, request):
    """A fresh browser context (own cookies) with one page, 360×640, zh-CN. Uncaught
    JavaScript errors are collected in `page.js_errors`; console errors in `page.console_errors`."""
    context = chromium.new_context(viewport=VIEWPORT, locale="zh-CN", timezone_id="Asia/Shanghai")
    context.set_default_timeout(10_000)
    pg = context.new_page()
    pg.js_errors = []
    pg.console_errors = []
    pg.on("pageerror", lambda exc: pg.js_errors.append(str(exc)))
    pg.on("console", lambda msg: pg.console_errors.append(msg.text) if msg.type == "error" else None)
    yield pg
    context.close()


@pytest.fixture
def shot(page, request):
    """shot("name") saves a full-page screenshot to test-artifacts/<test>-<backend>-name.png."""
    ARTIFACTS.mkdir(exist_ok=True)
    backend = request.node.callspec.params.get("app", "app") if hasattr(request.node, "callspec") else "app"
    prefix = request.node.originalname

    def take(name: str) -> Path:
        path = ARTIFACTS / f"{prefix}-{backend}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
