"""The events blueprint. Route modules register on it."""
from flask import Blueprint

bp = Blueprint("events", __name__, url_prefix="/events")


@bp.url_defaults
def _same_event(endpoint: str, values: dict) -> None:
    """A link from an event's page to another page of the same event (the shared unit look-up
    macros build url_for(endpoint, part=…) without it) keeps the page's event_id."""
    from flask import current_app, has_request_context, request

    if ("event_id" not in values and has_request_context() and request.view_args
            and "event_id" in request.view_args
            and current_app.url_map.is_endpoint_expecting(endpoint, "event_id")):
        values["event_id"] = request.view_args["event_id"]
