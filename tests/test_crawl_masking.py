"""The crawl [T9]: signed in as each role, and as another community's user holding every role,
every page reachable from 首页 by GET — pages, htmx fragments, CSV exports, and the GET forms
(search boxes, day pickers) as filled in and with a search for a real home, which leads on to
its unit page — shows no full phone or ID number of an owner, visitor, worker, renovation lead,
carrier or resident, and none answers 5xx.

One crawl per account serves both checks. The site is tests/fullsite.py (the demo plus a
patrol, photos, a cover, a second community…); the crawler is tests/crawl.py."""
import re

import pytest
from sqlalchemy import select

from access_matrix import ROLES
from conftest import GENERATED, PASSWORD, backend_of, login
from crawl import crawl
from propsvc.extensions import db

LIMIT = 900  # requests per account: bounds `make test` (the whole site is ~740 for a supervisor with events and fees)


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
    """The demo site alone, for one test (tests/test_t9_privacy.py imports it); returns its
    confidential numbers."""
    from propsvc.cli import ensure_departments, find_community
    from propsvc.demo import COMMUNITY_NAME, seed_demo, seed_demo_activity, seed_demo_areas

    with app.app_context():
        ensure_departments()
        seed_demo()
        cid = find_community(COMMUNITY_NAME).id
        seed_demo_activity(cid)
        seed_demo_areas(cid)
        found = full_numbers()
        db.session.remove()
    return found


@pytest.fixture(scope="module")
def numbers(app, full_site):
    with app.app_context():
        found = full_numbers()
        db.session.remove()
    assert len(found) > 500  # owners' phones and ID numbers, visitors, workers, carriers …
    return re.compile("|".join(re.escape(n) for n in sorted(found, key=len, reverse=True)))


@pytest.mark.parametrize("who", [*ROLES, "other"])
def test_t9_crawl_shows_no_full_number_and_no_5xx(app, full_site, numbers, who):
    client = app.test_client()
    username, password = (full_site.outsider, PASSWORD) if who == "other" else (full_site.users[who],
                                                                                  full_site.password)
    assert login(client, username, password).status_code in (302, 303)
    unit = full_site.extra["unit_code"]
    result = crawl(client, "/", limit=LIMIT, searches={"q": [unit, unit.split("-")[-1], full_site.extra["owner_name"]]})
    GENERATED.setdefault("crawl", {}).setdefault(backend_of(app), {})[who] = (
        f"{len(result.statuses)}{' (cut at the limit)' if result.truncated else ''}")
    problems = [f"{url} answered {status}" for url, status in result.errors]
    for url, body in result.pages.items():
        m = numbers.search(body)
        if m:
            problems.append(f"{url} shows the full number {m.group(0)}")
    assert not problems, f"{who}:\n  " + "\n  ".join(problems[:40])
    # The crawl really walked the site: desk roles the most, and a search led on to the home's page.
    assert len(result.pages) >= {"front_desk": 30, "supervisor": 50}.get(who, 5), (who, len(result.pages))
    if who in ("front_desk", "supervisor", "steward"):
        assert any(re.match(rf"/units/{full_site.ids['unit_id']}\b", url) for url in result.pages), sorted(result.pages)
