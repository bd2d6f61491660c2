"""Sessions kept on the server [T9].

Each sign-in is a UserSession row. The browser's (signed) Flask session holds the row's id under
"sid" and a random token under "st" whose SHA-256 is stored in the row, so a forged or guessed
sid opens nothing. A request is signed in only while its row is open: not ended, and not idle
past the limit, measured by the server from last_seen_at (KIOSK_IDLE_SECONDS on a shared kiosk,
SESSION_IDLE_SECONDS elsewhere). Logout, lock, 换人, idle, a password or PIN change, deactivating
the account and an admin's 全部下线 end rows; each end is an Event "auth.sign_out" with its reason.

Checking a request's session costs one query (the row with its user, which Flask-Login needed
anyway); moving last_seen_at on is at most one small UPDATE every TOUCH_SECONDS (never for an
X-Poll request), committed at once before the request does anything else.
"""
import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.exc import OperationalError

from ..core.models import utcnow
from ..core.services import record
from ..extensions import db
from .models import User, UserSession

TOUCH_SECONDS = 15

END_REASONS = {
    "logout": "退出登录",
    "lock": "锁屏/换人",
    "lock_no_token": "锁屏（页面已过期）",
    "switch": "换人",
    "relogin": "重新登录",
    "idle": "闲置超时",
    "password_changed": "修改了密码",
    "pin_changed": "修改了PIN",
    "password_reset": "管理员重置了密码",
    "pin_reset": "管理员重置了PIN",
    "deactivated": "账号已停用",
    "admin": "管理员全部下线",
    "ended_by_user": "本人结束",
    "kiosk_registered": "登记前台终端",
}


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def idle_limit(kiosk_id: int | None) -> int:
    return current_app.config["KIOSK_IDLE_SECONDS" if kiosk_id else "SESSION_IDLE_SECONDS"]


def touch_interval(limit: int) -> int:
    return max(1, min(TOUCH_SECONDS, limit // 4))


def lapsed_at(row: UserSession) -> datetime:
    """When the row's idle limit runs out (if nothing happens before)."""
    return row.last_seen_at + timedelta(seconds=idle_limit(row.kiosk_id))


def is_open(row: UserSession, now: datetime | None = None) -> bool:
    return row.ended_at is None and lapsed_at(row) > (now or utcnow())


def device_label(user_agent: str | None) -> str:
    """A short, human summary of a browser's User-Agent: "Android · 微信", "Windows · Edge"."""
    ua = user_agent or ""
    system = next((label for key, label in (("Android", "Android"), ("iPhone", "iPhone"), ("iPad", "iPad"),
                                             ("Windows", "Windows"), ("CrOS", "ChromeOS"), ("Mac OS X", "Mac"),
                                             ("Linux", "Linux")) if key in ua), "")
    browser = next((label for key, label in (("MicroMessenger", "微信"), ("Edg/", "Edge"), ("Firefox/", "Firefox"),
                                              ("Chrome/", "Chrome"), ("Chromium/", "Chromium"), ("Safari/", "Safari"))
                    if key in ua), "")
    return " · ".join(p for p in (system, browser) if p) or "未知设备"


# --- opening and ending, in the request's transaction ---------------------------------------

def open_session(user: User, *, kiosk_id: int | None = None, community_id: int | None = None,
                 device: str = "") -> tuple[UserSession, str]:
    """Add a row for a new sign-in; returns it and the raw token for the cookie. Caller commits."""
    token = secrets.token_urlsafe(24)
    now = utcnow()
    row = UserSession(user_id=user.id, kiosk_id=kiosk_id, community_id=community_id, device=device[:128],
                      token_hash=token_hash(token), created_at=now, last_seen_at=now)
    db.session.add(row)
    db.session.flush()
    return row, token


def end_sessions(user_id: int, reason: str, *, only: int | None = None, actor=None) -> int:
    """End the user's open rows (or just row `only`) for `reason`; a row that had already run out
    of idle time is marked as ended by "idle" when it ran out. One Event per row. Returns how many
    rows were ended. Caller commits."""
    assert reason in END_REASONS, reason
    q = select(UserSession).where(UserSession.user_id == user_id, UserSession.ended_at.is_(None))
    if only is not None:
        q = q.where(UserSession.id == only)
    now = utcnow()
    user = db.session.get(User, user_id)
    ended = 0
    for row in db.session.scalars(q).all():
        why, at = (reason, now) if is_open(row, now) else ("idle", lapsed_at(row))
        done = db.session.execute(
            update(UserSession).where(UserSession.id == row.id, UserSession.ended_at.is_(None))
            .values(ended_at=at, end_reason=why)
        ).rowcount
        if done:
            ended += 1
            record("auth.sign_out", user, actor=actor or user, community_id=row.community_id,
                   reason=why, session_id=row.id)
    return ended


def open_sessions(user_id: int) -> list[UserSession]:
    now = utcnow()
    rows = db.session.scalars(select(UserSession).where(UserSession.user_id == user_id,
                                                        UserSession.ended_at.is_(None))
                              .order_by(UserSession.last_seen_at.desc())).all()
    return [r for r in rows if is_open(r, now)]


def count_open(user_ids) -> dict[int, int]:
    now = utcnow()
    out: dict[int, int] = {}
    for r in db.session.scalars(select(UserSession).where(UserSession.user_id.in_(list(user_ids)),
                                                          UserSession.ended_at.is_(None))):
        if is_open(r, now):
            out[r.user_id] = out.get(r.user_id, 0) + 1
    return out


# --- checking a request's cookie -------------------------------------------------------------

def check(sid, token, user_id, *, activity: bool = True) -> tuple[User | None, str | None]:
    """Is the cookie's session (`sid`, `token`, for `user_id`) open? Returns (its user, None), or
    (None, why) with why "idle" when it just ran out (the row is then ended and recorded) and
    "ended" for anything else. One query reads the row with its user. With `activity`,
    last_seen_at moves on, at most every TOUCH_SECONDS."""
    if not isinstance(sid, int) or not isinstance(token, str) or not token:
        return None, "ended"
    found = db.session.execute(select(UserSession, User).join(User, User.id == UserSession.user_id)
                               .where(UserSession.id == sid)).first()
    if found is None:
        return None, "ended"
    row, user = found
    if (row.ended_at is not None or str(row.user_id) != str(user_id)
            or not hmac.compare_digest(row.token_hash, token_hash(token))):
        return None, "ended"
    now = utcnow()
    limit = idle_limit(row.kiosk_id)
    idle = (now - row.last_seen_at).total_seconds()
    if idle > limit:
        _write(lambda: end_sessions(row.user_id, "idle", only=row.id))
        return None, "idle"
    if activity and idle >= touch_interval(limit):
        _write(lambda: db.session.execute(update(UserSession).where(UserSession.id == sid,
                                                                    UserSession.ended_at.is_(None))
                                          .values(last_seen_at=now)))
    return user, None


def _write(fn) -> None:
    """The session's own bookkeeping, first thing in a request: end the read (nothing else is
    pending yet) so the write starts a transaction of its own with its UPDATE, and commit it.
    Best effort: a busy database delays the bookkeeping, never the request (the idle limit is
    computed from the row on every request anyway)."""
    db.session.commit()
    try:
        fn()
        db.session.commit()
    except OperationalError:
        db.session.rollback()
        current_app.logger.warning("session bookkeeping skipped: database busy", exc_info=True)
