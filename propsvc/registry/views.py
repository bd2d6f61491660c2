"""Unit search, the unit page, and revealing a masked field."""
from flask import Blueprint, abort, g, request
from flask_login import current_user

from ..core.access import allow, get_or_404
from ..core.roles import REGISTRY_READERS
from ..core.web import render_page
from . import services
from .forms import RevealForm
from .models import Person

bp = Blueprint("registry", __name__, url_prefix="/units")


@bp.get("")
@allow(*REGISTRY_READERS)
def search():
    q = request.args.get("q", "")
    error, units = None, []
    try:
        units = services.search_units(g.community.id, q)
    except services.SearchError as e:
        error = str(e)
    return render_page("registry/search.html", block="results", status=400 if error else 200,
                       q=q, units=units, error=error)


def _unit_page(unit_id: int, revealed: dict | None = None, status: int = 200):
    unit = services.load_unit(unit_id)
    if unit is None or unit.community_id != g.community.id:
        abort(404)
    return render_page("registry/unit.html", block="occupants", status=status, unit=unit,
                       revealed=revealed or {}, reveal_form=RevealForm(),
                       may_reveal={f: services.may_reveal(current_user, f) for f in ("phone", "id_number")})


@bp.get("/<int:unit_id>")
@allow(*REGISTRY_READERS)
def unit(unit_id: int):
    return _unit_page(unit_id)


@bp.post("/<int:unit_id>/people/<int:person_id>/reveal")
@allow(*REGISTRY_READERS)
def reveal(unit_id: int, person_id: int):
    """Show one person's full phone or ID number once; the look is recorded as an Event."""
    person = get_or_404(Person, person_id)
    form = RevealForm()
    if not form.validate_on_submit() or not any(o.unit_id == unit_id for o in person.occupancies):
        abort(400)
    try:
        services.reveal(current_user, person, form.field.data)
    except services.RevealError:
        abort(403)
    return _unit_page(unit_id, revealed={(person.id, form.field.data): True})
