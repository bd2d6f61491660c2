"""Sign-in and sign-out, the kiosk lock screen, kiosk registration, community switch."""
from flask import Blueprint, abort, current_app, flash, g, redirect, request, session, url_for
from flask_login import current_user, login_user, logout_user

from ..core.access import allow, public
from ..core.roles import KIOSK_ADMINS, KIOSK_ROLES
from ..core.web import is_htmx, local_path, render_page
from ..extensions import db, login_manager
from . import services, sessions
from .forms import ChangePasswordForm, ChangePinForm, CommunityForm, KioskRegisterForm, LoginForm, PinForm, PlainForm
from .models import User

bp = Blueprint("auth", __name__)

FAILED = "用户名或密码错误。连续输错5次，账户将锁定15分钟。"
FAILED_PIN = "用户名或PIN错误。连续输错5次，账户将锁定15分钟。"


@login_manager.user_loader
def _load_user(user_id: str):
    """The cookie names a user; it counts only while its server-side session row is open."""
    user, why = sessions.check(session.get("sid"), session.get("st"), user_id,
                               activity=request.headers.get("X-Poll") != "1")  # polls are not activity
    if user is None or not user.active:
        g.session_ended = why or "inactive"
        return None
    g.session_id = session["sid"]
    return user


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


def current_session_id() -> int | None:
    """The id of the signed-in request's session row (also in the cookie as "sid")."""
    return g.get("session_id") if current_user.is_authenticated else None


def _start_session(user: User, kiosk=None) -> None:
    """Open a session row for `user` (in the sign-in's write transaction), commit, and put its
    id and token in the cookie. A session this browser had open is ended first (换人 on a kiosk)."""
    previous = current_session_id()
    if previous is not None:
        sessions.end_sessions(current_user.id, "switch" if kiosk is not None else "relogin", only=previous)
    if kiosk is not None:
        kiosk_id, community_id, device = kiosk.id, kiosk.community_id, kiosk.name
    else:
        ids = user.community_ids
        kiosk_id, community_id = None, (min(ids) if ids else None)
        device = sessions.device_label(request.headers.get("User-Agent"))
    row, token = sessions.open_session(user, kiosk_id=kiosk_id, community_id=community_id, device=device)
    sid = row.id
    db.session.commit()
    session.clear()
    login_user(user)
    # Flask-Login's 128-character session identifier only serves its "session protection",
    # which is off (phones change IP all the time; the server-side row does that job); dropping
    # it keeps every request's cookie small (a patrol tap must stay under 1 KB on the wire).
    session.pop("_id", None)
    session["sid"] = sid
    session["st"] = token
    g.session_id = sid
    if kiosk_id is not None:
        session["kiosk_id"] = kiosk_id
        session["community_id"] = community_id


def end_session(reason: str) -> None:
    """End this browser's session: its row on the server, then the cookie."""
    sid = current_session_id()
    if sid is not None:
        sessions.end_sessions(current_user.id, reason, only=sid)
        db.session.commit()
    logout_user()
    session.clear()


def idle_seconds() -> int | None:
    """The idle limit of the current session (shorter on a shared kiosk)."""
    if not current_user.is_authenticated:
        return None
    return sessions.idle_limit(session.get("kiosk_id"))


LAPSED_OK = ("auth.login", "auth.kiosk", "auth.kiosk_lock", "static_files.static_file")
# Routes that never look at the session cookie (no user loaded, no session touched or ended).
# Static files: the same bytes for everyone, so no `Vary: Cookie` and no database read for each.
SESSIONLESS = ("core.healthz", "static_files.static_file")


def check_session():
    """before_request: a cookie whose server-side session is over (ended, idle, account
    deactivated) is dropped and the request treated as signed out; kiosks go to the lock screen."""
    if request.endpoint in SESSIONLESS:
        return None
    if session.get("_user_id") is None or current_user.is_authenticated:
        return None
    was_kiosk = bool(session.get("kiosk_id"))
    logout_user()
    session.clear()
    if request.endpoint in LAPSED_OK:
        return None
    if was_kiosk and current_kiosk() is not None:
        return _to(url_for("auth.kiosk"))
    return current_app.login_manager.unauthorized()


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
@public  # a lapsed session still ends up at the lock screen
def kiosk_lock():
    """锁屏/换人. Needs the CSRF token like every POST; a page too old to carry a valid one
    (its session was replaced meanwhile) still locks: see lock_without_token."""
    end_session("lock")
    return _to(url_for("auth.kiosk"))


def lock_without_token():
    """The CSRF error handler's answer for /kiosk/lock: the lock must never fail into an error
    page, so the session (if any) is ended as "lock_no_token" and the browser sent to the
    lock screen. Cross-site requests carry no session cookie (SameSite=Lax), so nothing else
    can be ended this way."""
    end_session("lock_no_token")
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


# --- 我的账号: own sessions (登录设备), password and PIN ------------------------------------------

def _account_page(status: int = 200, **forms):
    user = current_user._get_current_object()
    forms.setdefault("password_form", ChangePasswordForm(prefix="pw"))
    forms.setdefault("pin_form", ChangePinForm(prefix="pin"))
    return render_page("auth/account.html", status=status, user=user, current_sid=current_session_id(),
                       open_sessions=sessions.open_sessions(user.id), end_form=PlainForm(),
                       may_pin=bool(user.roles & KIOSK_ROLES), **forms)


@bp.get("/account")
@allow(scope="none")
def account():
    return _account_page()


@bp.post("/account/sessions/<id:session_id>/end")
@allow(scope="none")
def account_end_session(session_id: int):
    """End one of my own sessions (another phone, a kiosk I forgot); this one signs me out."""
    if not PlainForm().validate_on_submit():
        abort(400)
    if session_id == current_session_id():
        kiosk = bool(session.get("kiosk_id"))
        end_session("ended_by_user")
        return _to(url_for("auth.kiosk") if kiosk else url_for("auth.login"))
    if sessions.end_sessions(current_user.id, "ended_by_user", only=session_id):
        db.session.commit()
        flash("已结束该设备上的登录，它需要重新登录才能使用。", "success")
    else:
        flash("该登录已经结束。", "success")  # ended meanwhile, or not mine: nothing to do
    return redirect(url_for("auth.account"), 303)


def _restart_after_change(user: User) -> None:
    """After a password or PIN change every session has ended; this browser signs in afresh."""
    kiosk = current_kiosk() if session.get("kiosk_id") else None
    community_id = session.get("community_id")
    _start_session(user, kiosk)
    if kiosk is None and community_id in user.community_ids:
        session["community_id"] = community_id


@bp.post("/account/password")
@allow(scope="none")
def account_password():
    form = ChangePasswordForm(prefix="pw")
    if form.validate_on_submit():
        try:
            user = services.change_own_secret(current_user.id, form.current_password.data,
                                              password=form.password.data)
        except services.AuthError as e:
            form.current_password.errors.append(str(e))
        else:
            _restart_after_change(user)
            flash("密码已修改。其他设备上的登录都已结束，需要用新密码重新登录。", "success")
            return redirect(url_for("auth.account"), 303)
    return _account_page(status=400, password_form=form)


@bp.post("/account/pin")
@allow(*KIOSK_ROLES, scope="none")
def account_pin():
    form = ChangePinForm(prefix="pin")
    if form.validate_on_submit():
        try:
            user = services.change_own_secret(current_user.id, form.current_password.data, pin=form.pin.data)
        except services.AuthError as e:
            form.current_password.errors.append(str(e))
        else:
            _restart_after_change(user)
            flash("PIN 已修改。其他设备上的登录都已结束。", "success")
            return redirect(url_for("auth.account"), 303)
    return _account_page(status=400, pin_form=form)
