"""Recording events. Every state change in every area goes through record()."""
from flask import has_request_context
from flask_login import current_user

from ..extensions import db
from .models import Event


def record(action: str, obj=None, *, community_id: int | None = None, actor=None, **data) -> Event:
    """Append an Event for `obj` (any model with an id) in the current transaction."""
    if actor is None and has_request_context() and current_user.is_authenticated:
        actor = current_user
    if community_id is None and obj is not None:  # a community's own events: Community.community_id is its id
        community_id = getattr(obj, "community_id", None)
    ev = Event(
        action=action,
        object_type=type(obj).__name__.lower() if obj is not None else "system",
        object_id=getattr(obj, "id", None),
        actor_id=getattr(actor, "id", None),
        community_id=community_id,
        data=data,
    )
    db.session.add(ev)
    return ev
