"""Signed in as each role, and as another community's user holding every role, every page
reachable from 首页 by GET — links, htmx fragments, CSV exports, and the GET forms (search
boxes, day pickers) as filled in and with a search for a real home — answers below 500.

The site is tests/fullsite.py (the demo plus patrols, photos, covers…); the crawler
tests/crawl.py, the same one the masking check (test_crawl_masking.py) uses."""
import pytest

from access_matrix import ROLES
from conftest import GENERATED, PASSWORD, backend_of, csrf_token
from crawl import crawl

LIMIT = 600  # requests per account: bounds `make test` (the whole site is ~520 for a supervisor)


@pytest.mark.parametrize("who", [*ROLES, "other"])
def test_crawl_from_home_answers_no_5xx(app, full_site, who):
    client = app.test_client()
    username, password = (full_site.outsider, PASSWORD) if who == "other" else (full_site.users[who],
                                                                                  full_site.password)
    resp = client.post("/login", data={"username": username, "password": password, "csrf_token": csrf_token(client)})
    assert resp.status_code == 303
    unit = full_site.extra["unit_code"]
    result = crawl(client, "/", limit=LIMIT, searches={"q": [unit, unit.split("-")[-1], full_site.extra["owner_name"]]})
    GENERATED.setdefault("crawl", {}).setdefault(backend_of(app), {})[who] = (
        f"{len(result.statuses)}{' (cut at the limit)' if result.truncated else ''}")
    assert not result.errors, f"{who}: " + ", ".join(f"{url} answered {status}" for url, status in result.errors)
    assert len(result.pages) >= 5, (who, sorted(result.pages))
    if who in ("front_desk", "supervisor", "steward"):  # the search led on to the home's own page
        assert any(url.startswith(f"/units/{full_site.ids['unit_id']}") for url in result.pages), sorted(result.pages)
