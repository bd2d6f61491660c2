"""Sessions kept on the server [T9].

Each sign-in is a UserSession row. The browser's (signed) Flask session holds the row's id under
"sid" and a random token under "st" whose SHA-256 is stored in the row, so a forged or guessed
sid opens nothing. A request is signed in only while its row is open: not ended, and not idle
past the limit, measured by the server from last_seen_at (KIOSK_IDLE_SECONDS on a shared kiosk,
SESSION_IDLE_SECONDS elsewhere). Logout, lock, 换人, idle, a password or PIN change, deactivating
the account and an admin's 全部下线 end rows; each end is an Event "auth.sign_out" with its reason.

Checking a request's session and moving its last_seen_at on are done in a short transaction of
their own (`_store()`), apart from the request's unit of work: a GET stays a plain read for the
request, and the write is at most one small UPDATE every TOUCH_SECONDS (never for X-Poll).
"""
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session as OrmSession

from ..core.models import Event, utcnow
from ..core.services import record
from ..engine import holds_write_lock
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


# --- checking a request's cookie, in a short transaction of its own ---------------------------

@dataclass(frozen=True)
class Live:
    id: int
    user_id: int
    kiosk_id: int | None


def _store() -> OrmSession:
    return OrmSession(db.engine, expire_on_commit=False)


def check(sid, token, user_id, *, activity: bool = True) -> tuple[Live | None, str | None]:
    """Is the cookie's session (`sid`, `token`, for `user_id`) open? Returns (Live, None), or
    (None, why) with why "idle" when it just ran out (the row is then ended and recorded) and
    "ended" for anything else. With `activity`, moves last_seen_at on (at most every
    TOUCH_SECONDS)."""
    if not isinstance(sid, int) or not isinstance(token, str) or not token:
        return None, "ended"
    now = utcnow()
    with _store() as s:
        row = s.get(UserSession, sid)
        if (row is None or row.ended_at is not None or str(row.user_id) != str(user_id)
                or not hmac.compare_digest(row.token_hash, token_hash(token))):
            return None, "ended"
        live = Live(id=row.id, user_id=row.user_id, kiosk_id=row.kiosk_id)
        limit = idle_limit(row.kiosk_id)
        idle = (now - row.last_seen_at).total_seconds()
        community_id = row.community_id
        s.commit()  # end the read: a write below starts its own transaction with the UPDATE
        if idle > limit:
            _write(s, _end_idle, live, community_id, row.last_seen_at + timedelta(seconds=limit))
            return None, "idle"
        if activity and idle >= touch_interval(limit):
            _write(s, lambda s: s.execute(update(UserSession).where(UserSession.id == live.id,
                                                                    UserSession.ended_at.is_(None))
                                          .values(last_seen_at=now)))
        return live, None


def _end_idle(s: OrmSession, live: Live, community_id, at: datetime) -> None:
    done = s.execute(update(UserSession).where(UserSession.id == live.id, UserSession.ended_at.is_(None))
                     .values(ended_at=at, end_reason="idle")).rowcount
    if done:
        s.add(Event(action="auth.sign_out", object_type="user", object_id=live.user_id, actor_id=live.user_id,
                    community_id=community_id, data={"reason": "idle", "session_id": live.id}))


def _write(s: OrmSession, fn, *args) -> None:
    """Best effort: a busy database delays the bookkeeping, never the request (the idle limit is
    computed from the row on every request anyway)."""
    if holds_write_lock():
        return  # this request already holds SQLite's write lock: waiting for it would stall
    try:
        fn(s, *args)
        s.commit()
    except OperationalError:
        s.rollback()
        current_app.logger.warning("session bookkeeping skipped: database busy", exc_info=True)
