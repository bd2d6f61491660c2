"""Sign-in rules: hashed passwords and PINs, lockout after repeated failures, kiosks."""
import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache

from flask import current_app
from sqlalchemy import func, select, update
from werkzeug.security import check_password_hash, generate_password_hash

from ..core.models import utcnow
from ..core.roles import KIOSK_ROLES, Role
from ..core.services import record
from ..engine import read_only
from ..extensions import db
from ..registry.models import Building
from . import sessions
from .models import DEFAULT_DEPARTMENTS, Department, Kiosk, User, UserRole, user_building, user_community

PIN_RE = re.compile(r"^\d{4,6}$")


@lru_cache(maxsize=8)
def _dummy_hash(method: str) -> str:
    """A hash of nothing, made with the production method: an unknown username (or an account
    without a PIN) costs the same hashing as a wrong password, so timing tells nothing."""
    return generate_password_hash(secrets.token_hex(16), method=method)


class AuthError(ValueError):
    pass


def hash_secret(secret: str) -> str:
    return generate_password_hash(secret, method=current_app.config["PASSWORD_HASH_METHOD"])


def check_new_password(password: str) -> None:
    if len(password or "") < 8:
        raise AuthError("密码至少8位。")


def check_new_pin(pin: str) -> None:
    if not PIN_RE.match(pin or ""):
        raise AuthError("PIN 须为4到6位数字。")


def set_password(user: User, password: str) -> None:
    check_new_password(password)
    user.password_hash = hash_secret(password)


def set_pin(user: User, pin: str) -> None:
    check_new_pin(pin)
    user.pin_hash = hash_secret(pin)


def find_user(username: str) -> User | None:
    name = (username or "").strip().lower()
    return db.session.scalar(select(User).where(func.lower(User.username) == name)) if name else None


def is_locked(user: User, now: datetime | None = None) -> bool:
    return user.locked_until is not None and user.locked_until > (now or utcnow())


@dataclass(frozen=True)
class _Account:
    """What a sign-in needs of an account, read before hashing (the read is then ended)."""

    id: int
    secret_hash: str | None
    active: bool
    locked_until: datetime | None
    roles: frozenset[str]
    community_ids: frozenset[int]


def _read_account(username: str, *, pin: bool) -> _Account | None:
    """Read the account in a plain read transaction and end it: nothing is held while hashing.
    The same queries run whether or not the name exists."""
    db.session.rollback()  # whatever this request read before (on SQLite a POST's read takes the write lock)
    name = (username or "").strip().lower()
    with read_only():
        row = db.session.execute(
            select(User.id, User.password_hash, User.pin_hash, User.active, User.locked_until)
            .where(func.lower(User.username) == name)).first()
        uid = row.id if row is not None else 0
        roles = frozenset(db.session.scalars(select(UserRole.role).where(UserRole.user_id == uid)))
        communities = frozenset(db.session.scalars(
            select(user_community.c.community_id).where(user_community.c.user_id == uid)))
        db.session.rollback()
    if row is None:
        return None
    return _Account(id=row.id, secret_hash=row.pin_hash if pin else row.password_hash, active=row.active,
                    locked_until=row.locked_until, roles=roles, community_ids=communities)


def authenticate(username: str, secret: str, *, kiosk: Kiosk | None = None) -> User | None:
    """Check a password (or, with `kiosk`, a PIN). Returns the user, or None for any failure:
    unknown name, wrong secret, locked or inactive account all look the same to the caller and
    cost the same work (the same reads, hashing with the production method, one short write).
    The account is read and the read ended before hashing; only then a short write transaction
    records the outcome. Five failures in a row lock the account for LOCKOUT_SECONDS. A failure
    is committed; on success the write transaction is left open for the caller to open the
    session in it and commit."""
    kiosk_id, kiosk_community = (kiosk.id, kiosk.community_id) if kiosk is not None else (None, None)
    method = "pin" if kiosk_id else "password"
    account = _read_account(username, pin=kiosk is not None)
    stored = account.secret_hash if account is not None and account.secret_hash else None
    ok = check_password_hash(stored or _dummy_hash(current_app.config["PASSWORD_HASH_METHOD"]), secret or "")
    ok = ok and stored is not None
    # The write transaction starts here, after hashing.
    if account is None:
        record("auth.failed_unknown", None, method=method)  # no name kept: it may be a mistyped password
        db.session.commit()
        return None
    ref = User(id=account.id)  # names the account in the Events without loading it
    now = utcnow()
    if account.locked_until is not None and account.locked_until > now:
        record("auth.refused_locked", ref, actor=ref, method=method)
        db.session.commit()
        return None
    if ok and kiosk_id is not None:
        ok = bool(account.roles & KIOSK_ROLES) and kiosk_community in account.community_ids
    if ok and account.active:
        user = db.session.get(User, account.id)
        user.failed_attempts = 0
        user.locked_until = None
        record("auth.sign_in", user, actor=user, method=method, kiosk_id=kiosk_id)
        return user
    attempts = db.session.execute(
        update(User)
        .where(User.id == account.id)
        .values(failed_attempts=User.failed_attempts + 1)
        .returning(User.failed_attempts)
    ).scalar_one()
    record("auth.failed", ref, actor=ref, method=method, attempts=attempts)
    if attempts >= current_app.config["LOCKOUT_ATTEMPTS"]:
        db.session.execute(
            update(User)
            .where(User.id == account.id)
            .values(failed_attempts=0, locked_until=now + timedelta(seconds=current_app.config["LOCKOUT_SECONDS"]))
        )
        record("auth.locked", ref, actor=ref, method=method)
    db.session.commit()
    return None


def change_own_secret(user_id: int, current_password: str, *, password: str | None = None,
                      pin: str | None = None) -> User:
    """A signed-in user changes their password or PIN, confirming with the current password.
    Hashing happens with no transaction held. Every session of the user is ended (the caller
    signs them in afresh) and an Event recorded. Caller commits."""
    if password is not None:
        check_new_password(password)
    if pin is not None:
        check_new_pin(pin)
    db.session.rollback()
    with read_only():
        stored = db.session.scalar(select(User.password_hash).where(User.id == user_id))
        db.session.rollback()
    if not check_password_hash(stored or _dummy_hash(current_app.config["PASSWORD_HASH_METHOD"]),
                               current_password or ""):
        raise AuthError("当前密码不正确。")
    new_hash = hash_secret(password if password is not None else pin)
    user = db.session.get(User, user_id)
    if password is not None:
        user.password_hash = new_hash
        reason = "password_changed"
    else:
        user.pin_hash = new_hash
        reason = "pin_changed"
    record(f"user.{reason}", user, actor=user)
    sessions.end_sessions(user.id, reason, actor=user)
    return user


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


USERNAME_RE = re.compile(r"^[a-z0-9_.-]{2,32}$")
TECHNICIAN_NEEDS_DEPARTMENT = "工程/保洁人员必须属于一个部门（如工程部、环境部），否则派到部门的工单他接不了。请选择部门。"


def check_staff(roles, department) -> None:
    """Rules for any account made or changed by a person (admin page, `flask create-user`)."""
    roles = {str(r) for r in roles}
    if not roles:
        raise AuthError("请至少选择一个角色。")
    if Role.TECHNICIAN in roles and department is None:
        raise AuthError(TECHNICIAN_NEEDS_DEPARTMENT)


def create_user(*, username: str, name: str, password: str, roles, communities=(), department=None,
                pin: str | None = None, phone: str | None = None, buildings=()) -> User:
    if find_user(username) is not None:
        raise AuthError("用户名已存在。")
    user = User(username=username.strip().lower(), name=name, phone=phone, department=department)
    user.roles = roles
    user.communities = list(communities)
    user.buildings = list(buildings)
    set_password(user, password)
    if pin:
        set_pin(user, pin)
    db.session.add(user)
    db.session.flush()
    record("user.created", user, roles=sorted(user.roles),
           department=department.code if department is not None else None,
           buildings=sorted(b.id for b in user.buildings))
    return user


def own_building_ids(user, community_id: int, day: date | None = None) -> set[int]:
    """The buildings of `community_id` a steward is assigned [D2] (core.hooks.ASSIGNED_BUILDINGS;
    the same every day)."""
    return set(db.session.scalars(
        select(user_building.c.building_id).join(Building, Building.id == user_building.c.building_id)
        .where(user_building.c.user_id == user.id, Building.community_id == community_id)))


# --- user administration (admin page) ---------------------------------------------------------

def _hash_with_nothing_held(secret: str) -> str:
    """Hash with no transaction open: on SQLite a POST's first read takes the write lock."""
    db.session.rollback()
    return hash_secret(secret)


def _guard_admin_role(actor: User, *role_sets) -> None:
    if not actor.has_role(Role.ADMIN) and any(Role.ADMIN in {str(r) for r in rs} for rs in role_sets):
        raise AuthError("只有系统管理员可以设置或修改系统管理员账号。")


def admin_create_user(actor: User, *, username: str, name: str, phone: str | None, password: str,
                      pin: str | None, roles, department, communities, buildings) -> User:
    username = (username or "").strip().lower()
    if not USERNAME_RE.match(username):
        raise AuthError("用户名为2到32位小写字母、数字或 _ . -。")
    check_staff(roles, department)
    _guard_admin_role(actor, roles)
    check_new_password(password)
    if pin:
        check_new_pin(pin)
    return create_user(username=username, name=name.strip(), password=password, pin=pin or None, roles=roles,
                       communities=communities, department=department, phone=phone or None, buildings=buildings)


def admin_update_user(actor: User, user: User, *, name: str, phone: str | None, roles, department,
                      communities, buildings, scope_community_ids) -> None:
    """Change an account's details. Communities and buildings outside the actor's own
    communities (`scope_community_ids`) are kept as they are."""
    check_staff(roles, department)
    _guard_admin_role(actor, roles, user.roles)
    before = {"name": user.name, "roles": sorted(user.roles), "department": user.department_id,
              "communities": sorted(user.community_ids), "buildings": sorted(b.id for b in user.buildings)}
    user.name = name.strip()
    user.phone = phone or None
    user.roles = roles
    user.department = department
    user.communities = [c for c in user.communities if c.id not in scope_community_ids] + list(communities)
    user.buildings = [b for b in user.buildings if b.community_id not in scope_community_ids] + list(buildings)
    after = {"name": user.name, "roles": sorted(user.roles), "department": user.department_id,
             "communities": sorted(user.community_ids), "buildings": sorted(b.id for b in user.buildings)}
    changed = {k: [before[k], after[k]] for k in before if before[k] != after[k]}
    if changed:  # rights apply from the next request: the account is loaded afresh each time
        record("user.updated", user, actor=actor, changes=changed)


def set_active(actor: User, user: User, active: bool) -> None:
    if user.id == actor.id and not active:
        raise AuthError("不能停用自己的账号。")
    _guard_admin_role(actor, user.roles)
    if user.active == active:
        return
    user.active = active
    record("user.activated" if active else "user.deactivated", user, actor=actor)
    if not active:
        sessions.end_sessions(user.id, "deactivated", actor=actor)


def reset_secret(actor: User, user_id: int, *, password: str | None = None, pin: str | None = None) -> User:
    """An admin sets a new password (which also lifts a lockout) or PIN; ends the user's sessions."""
    if password is not None:
        check_new_password(password)
    else:
        check_new_pin(pin)
    new_hash = _hash_with_nothing_held(password if password is not None else pin)
    user = db.session.get(User, user_id)
    _guard_admin_role(actor, user.roles)
    if password is not None:
        user.password_hash = new_hash
        user.failed_attempts = 0
        user.locked_until = None
        reason = "password_reset"
    else:
        user.pin_hash = new_hash
        reason = "pin_reset"
    record(f"user.{reason}", user, actor=actor)
    sessions.end_sessions(user.id, reason, actor=actor)
    return user


def end_all_sessions(actor: User, user: User) -> int:
    """全部下线: end every open session of the user."""
    _guard_admin_role(actor, user.roles)
    n = sessions.end_sessions(user.id, "admin", actor=actor)
    record("user.sessions_ended", user, actor=actor, count=n)
    return n


def ensure_departments() -> None:
    """The default departments (客服部, 工程部, …) that are missing; commits (`flask init-db`,
    `flask seed-demo`)."""
    existing = set(db.session.scalars(select(Department.code)))
    for code, name in DEFAULT_DEPARTMENTS:
        if code not in existing:
            db.session.add(Department(code=code, name=name))
    db.session.commit()


def create_department(code: str, name: str) -> Department:
    code, name = (code or "").strip().lower(), (name or "").strip()
    if not re.match(r"^[a-z][a-z0-9_]{1,31}$", code):
        raise AuthError("部门代码为2到32位小写字母、数字或下划线，以字母开头，如 greening。")
    if db.session.scalar(select(Department.id).where(Department.code == code)) is not None:
        raise AuthError("该部门代码已存在。")
    if db.session.scalar(select(Department.id).where(Department.name == name)) is not None:
        raise AuthError("该部门名称已存在。")
    dept = Department(code=code, name=name)
    db.session.add(dept)
    db.session.flush()
    record("department.created", dept, code=code, name=name)
    return dept


def find_department(value: str) -> Department | None:
    """A department by its code or its name."""
    value = (value or "").strip()
    return db.session.scalar(select(Department).where((Department.code == value.lower()) | (Department.name == value)))


def history(object_type: str, object_id: int) -> tuple[list, dict[int, User]]:
    """A record's events, oldest first, and the staff who did them (by id): the 记录 list of a
    record's page (a renovation, a release slip)."""
    from ..core.models import Event

    events = list(db.session.scalars(select(Event).where(
        Event.object_type == object_type, Event.object_id == object_id).order_by(Event.id)))
    ids = {e.actor_id for e in events if e.actor_id}
    users = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(ids)))} if ids else {}
    return events, users
