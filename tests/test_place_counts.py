"""The home tiles' live counts come from the areas through core.hooks.place_counts (core.nav
names no area module), and 今日巡查's tile counts as 今日 does: plans.day_counts, a finished 补巡
is done [D3].

Time is frozen at each moment of tests/moments.py (the `clock` fixture); windows are set relative
to it, as in test_patrol_makeup.py."""
from datetime import time, timedelta, timezone
from pathlib import Path

from propsvc.core import hooks, nav
from propsvc.extensions import db
from propsvc.patrols import plans
from propsvc.patrols.models import Patrol
from test_patrol_makeup import _closed_window, _now_local
from test_today import checklist, plan
from test_tickets import site  # noqa: F401


def test_place_counts_are_registered_per_place_and_core_imports_no_area(app):
    """Every counted place is one of nav.PLACES, answered by one area function; core.nav loads
    nothing by name (an import lint-imports could not see)."""
    registered = {point.split(":", 1)[1]: fns for point, fns in app.extensions["propsvc.hooks"].items()
                  if point.startswith(hooks.PLACE_COUNTS + ":")}
    assert set(registered) <= set(nav.BY_ENDPOINT)
    assert {"patrols.today", "tickets.queue", "slips.index", "notices.index"} <= set(registered)
    assert all(len(fns) == 1 and fns[0].__module__.startswith("propsvc.") for fns in registered.values())
    source = Path(nav.__file__).read_text(encoding="utf-8")
    assert "import_module" not in source and "propsvc." not in source.split('"""', 2)[2]


def test_d3_today_tile_counts_a_finished_makeup_as_done_like_today(clock, app, site, make):  # noqa: F811
    """今日巡查 on 首页 shows done/planned with the same buckets as 今日 (plans.DayCounts)."""
    c = site["community"]
    steward = site["users"]["steward"]
    tpl, _items = checklist(app, c)
    now = _now_local()
    closed, open_now = _closed_window(), (time(0, 0), time(23, 59))
    buildings = [make.building(c, str(n)) for n in range(4, 8)]
    ids = {name: plan(app, c, steward, tpl, building=b, window=window) for name, b, window in [
        ("todo", buildings[0], open_now), ("done", buildings[1], open_now),
        ("missed", buildings[2], closed), ("makeup_done", buildings[3], closed)]}
    utc = now.astimezone(timezone.utc)
    with app.app_context():
        for name, b, started, finished in [("done", buildings[1], 40, 10), ("makeup_done", buildings[3], 50, 5)]:
            db.session.add(Patrol(community_id=c.id, template_id=tpl, plan_id=ids[name], steward_id=steward.id,
                                  kind="building", target_type="building", building_id=b.id, day=now.date(),
                                  started_at=utc - timedelta(minutes=started),
                                  finished_at=utc - timedelta(minutes=finished)))
        db.session.commit()
        counts = plans.day_counts(plans.due_on(c.id, now.date(), steward_id=steward.id))
        tile = nav.count_of(nav.BY_ENDPOINT["patrols.today"], db.session.merge(steward), c.id)
    assert (counts.done, counts.total, counts.made_up) == (2, 4, 1)
    assert (tile.label, tile.value, tile.zero) == ("今日巡查", "2/4", False)
