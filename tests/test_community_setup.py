"""Setting up a community by registration (issue 17): each area that needs defaults in a new
community registers a function for core.hooks.COMMUNITY_SETUP in the app factory; creating a
community (the unit import's create_community, the demo) runs them all through
registry.setup, which names no area."""
from sqlalchemy import func, select

from propsvc.core import hooks
from propsvc.extensions import db
from propsvc.patrols.defaults import DEFAULT_CHECKLISTS
from propsvc.patrols.models import ChecklistItem, ChecklistTemplate
from propsvc.registry import importer
from propsvc.registry.setup import setup_community
from propsvc.tickets.calendar import DEFAULT_POLICIES
from propsvc.tickets.models import DEFAULT_CATEGORIES, Category, SlaPolicy, WorkSchedule


def _defaults(community_id: int) -> dict:
    def count(model, where):
        return db.session.scalar(select(func.count()).select_from(model).where(where))

    return {
        "categories": count(Category, Category.community_id == community_id),
        "policies": set(db.session.scalars(select(SlaPolicy.urgency).where(SlaPolicy.community_id == community_id))),
        "schedule": db.session.get(WorkSchedule, community_id) is not None,
        "checklists": set(db.session.scalars(
            select(ChecklistTemplate.kind).where(ChecklistTemplate.community_id == community_id))),
        "items": count(ChecklistItem, ChecklistItem.template_id.in_(
            select(ChecklistTemplate.id).where(ChecklistTemplate.community_id == community_id))),
    }


def test_a_community_created_for_an_import_gets_every_registered_areas_defaults(ctx):
    """Tickets' categories, deadlines and working hours and patrols' checklists, without the
    registry importing either area."""
    c = importer.create_community("新澳花园南区")
    got = _defaults(c.id)
    assert got["categories"] == len(DEFAULT_CATEGORIES)
    assert got["policies"] == {str(u) for u in DEFAULT_POLICIES}
    assert got["schedule"]
    assert got["checklists"] == {str(k) for k in DEFAULT_CHECKLISTS}
    assert got["items"] == sum(len(items) for items in DEFAULT_CHECKLISTS.values())


def test_setting_up_again_adds_nothing(ctx):
    """`flask init-db` runs the setup for every community, each time: only what is missing is added."""
    c = importer.create_community("新澳花园南区")
    first = _defaults(c.id)
    setup_community(c.id)
    assert _defaults(c.id) == first


def test_the_setup_runs_what_the_app_factory_registered_in_order(app, ctx):
    """Tickets, then patrols (the order the setup always had); a new area only adds its line."""
    registered = app.extensions["propsvc.hooks"][hooks.COMMUNITY_SETUP]
    assert [f"{f.__module__}.{f.__name__}" for f in registered] == [
        "propsvc.tickets.services.ensure_defaults", "propsvc.patrols.defaults.ensure_patrol_defaults",
        "propsvc.fees.services.ensure_fee_defaults",
        "propsvc.assessment.standards.ensure_assessment_standards"]
