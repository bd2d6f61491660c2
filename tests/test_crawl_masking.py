"""[T9] Signed in as each role on the demo site, every page reachable from 首页 by GET (pages,
htmx fragments, CSV exports) shows no full phone or ID number of an owner, visitor, worker,
renovation lead, carrier or resident, and none answers with a 500."""
import re

import pytest
from sqlalchemy import select

from conftest import login
from crawl import crawl
from propsvc.extensions import db
from propsvc.registry.demo import COMMUNITY_NAME, DEMO_ACCOUNTS, DEMO_PASSWORD

ROLES_LIMIT = 400


def full_numbers() -> set[str]:
    """Every confidential number in the personal-data tables (core.scope.REVEAL's fields)."""
    from propsvc.core.scope import REVEAL

    out = set()
    for rule in REVEAL.values():
        module, name = rule.model.rsplit(".", 1)
        cls = getattr(__import__(f"propsvc.{module}", fromlist=[name]), name)
        for attr in rule.fields:
            out.update(v for v in db.session.scalars(select(getattr(cls, attr))) if v and len(v) >= 11)
    from propsvc.tickets.models import Caller

    out.update(v for v in db.session.scalars(select(Caller.phone)) if v and len(v) >= 11)
    return out


@pytest.fixture
def demo(app):
    from propsvc.cli import ensure_departments, find_community
    from propsvc.registry.demo import seed_demo, seed_demo_activity, seed_demo_areas

    with app.app_context():
        ensure_departments()
        seed_demo()
        cid = find_community(COMMUNITY_NAME).id
        seed_demo_activity(cid)
        seed_demo_areas(cid)
        numbers = full_numbers()
        db.session.remove()
    return numbers


def test_t9_crawl_every_role_sees_no_full_number(app, demo):
    assert len(demo) > 500  # owners' phones and ID numbers, visitors, workers, carriers …
    pattern = re.compile("|".join(re.escape(n) for n in sorted(demo, key=len, reverse=True)))
    problems, visited = [], {}
    for username, *_ in DEMO_ACCOUNTS:
        client = app.test_client()
        assert login(client, username, DEMO_PASSWORD).status_code in (302, 303)
        result = crawl(client, "/", limit=ROLES_LIMIT)
        visited[username] = len(result.pages)
        problems += [f"{username}: {url} answered {status}" for url, status in result.errors]
        for url, body in result.pages.items():
            m = pattern.search(body)
            if m:
                problems.append(f"{username}: {url} shows the full number {m.group(0)}")
    assert not problems, "\n".join(problems[:40])
    # The crawl really walked the site: each role reached many pages, desk roles the most.
    assert all(n >= 5 for n in visited.values()), visited
    assert visited["front_desk"] > 30 and visited["supervisor"] > 50, visited
