"""One-time form keys: a double tap, a resend after a lost answer or a second tab acts once.

Every form that changes something carries a key the server issued when it rendered the form
(`{{ form_key() }}` in templates: a random token signed with the app's secret, field
`client_key`). A POST to any route not listed in EXEMPT without a valid key is refused (400,
a Chinese message, nothing written): the client cannot leave it empty or make one up.

The key is claimed in the request's own transaction (a row in submission_key), before the view
runs; concurrent twins wait for each other on that row. So the key is spent exactly when the
request commits: a request that fails (a field error, a business rule, an error) writes nothing
and its key stays usable; a view that starts its transaction afresh (a rollback before writing)
has the key claimed again at its commit. A repeat of a spent key does not reach the view: it is
answered with the route's `on_repeat` URL (e.g. the ticket the first request created) or, by
default, back on the page it came from with a notice (htmx: 204, the first answer stays).

A refusal never spends the key, even from a view that commits on its way to the refusal (e.g. a
page helper that keeps something drawn for the day): when a request whose commit spent its key
is answered 4xx, the key is given back (release_refused). The phone's corrected resend of the
same form is then saved, not answered as a repeat with nothing saved.
"""
import secrets
from datetime import datetime

from flask import current_app, flash, g, has_request_context, redirect, request, url_for
from itsdangerous import BadSignature, Signer
from markupsafe import Markup, escape
from sqlalchemy import String, event, inspect
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.exceptions import BadRequest, Conflict

from ..extensions import db
from .models import UTCDateTime, utcnow

FIELD = "client_key"
MAX_LENGTH = 64

# Routes that change something but take no one-time key, and why. Nothing else is exempt: a new
# POST route is keyed (and refuses posts without a key) until it is listed here.
EXEMPT: dict[str, str] = {
    "auth.login": "signing in: guarded by the password and the lockout; a repeat is the same person signing in again",
    "auth.kiosk": "switching user on a kiosk with username + PIN: the same as signing in",
    "auth.logout": "ending a session that has ended already changes nothing",
    "auth.kiosk_lock": "the kiosk's idle lock posts from app.js without a form; locking twice locks once",
    "auth.switch_community": "chooses the community in the browser's own session; writes nothing",
    "tickets.check_field": "checks one field as it is typed (inline validation); writes nothing",
    "frontdesk.visit_check": "checks one field as it is typed (inline validation); writes nothing",
    "privacy.reveal": "shows a number once and records that look; every look is its own audit entry",
    "patrols.tap": "a patrol tap carries its own per-tap key from patrol.js (patrols.services.tap)",
}

MSG_MISSING = "表单已失效（缺少一次性提交码），请刷新页面后重新提交；本次没有保存任何内容。"
MSG_REPEAT = "这张表单已经提交过了，没有重复保存。"


class SubmissionKey(db.Model):
    __tablename__ = "submission_key"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class MissingKey(BadRequest):
    """A keyed POST without a valid key (empty, missing, made up, or from another server)."""

    description_zh = MSG_MISSING


class RepeatedSubmission(Conflict):
    """A commit found its key spent by a twin that committed first."""

    description_zh = MSG_REPEAT


def _signer(app=None) -> Signer:
    app = app or current_app
    return Signer(app.secret_key, salt="propsvc.form-key")


def issue_key(token: str | None = None, app=None) -> str:
    """A new key (signed; 50 characters). `token` names it instead of a random one (tests)."""
    return _signer(app).sign(token or secrets.token_urlsafe(16)).decode()


def is_valid(key: str | None) -> bool:
    if not key or len(key) > MAX_LENGTH:
        return False
    try:
        _signer().unsign(key)
    except BadSignature:
        return False
    return True


def form_key() -> Markup:
    """The hidden field every state-changing form renders (a fresh key per rendering)."""
    return Markup(f'<input type="hidden" name="{FIELD}" value="{escape(issue_key())}">')


def current_key() -> str | None:
    """The verified key of the POST being served (the value records keep as client_key)."""
    return g.get("form_key") if has_request_context() else None


def on_repeat(answer):
    """Declare where a repeat of this route's form goes: answer(key) → a URL, or None for the
    default (back where it came from). E.g. to the ticket the first request created."""
    def deco(view):
        view.on_repeat = answer
        return view
    return deco


def _claim(key: str) -> bool:
    """Add the key's row in a savepoint of the request's transaction: False when it is spent
    (or a twin holding it committed first)."""
    if db.session.get(SubmissionKey, key) is not None:
        return False
    g.form_key_row = row = SubmissionKey(key=key)
    try:
        with db.session.begin_nested():
            db.session.add(row)
    except IntegrityError:
        g.form_key_row = None
        return False
    return True


def _came_from() -> str | None:
    """The page the form was on (the Referer of this site), as a local path."""
    from .web import local_path

    ref = request.referrer or ""
    host = f"{request.scheme}://{request.host}"
    return local_path(ref[len(host):]) if ref.startswith(host + "/") else None


def repeat_answer():
    """The answer to a form whose key was spent: nothing is done again."""
    from .web import is_htmx

    db.session.rollback()
    view = current_app.view_functions.get(request.endpoint or "")
    answer = getattr(view, "on_repeat", None)
    url = answer(g.form_key) if answer else None
    if url is None and is_htmx():
        return current_app.response_class(status=204)  # the first answer is on screen already
    if url is None:
        flash(MSG_REPEAT, "info")
    from .web import local_next

    return redirect(url or local_next() or _came_from() or url_for("core.home"), 303)


def require_key():
    """before_request (after access): a keyed POST needs a valid key, and acts only once."""
    if request.method != "POST" or request.endpoint is None or request.endpoint in EXEMPT:
        return None
    key = request.form.get(FIELD, "")
    if not is_valid(key):
        raise MissingKey()
    g.form_key = key
    if not _claim(key):
        return repeat_answer()
    return None


def _before_commit(session):
    """A view that rolled back (and so dropped the claim) before writing: claim again now."""
    if (session.in_nested_transaction() or not has_request_context() or g.get("form_key") is None
            or g.get("form_key_spent")):
        return
    row = g.get("form_key_row")
    if row is not None:
        state = inspect(row)
        if state.persistent or state.pending:
            return
    if session.get(SubmissionKey, g.form_key) is not None:
        raise RepeatedSubmission()
    g.form_key_row = row = SubmissionKey(key=g.form_key)
    session.add(row)
    session.flush()


def _after_commit(session):
    if not session.in_nested_transaction() and has_request_context() and g.get("form_key") is not None:
        g.form_key_spent = True


def release_refused(response):
    """after_request: a 4xx answer to a request that committed gives its key back (the form
    was refused: its resend must be able to act). What the view committed stays."""
    if g.get("form_key_spent") and 400 <= response.status_code < 500:
        try:
            db.session.rollback()
            db.session.execute(SubmissionKey.__table__.delete().where(SubmissionKey.key == g.form_key))
            db.session.commit()  # _before_commit claims nothing: the key is marked spent
            g.form_key_spent = False
        except SQLAlchemyError:  # the refusal still answers; its resend is then seen as a repeat
            db.session.rollback()
            current_app.logger.warning("could not give back the form key of a refused request", exc_info=True)
    return response


def init_app(app) -> None:
    app.before_request(require_key)
    app.after_request(release_refused)
    app.jinja_env.globals["form_key"] = form_key

    @app.errorhandler(RepeatedSubmission)
    def _repeated(_e):
        return repeat_answer()

    if not event.contains(db.session, "before_commit", _before_commit):
        event.listen(db.session, "before_commit", _before_commit)
        event.listen(db.session, "after_commit", _after_commit)

