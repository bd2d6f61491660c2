"""The offline shell of the steward's phone [issue 16]: a service worker (GET /sw.js, scope /) and
the page it shows when a navigation finds no signal (GET /offline).

The worker keeps:
  * the app shell: the hashed CSS/JS (kept as fetched, cache first) and the offline page;
  * the pages of OFFLINE_PAGES only — the last 今日 and the last few patrol checklists opened —
    and only answers this module marked with `X-Offline-Copy: 1` (a 200 HTML page, not an htmx
    fragment, no query string, for a user who gets the worker). Nothing else is ever stored: no
    POST answer (a reveal of a number, a form), nothing under /privacy, /kiosk, /login, /admin.
Pages are masked already (phones and ID numbers); a kept page is still dropped on sign-out: the
worker forgets every kept page on POST /logout or /kiosk/lock and on any navigation to the sign-in
or lock screen, and app.js deletes the caches and unregisters the worker on every page that does
not ask for it (the sign-in page, a kiosk, a role without patrols).

Only roles that may open 今日 get the worker (and never on a kiosk): `offline_shell` in templates
puts `data-sw` on <body>, which app.js registers. A navigation without signal shows the kept copy
of the page (with a line saying when it was saved) or the offline page, which lists what waits on
the phone to be sent (static/js/offline.js), never the browser's error page.
"""
import hashlib

from flask import Blueprint, make_response, render_template, request, session
from flask_login import current_user

from .access import public
from .web import render_page, static_url

bp = Blueprint("offline", __name__)

# Pages the worker may keep: endpoint -> the path pattern the worker checks (the same in JS).
OFFLINE_PAGES: dict[str, str] = {
    "patrols.today": r"^/patrols/today$",
    "patrols.run": r"^/patrols/[1-9][0-9]{0,9}$",
}
# Paths the worker never keeps, whatever the list above says (checked first).
NEVER_KEPT = r"^/(privacy|kiosk|login|logout|admin|account)(/|$)"
MAX_PATROL_PAGES = 5  # the last few checklists opened; 今日 is one page
# The shell kept at install: what the offline page and every page need (the first page loaded most
# of it: it comes from the browser's cache). A page's other scripts (patrol.js, shrink.js) are kept
# as that page loads them through the worker, so a kept checklist always has its own.
SHELL_FILES = ("css/app.css", "js/app.js", "js/reveal.js", "js/htmx-2.0.11.min.js", "js/offline.js")
OFFLINE_HEADER = "X-Offline-Copy"


def offline_shell() -> bool:
    """Whether this page registers the worker: a signed-in role that may open 今日, not a kiosk."""
    from .access import access_of

    if not current_user.is_authenticated or session.get("kiosk_id"):
        return False
    rule = access_of("patrols.today")
    return rule is not None and bool(current_user.roles & rule.roles)


def _script() -> str:
    shell = [static_url(name) for name in SHELL_FILES]
    body = render_template("core/sw.js", shell=shell, offline_url="/offline", pages=list(OFFLINE_PAGES.values()),
                           never=NEVER_KEPT, max_patrols=MAX_PATROL_PAGES, header=OFFLINE_HEADER, version="@v@")
    # A new deploy (another asset hash, another script) is a new worker: old caches are dropped.
    return body.replace("@v@", hashlib.sha256(body.encode()).hexdigest()[:12])


@bp.get("/sw.js")
@public  # an update check may come after the session ended; the script holds no data
def service_worker():
    resp = make_response(_script())
    resp.mimetype = "text/javascript"
    resp.headers["Cache-Control"] = "no-cache"  # the browser asks again on each check
    resp.headers["Service-Worker-Allowed"] = "/"  # scope: every page (the worker picks what to keep)
    return resp


@bp.get("/offline")
@public  # kept by the worker at install without cookies: a page with nobody's data on it
def page():
    return render_page("core/offline.html", block="content")


def mark_keepable(resp):
    """after_request: `X-Offline-Copy: 1` on a page the worker may keep (see the module's doc)."""
    if (request.method == "GET" and request.endpoint in OFFLINE_PAGES and resp.status_code == 200
            and resp.mimetype == "text/html" and not request.args and not request.headers.get("HX-Request")
            and offline_shell()):
        resp.headers[OFFLINE_HEADER] = "1"
    return resp


def init_app(app) -> None:
    app.register_blueprint(bp)
    app.after_request(mark_keepable)
    app.context_processor(lambda: {"offline_shell": offline_shell()})
