"""The home page: what each role does first.

On the shared front-desk kiosk (and for the front desk role anywhere) the home page is the
desk's task board: big touch buttons for the common desk tasks, each with a one-line hint, so
someone who has never been trained finds the right form; below them today's notices [F2].
Every button is guarded by can(endpoint): areas that are not installed (or not permitted for
the role) simply do not appear, and url_for is never called for them."""
from flask import Blueprint, current_app, g, redirect, request, session, url_for
from flask_login import current_user

from ..core import hooks
from ..core import nav as places
from ..core.access import allow, can, public
from ..core.roles import Role
from ..core.web import render_page

bp = Blueprint("core", __name__)

# (endpoint, label, hint): the desk's common tasks, in the order a desk works.
DESK_TASKS = (
    ("tickets.new", "新建工单", "报修、投诉、咨询，业主在场登记"),
    ("slips.new", "物品放行条", "搬出大件物品，开条审批"),
    ("frontdesk.visit_new", "访客登记", "来访人员登记，核对身份"),
    ("errands.parcel_new", "快递代收", "代收包裹，通知业主取件"),
    ("renovation.worker_list", "装修出入证", "装修工人办证、缴费、退证"),
    ("registry.search", "房屋查询", "输入房号、业主姓名或手机尾号"),
)
# A desk button shows the live count of the place its task belongs to (core.nav).
DESK_COUNTS = {"slips.new": "slips.index", "frontdesk.visit_new": "frontdesk.visitors",
               "errands.parcel_new": "errands.index", "renovation.worker_list": "renovation.worker_list"}


def desk_mode() -> bool:
    return bool(session.get("kiosk_id")) or current_user.has_role(Role.FRONT_DESK)


def _installed(endpoint: str) -> bool:
    return endpoint in current_app.view_functions


@bp.get("/")
@allow()
def home():
    # A role's day may start elsewhere (core.nav.LANDING: 今日 for a steward, the gate for a
    # guard; never on a shared kiosk); ?all=1 shows this page.
    start = places.landing(current_user.roles, bool(session.get("kiosk_id")), _installed)
    if start is not None and not request.args.get("all"):
        return redirect(url_for(start))
    desk = desk_mode()
    notices = []
    if desk and "notices.index" in current_app.view_functions:
        notices = hooks.joined(hooks.NOTICE_BOARD, g.community.id)
    user = current_user._get_current_object()
    shown = {endpoint for endpoint, _label, _hint in DESK_TASKS if can(endpoint)} if desk else set()
    tiles = places.tiles_for(user, g.community.id, can, _installed, leave_out=shown)
    desk_counts = {}
    if desk:
        for task, endpoint in DESK_COUNTS.items():
            if task in shown and can(endpoint) and _installed(endpoint):
                desk_counts[task] = places.count_of(places.BY_ENDPOINT[endpoint], user, g.community.id)
    return render_page("core/home.html", block="content", desk=desk, desk_tasks=DESK_TASKS, tiles=tiles,
                       desk_counts=desk_counts, notices=notices, calendar_warnings=calendar_warnings_for_me())


def calendar_warnings_for_me() -> list:
    """The working calendar's warnings for the signed-in user (core.hooks.HOME_WARNINGS: tickets
    decides who)."""
    if "tickets.settings" not in current_app.view_functions or g.get("community") is None:
        return []
    return hooks.joined(hooks.HOME_WARNINGS, current_user, g.community.id)


@bp.get("/healthz")
@public
def healthz():
    """For a load balancer: no sign-in, no data; 200 when the database and the upload folder
    work, else 503 (propsvc.core.health). The session hooks leave it alone (auth.views)."""
    from .health import report

    body, status = report()
    return body, status
