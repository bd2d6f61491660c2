"""The guard's pass check at the gate: valid / expired / revoked / unknown, with the worker's
photo, name and unit, and nothing else personal; every check is an Event."""
from datetime import date, timedelta

import pytest

from test_passes import (WORKER_PHONE, client_for, events, ident, pass_doc, pay, post, register,  # noqa: F401
                         renovation, site, workers)


@pytest.fixture
def passes(app, site):
    """Four workers: 1 valid, 2 expired, 3 returned (revoked), 4 registered but not paid."""
    from propsvc.extensions import db
    from propsvc.documents.models import Document

    rid = renovation(app, site)
    desk = client_for(app, site["users"]["front_desk"])
    for n in (1, 2, 3, 4):
        assert register(desk, rid, n=n, name=f"工人{n}").status_code == 303
    fin = client_for(app, site["users"]["finance"])
    ws = workers(app)
    for w in ws[:3]:
        assert pay(fin, w.id, receipt=f"SJ{w.id}").status_code == 303
    assert post(fin, f"/renovations/workers/{ws[2].id}/return", {"refund_receipt_no": "TK1"}).status_code == 303
    docs = [pass_doc(app, w.id) for w in ws[:3]]
    with app.app_context():
        d = db.session.get(Document, docs[1].id)
        d.valid_until = date.today() - timedelta(days=1)
        db.session.commit()
    return {"rid": rid, "workers": ws, "docs": docs}


def _body(resp):
    assert resp.status_code == 200
    return resp.get_data(as_text=True)


def _no_personal_data(html):
    for n in (1, 2, 3, 4):
        assert ident(n) not in html
        assert ident(n)[:4] + "**" not in html  # not even masked
    assert WORKER_PHONE not in html and WORKER_PHONE[-4:] not in html
    result = html[html.index('<section id="gate-result"'):]
    result = result[:result.index("</section>")]
    assert "身份证" not in result and "电话" not in result and "手机" not in result and "水电" not in result


def test_gate_shows_valid_expired_revoked_unknown_without_personal_data(app, site, passes):
    guard = client_for(app, site["users"]["guard"])
    page = _body(guard.get("/renovations/gate"))
    assert "扫码" in page and 'name="q"' in page and "gate.js" in page
    assert 'hx-get="/renovations/gate/check"' in page and 'action="/renovations/gate/check"' in page

    valid, expired, revoked = passes["docs"]
    w1, w2, w3, _w4 = passes["workers"]
    cases = [(valid.serial, "有效", "valid", w1), (expired.serial, "已过期", "expired", w2),
             (revoked.serial, "已撤销", "revoked", w3)]
    for q, label, status, w in cases:
        html = _body(guard.get("/renovations/gate/check", query_string={"q": q}))
        assert f'data-status="{status}"' in html and label in html
        assert w.name in html and "3栋2单元1201" in html and q in html
        assert f"/renovations/workers/{w.id}/photo" in html
        _no_personal_data(html)
    # Typed in lower case, with spaces; the QR's URL; the bare code.
    for q in (f"  {valid.serial.lower()} ", f"http://wuye.example.cn/v/{valid.code}", valid.code):
        html = _body(guard.get("/renovations/gate/check", query_string={"q": q}))
        assert 'data-status="valid"' in html and "工人1" in html
    # A random serial, a random code, and a registered worker who has not paid (no pass yet).
    for q in ("CRZ2026-9999", "http://wuye.example.cn/v/not-a-real-code", "工人4"):
        html = _body(guard.get("/renovations/gate/check", query_string={"q": q}))
        assert 'data-status="unknown"' in html and "无此证件" in html
        assert "3栋2单元1201" not in html and "/photo" not in html
        _no_personal_data(html)

    checks = events(app, "pass.checked")
    assert [e.data["result"] for e in checks] == ["valid", "expired", "revoked", "valid", "valid", "valid",
                                                 "unknown", "unknown", "unknown"]
    assert all(e.actor_id == site["users"]["guard"].id and e.community_id == site["community"].id for e in checks)
    assert checks[0].object_type == "document" and checks[0].object_id == valid.id
    assert checks[0].data["serial"] == valid.serial and checks[-1].object_id is None


def test_gate_htmx_swaps_only_the_result_and_empty_query_asks_for_a_number(app, site, passes):
    guard = client_for(app, site["users"]["guard"])
    valid = passes["docs"][0]
    resp = guard.get(f"/renovations/gate/check?q={valid.serial}", headers={"HX-Request": "true"})
    html = _body(resp)
    assert html.lstrip().startswith('<section id="gate-result"') and "<html" not in html
    assert "有效" in html
    # Without JS: the whole page, with the typed number kept in the field.
    html = _body(guard.get(f"/renovations/gate/check?q={valid.serial}"))
    assert "<html" in html and f'value="{valid.serial}"' in html and 'data-status="valid"' in html
    html = _body(guard.get("/renovations/gate/check?q="))
    assert "请输入出入证编号" in html
    assert len(events(app, "pass.checked")) == 2


def test_gate_after_the_renovation_is_finished_is_not_valid(app, site, passes):
    from propsvc.extensions import db
    from propsvc.renovation import services
    from propsvc.renovation.models import Renovation

    with app.app_context():  # 完工 through the service: it ends the renovation's documents
        services.finish(db.session.get(Renovation, passes["rid"]), None)
        db.session.commit()
    guard = client_for(app, site["users"]["guard"])
    html = _body(guard.get(f"/renovations/gate/check?q={passes['docs'][0].serial}"))
    assert 'data-status="ended"' in html and "已结束" in html and "装修已完工" in html


def test_gate_and_worker_photo_access(app, site, passes, make):
    w1 = passes["workers"][0]
    serial = passes["docs"][0].serial
    for role in ("guard", "supervisor"):
        assert client_for(app, site["users"][role]).get("/renovations/gate").status_code == 200
    for role in ("technician", "front_desk", "finance", "steward"):
        c = client_for(app, site["users"][role])
        assert c.get("/renovations/gate").status_code == 403
        assert c.get(f"/renovations/gate/check?q={serial}").status_code == 403
    assert app.test_client().get("/renovations/gate").status_code == 302  # sign in first

    # The photo: guards and staff of this community, never technicians or another site.
    for role in ("guard", "front_desk", "steward", "supervisor", "manager", "finance"):
        resp = client_for(app, site["users"][role]).get(f"/renovations/workers/{w1.id}/photo")
        assert resp.status_code == 200 and resp.mimetype == "image/jpeg", role
        assert resp.headers["Cache-Control"].startswith("private")
    assert client_for(app, site["users"]["technician"]).get(f"/renovations/workers/{w1.id}/photo").status_code == 403
    assert app.test_client().get(f"/renovations/workers/{w1.id}/photo").status_code == 302

    other = make.community("别的小区")
    guard2 = client_for(app, make.user("guard", communities=[other]))
    assert guard2.get(f"/renovations/workers/{w1.id}/photo").status_code == 404
    html = _body(guard2.get(f"/renovations/gate/check?q={serial}"))
    assert 'data-status="unknown"' in html and "工人1" not in html  # another site's pass is not ours


def test_parse_query():
    from propsvc.renovation.pass_services import parse_query

    assert parse_query(" CRZ2026-0012 ") == "CRZ2026-0012"
    assert parse_query("https://wuye.example.cn/v/AbC_d-12?x=1") == "AbC_d-12"
    assert parse_query("/v/abc#top") == "abc"
    assert parse_query("CRZ 2026-0012") == "CRZ2026-0012"
    assert parse_query(None) == "" and parse_query("x" * 500) == "x" * 200


def test_gate_page_takes_slip_numbers_too(app, site):
    """The same page checks release slips (FX…); their flow is tested in test_slips.py."""
    guard = client_for(app, site["users"]["guard"])
    page = _body(guard.get("/renovations/gate"))
    assert "放行条编号" in page and "FX" in page
    html = _body(guard.get("/renovations/gate/check", query_string={"q": "FX2026-9999"}))
    assert 'data-status="unknown"' in html and "无此证件" in html


@pytest.mark.parametrize("typed", ["upper", "lower", "fullwidth", "no_dash", "spaces", "long_dash", "short_number"])
def test_gate_serial_ime_ignores_case_width_and_dashes(app, site, passes, typed):
    """A guard typing on a Chinese IME: full-width, lower case, without the dash, with spaces or
    the IME's long dash — the same pass. Recorded as a check of that pass."""
    import unicodedata

    serial = passes["docs"][0].serial  # CRZ2026-0001
    prefix, number = serial.split("-")
    fullwidth = "".join(chr(ord(ch) + 0xFEE0) if "!" <= ch <= "~" else ch for ch in serial)
    assert unicodedata.normalize("NFKC", fullwidth) == serial and fullwidth != serial
    q = {"upper": serial, "lower": serial.lower(), "fullwidth": fullwidth, "no_dash": prefix + number,
         "spaces": f" {prefix[:3]} {prefix[3:]} {number} ", "long_dash": f"{prefix}—{number}",
         "short_number": f"{prefix.lower()}-{int(number)}"}[typed]
    guard = client_for(app, site["users"]["guard"])
    html = _body(guard.get("/renovations/gate/check", query_string={"q": q}))
    assert 'data-status="valid"' in html and "工人1" in html
    checked = events(app, "pass.checked")
    assert checked[-1].data["serial"] == serial and checked[-1].data["result"] == "valid"


@pytest.mark.parametrize("typed", ["\x00", "%00", " \u200b "])
def test_gate_serial_ime_nul_is_an_empty_box(app, site, passes, typed):
    guard = client_for(app, site["users"]["guard"])
    before = len(events(app, "pass.checked"))
    resp = guard.get("/renovations/gate/check?q=%00") if typed == "%00" else guard.get(
        "/renovations/gate/check", query_string={"q": typed})
    assert resp.status_code == 200 and "工人" not in resp.get_data(as_text=True)
    assert len(events(app, "pass.checked")) == before  # nothing was checked
