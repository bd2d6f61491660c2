"""Unit search and the unit page (phones and ID numbers masked; 显示 goes to privacy.reveal)."""
from flask import Blueprint, abort, g, request
from flask_login import current_user

from ..core.access import allow
from ..core.roles import REGISTRY_READERS
from ..core.web import render_page
from . import services

bp = Blueprint("registry", __name__, url_prefix="/units")


@bp.get("")
@allow(*REGISTRY_READERS)
def search():
    q = request.args.get("q", "")
    error, units, uq = None, [], None
    try:
        uq = services.parse_query(q)
        units = services.search_units(g.community.id, uq, current_user)
    except services.SearchError as e:
        error = str(e)
    # What was searched for, as read: the box may hold full-width text, a NUL or only spaces.
    shown = uq.label or uq.digits or uq.name if uq is not None else ""
    return render_page("registry/search.html", block="results", status=400 if error else 200,
                       q=q, shown=shown, as_code=uq is not None and uq.is_code, units=units, error=error)


def _unit_page(unit_id: int):
    unit = services.load_unit(unit_id)
    if unit is None or unit.community_id != g.community.id:
        abort(404)
    return render_page("registry/unit.html", block="occupants", unit=unit)


@bp.get("/<id:unit_id>")
@allow(*REGISTRY_READERS)
def unit(unit_id: int):
    return _unit_page(unit_id)
