"""Sign-in rules: hashed passwords and PINs, lockout after repeated failures, kiosks."""
import hashlib
import re
import secrets
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, select, update
from werkzeug.security import check_password_hash, generate_password_hash

from ..core.models import utcnow
from ..core.roles import KIOSK_ROLES
from ..core.services import record
from ..extensions import db
from .models import Kiosk, User

PIN_RE = re.compile(r"^\d{4,6}$")
# Compared against when the username is unknown, so timing does not tell whether it exists.
_DUMMY_HASH = generate_password_hash("not-a-real-password", method="pbkdf2:sha256:1000")


class AuthError(ValueError):
    pass


def hash_secret(secret: str) -> str:
    return generate_password_hash(secret, method=current_app.config["PASSWORD_HASH_METHOD"])


def set_password(user: User, password: str) -> None:
    if len(password) < 8:
        raise AuthError("密码至少8位。")
    user.password_hash = hash_secret(password)


def set_pin(user: User, pin: str) -> None:
    if not PIN_RE.match(pin):
        raise AuthError("PIN 须为4到6位数字。")
    user.pin_hash = hash_secret(pin)


def find_user(username: str) -> User | None:
    name = (username or "").strip().lower()
    return db.session.scalar(select(User).where(func.lower(User.username) == name)) if name else None


def is_locked(user: User, now: datetime | None = None) -> bool:
    return user.locked_until is not None and user.locked_until > (now or utcnow())


def authenticate(username: str, secret: str, *, kiosk: Kiosk | None = None) -> User | None:
    """Check a password (or, with `kiosk`, a PIN). Returns the user, or None for any failure:
    unknown name, wrong secret, locked or inactive account all look the same to the caller.
    Five failures in a row lock the account for LOCKOUT_SECONDS. Commits."""
    user = find_user(username)
    if user is None:
        check_password_hash(_DUMMY_HASH, secret or "")
        return None
    now = utcnow()
    method = "pin" if kiosk else "password"
    if is_locked(user, now):
        record("auth.refused_locked", user, actor=user, method=method)
        db.session.commit()
        return None
    stored = user.pin_hash if kiosk else user.password_hash
    ok = bool(stored) and check_password_hash(stored, secret or "")
    if ok and kiosk is not None:
        ok = bool(user.roles & KIOSK_ROLES) and kiosk.community_id in user.community_ids
    if ok and user.active:
        user.failed_attempts = 0
        user.locked_until = None
        record("auth.sign_in", user, actor=user, method=method, kiosk_id=kiosk.id if kiosk else None)
        db.session.commit()
        return user
    attempts = db.session.execute(
        update(User)
        .where(User.id == user.id)
        .values(failed_attempts=User.failed_attempts + 1)
        .returning(User.failed_attempts)
    ).scalar_one()
    record("auth.failed", user, actor=user, method=method, attempts=attempts)
    if attempts >= current_app.config["LOCKOUT_ATTEMPTS"]:
        db.session.execute(
            update(User)
            .where(User.id == user.id)
            .values(failed_attempts=0, locked_until=now + timedelta(seconds=current_app.config["LOCKOUT_SECONDS"]))
        )
        record("auth.locked", user, actor=user, method=method)
    db.session.commit()
    return None


# --- kiosks -------------------------------------------------------------------------

KIOSK_COOKIE = "propsvc_kiosk"


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def register_kiosk(community_id: int, name: str) -> tuple[Kiosk, str]:
    """Create a kiosk; returns it and the raw token to store in the PC's cookie."""
    token = secrets.token_urlsafe(32)
    kiosk = Kiosk(community_id=community_id, name=name.strip(), token_hash=_token_hash(token))
    db.session.add(kiosk)
    db.session.flush()
    record("kiosk.registered", kiosk, name=kiosk.name)
    db.session.commit()
    return kiosk, token


def kiosk_for_token(token: str | None) -> Kiosk | None:
    if not token:
        return None
    return db.session.scalar(select(Kiosk).where(Kiosk.token_hash == _token_hash(token), Kiosk.active.is_(True)))


def create_user(*, username: str, name: str, password: str, roles, communities=(), department=None,
                pin: str | None = None, phone: str | None = None) -> User:
    if find_user(username) is not None:
        raise AuthError("用户名已存在。")
    user = User(username=username.strip().lower(), name=name, phone=phone, department=department)
    user.roles = roles
    user.communities = list(communities)
    set_password(user, password)
    if pin:
        set_pin(user, pin)
    db.session.add(user)
    db.session.flush()
    record("user.created", user, roles=sorted(user.roles))
    return user
