"""Who may use each route.

Every view declares its access with @allow(...) or @public. A before_request hook enforces
the declaration; a route without one is refused (fail closed) and the test suite walks
app.url_map to make sure none exists. Data scope: signed-in staff see only the communities
they work in; object loaders below check that in one place.
"""
from dataclasses import dataclass
from functools import wraps
from typing import Protocol

from flask import abort, current_app, g, request, session
from flask_login import current_user

from ..extensions import db
from .roles import ALL_ROLES, Role


class StaffUser(Protocol):
    """What core asks of the signed-in person (auth.models.User is one): the roles, the
    communities they work in (objects with an `id`, loaded with the user), a role check."""
    id: int
    roles: frozenset[str]
    community_ids: frozenset[int]
    communities: list

    def has_role(self, *roles) -> bool: ...


@dataclass(frozen=True)
class Access:
    roles: frozenset[str]
    public: bool = False
    # "community": the route serves data of the user's current community only.
    scope: str = "community"


def allow(*roles: Role, scope: str = "community"):
    """Declare the roles that may use a view. `allow()` with no roles means any staff role."""
    allowed = frozenset(str(r) for r in (roles or ALL_ROLES))

    def deco(view):
        view.access = Access(roles=allowed, scope=scope)
        return view

    return deco


def public(view):
    """Declare a view open to anyone, signed in or not (sign-in pages, static files)."""
    view.access = Access(roles=frozenset(), public=True, scope="none")
    return view


def access_of(endpoint: str | None) -> Access | None:
    view = current_app.view_functions.get(endpoint or "")
    return getattr(view, "access", None)


def can(endpoint: str) -> bool:
    """Whether the signed-in person may open `endpoint`: a link is shown only to those its
    route would let in (no second list of roles); False for a route that is not installed."""
    rule = access_of(endpoint)
    if rule is None:
        return False
    return rule.public or (current_user.is_authenticated and bool(current_user.roles & rule.roles))


def enforce_access():
    """before_request: apply the view's declaration."""
    if request.endpoint is None:  # 404/405 handled by Flask; its page keeps the top bar's community
        if current_user.is_authenticated:
            g.community = current_community()
        return None
    rule = access_of(request.endpoint)
    if rule is None:
        current_app.logger.error("route %s declares no access; refused", request.endpoint)
        abort(403)
    if rule.public:
        return None
    if not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()
    if not (current_user.roles & rule.roles):
        abort(403)
    g.community = current_community()
    if rule.scope == "community" and g.community is None:
        abort(403)
    return None


def current_community():
    """The community the signed-in user is working in now (chosen in the nav when several): one
    of the user's own `communities` (StaffUser), so core needs no community model."""
    if not current_user.is_authenticated:
        return None
    ids = current_user.community_ids
    chosen = session.get("community_id")
    if chosen not in ids:
        chosen = min(ids) if ids else None
        session["community_id"] = chosen
    return next((c for c in current_user.communities if c.id == chosen), None) if chosen else None


def in_community(obj_community_id: int) -> bool:
    return getattr(g, "community", None) is not None and obj_community_id == g.community.id


def get_or_404(model, ident, community_of=lambda o: o.community_id):
    """Load an object of the current community, or 404 (never reveal another site's data)."""
    obj = db.session.get(model, ident)
    if obj is None or not in_community(community_of(obj)):
        abort(404)
    return obj


def require_role(*roles: Role) -> None:
    """Inside a view: a finer check than the route's (e.g. reveal an ID number)."""
    if not current_user.has_role(*roles):
        abort(403)


def roles_required(*roles: Role):
    """Decorator form of require_role for helper functions."""
    def deco(fn):
        @wraps(fn)
        def inner(*a, **kw):
            require_role(*roles)
            return fn(*a, **kw)
        return inner
    return deco
