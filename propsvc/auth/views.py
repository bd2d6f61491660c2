"""Sign-in and sign-out, the kiosk lock screen, kiosk registration, community switch."""
import time

from flask import Blueprint, current_app, flash, g, redirect, request, session, url_for
from flask_login import current_user, login_user, logout_user

from ..core.access import allow, public
from ..core.roles import KIOSK_ADMINS
from ..core.services import record
from ..core.web import is_htmx, local_path, render_page
from ..extensions import csrf, db, login_manager
from . import services
from .forms import CommunityForm, KioskRegisterForm, LoginForm, PinForm
from .models import User

bp = Blueprint("auth", __name__)

FAILED = "用户名或密码错误。连续输错5次，账户将锁定15分钟。"
FAILED_PIN = "用户名或PIN错误。连续输错5次，账户将锁定15分钟。"


@login_manager.user_loader
def _load_user(user_id: str):
    return db.session.get(User, int(user_id))


@login_manager.unauthorized_handler
def _unauthorized():
    target = url_for("auth.kiosk") if current_kiosk() else url_for("auth.login", next=_safe_next(request.full_path))
    if is_htmx():
        resp = current_app.response_class(status=401)
        resp.headers["HX-Redirect"] = target
        return resp
    return redirect(target)


def _safe_next(value: str | None) -> str | None:
    value = local_path((value or "").rstrip("?"))
    return value if value and not value.startswith("/login") else None


def current_kiosk():
    if "kiosk" not in g:
        g.kiosk = services.kiosk_for_token(request.cookies.get(services.KIOSK_COOKIE))
    return g.kiosk


def _start_session(user: User, kiosk=None) -> None:
    session.clear()
    login_user(user)
    # Flask-Login's 128-character session identifier only serves its "session protection",
    # which is off (phones change IP all the time); dropping it keeps every request's
    # cookie small (a patrol tap must stay under 1 KB on the wire).
    session.pop("_id", None)
    session["seen"] = int(time.time())
    if kiosk is not None:
        session["kiosk_id"] = kiosk.id
        session["community_id"] = kiosk.community_id


def end_session(reason: str) -> None:
    if current_user.is_authenticated:
        record("auth.sign_out", current_user._get_current_object(), reason=reason)
        db.session.commit()
    logout_user()
    session.clear()


def idle_seconds() -> int | None:
    """The idle limit of the current session (shorter on a shared kiosk)."""
    if not current_user.is_authenticated:
        return None
    key = "KIOSK_IDLE_SECONDS" if session.get("kiosk_id") else "SESSION_IDLE_SECONDS"
    return current_app.config[key]


def check_idle():
    """before_request: end a session left idle too long; kiosks go back to the lock screen."""
    limit = idle_seconds()
    if limit is None:
        return None
    now = int(time.time())
    if now - session.get("seen", 0) > limit:
        was_kiosk = bool(session.get("kiosk_id"))
        end_session("idle")
        if request.endpoint in ("auth.login", "auth.kiosk", "static_files.static_file"):
            return None
        return current_app.login_manager.unauthorized() if not was_kiosk else _to(url_for("auth.kiosk"))
    if now - session.get("seen", 0) >= min(15, limit // 4) and request.headers.get("X-Poll") != "1":  # polls are not activity
        session["seen"] = now
    return None


def _to(url: str):
    if is_htmx():
        resp = current_app.response_class(status=204)
        resp.headers["HX-Redirect"] = url
        return resp
    return redirect(url, 303)


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        user = services.authenticate(form.username.data, form.password.data)
        if user is not None:
            _start_session(user)
            return _to(_safe_next(request.args.get("next")) or url_for("core.home"))
        form.password.errors.append(FAILED)
        status = 401
    elif form.is_submitted():
        status = 400
    return render_page("auth/login.html", block="content", status=status, form=form)


@bp.post("/logout")
@allow(scope="none")
def logout():
    kiosk = bool(session.get("kiosk_id"))
    end_session("logout")
    return _to(url_for("auth.kiosk") if kiosk else url_for("auth.login"))


@bp.route("/kiosk", methods=["GET", "POST"])
@public
def kiosk():
    """The kiosk's lock screen: any front-desk member switches in with username + PIN."""
    kiosk = current_kiosk()
    if kiosk is None:
        return render_page("auth/kiosk.html", block="content", status=403, kiosk=None, form=None)
    if current_user.is_authenticated and request.method == "GET" and session.get("kiosk_id") == kiosk.id:
        return redirect(url_for("core.home"))
    form = PinForm()
    status = 200
    if form.validate_on_submit():
        user = services.authenticate(form.username.data, form.pin.data, kiosk=kiosk)
        if user is not None:
            _start_session(user, kiosk)
            return _to(url_for("core.home"))
        form.pin.errors.append(FAILED_PIN)
        status = 401
    elif form.is_submitted():
        status = 400
    from ..notices.services import board  # [F2] current notices, public information only

    return render_page("auth/kiosk.html", block="content", status=status, kiosk=kiosk, form=form,
                       notices=board(kiosk.community_id))


@bp.post("/kiosk/lock")
@public
@csrf.exempt  # locking can do no harm, and must work even when the session has already lapsed
def kiosk_lock():
    end_session("lock")
    return _to(url_for("auth.kiosk"))


@bp.route("/kiosk/register", methods=["GET", "POST"])
@allow(*KIOSK_ADMINS)
def kiosk_register():
    """Register this PC as a shared front-desk kiosk of the current community."""
    form = KioskRegisterForm()
    if form.validate_on_submit():
        _kiosk, token = services.register_kiosk(g.community.id, form.name.data)
        end_session("kiosk_registered")
        resp = redirect(url_for("auth.kiosk"), 303)
        resp.set_cookie(services.KIOSK_COOKIE, token, max_age=5 * 365 * 24 * 3600, httponly=True,
                        samesite="Lax", secure=current_app.config["SESSION_COOKIE_SECURE"])
        return resp
    status = 400 if form.is_submitted() else 200
    return render_page("auth/kiosk_register.html", block="content", status=status, form=form)


@bp.post("/community")
@allow(scope="none")
def switch_community():
    form = CommunityForm()
    form.community_id.choices = [(c.id, c.name) for c in current_user.communities]
    if form.validate_on_submit():
        if session.get("kiosk_id"):
            flash("前台终端固定在本小区。", "error")
        else:
            session["community_id"] = form.community_id.data
    return redirect(url_for("core.home"), 303)
