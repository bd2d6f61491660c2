"""The authorization matrix, built from app.url_map: every rule × every role, signed out, and a
user of another community, each answer checked against the one table in tests/access_matrix.py.

Path arguments name real records of the demo community (tests/fullsite.py); the other
community's user (holding every role) asks for those same records and must get 404. GET for
every rule that has it; a POST-only rule gets a POST with a valid CSRF token and an empty body:
refused roles must be refused, allowed ones must not be refused and must not answer 5xx."""
from urllib.parse import urlsplit

import pytest

from access_matrix import IN, LOGIN, ROLES, ROUTES
from conftest import GENERATED, PASSWORD, backend_of, csrf_token
from propsvc.core.idempotency import issue_key

COLUMNS = [*ROLES, "anon", "other"]


def _rules(app):
    return sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint))


def names_record(rule) -> bool:
    return any(a.endswith("_id") or a == "token" for a in rule.arguments)


def test_every_rule_has_a_row(app, full_site):  # full_site: this module keeps its data (conftest._clean_db)
    """A new route fails here until tests/access_matrix.py says who may use it."""
    endpoints = {r.endpoint for r in app.url_map.iter_rules()}
    missing = sorted(endpoints - ROUTES.keys())
    stale = sorted(ROUTES.keys() - endpoints)
    assert not missing, ("these routes have no row in tests/access_matrix.py: add one saying which roles may use "
                         "each (and any answer that differs from the defaults): " + ", ".join(missing))
    assert not stale, "tests/access_matrix.py has rows for routes that no longer exist: " + ", ".join(stale)


def url_for_rule(app, rule, site) -> str:
    from flask import url_for

    from propsvc.core.web import static_url

    with app.test_request_context():
        if rule.endpoint == "static_files.static_file":
            return static_url("css/app.css")
        row = ROUTES[rule.endpoint]
        values = {a: site.sample(a) for a in rule.arguments}
        values.update({k: v(site) if callable(v) else v for k, v in row.args.items()})
        return url_for(rule.endpoint, **values)


def sign_in(app, site, column):
    from propsvc.auth.services import KIOSK_COOKIE

    client = app.test_client()
    if column != "anon":  # a signed-out browser is an ordinary one (a kiosk PC's goes to its lock screen)
        client.set_cookie(KIOSK_COOKIE, site.kiosk_token)  # so /kiosk shows the lock screen, not "not a kiosk"
        username, password = (site.outsider, PASSWORD) if column == "other" else (site.users[column], site.password)
        token = csrf_token(client)
        resp = client.post("/login", data={"username": username, "password": password, "csrf_token": token})
        assert resp.status_code == 303, (column, resp.status_code)
    client.csrf = csrf_token(client)
    return client


def answer(resp) -> str | int:
    """What the response amounts to: LOGIN for a redirect to sign-in, else the status."""
    location = urlsplit(resp.headers.get("Location", "")).path
    if resp.status_code == 302 and location == "/login":
        return LOGIN
    return resp.status_code


def matches(expected, got) -> bool:
    if expected == IN:
        return got != LOGIN and got < 500 and got not in (401, 403, 404)
    return got == expected


@pytest.mark.parametrize("column", COLUMNS)
def test_access_matrix(app, full_site, column):
    client = sign_in(app, full_site, column)
    wrong, checked = [], 0
    for rule in _rules(app):
        row = ROUTES.get(rule.endpoint)
        if row is None:
            continue  # test_every_rule_has_a_row says so
        url = url_for_rule(app, rule, full_site)
        caller = sign_in(app, full_site, column) if row.signs_out else client
        if "GET" in rule.methods:
            method, resp = "GET", caller.get(url)
        else:
            # a valid one-time key, so the probe meets the access rules, not the key check
            method, resp = "POST", caller.post(url, data={"csrf_token": caller.csrf, "client_key": issue_key(app=app)})
        expected, got = row.expect(column, names_record(rule)), answer(resp)
        checked += 1
        if not matches(expected, got):
            wrong.append(f"{method} {url} ({rule.endpoint}): expected {expected}, got {got}")
    GENERATED.setdefault("matrix", {}).setdefault((backend_of(app), checked), []).append(column)
    assert not wrong, f"{column}: {len(wrong)} of {checked} rules answer otherwise than tests/access_matrix.py " \
                      "says:\n  " + "\n  ".join(wrong)
