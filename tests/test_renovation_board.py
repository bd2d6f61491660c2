"""The renovation board (装修动态表) [R7]: per building and floor, who renovates where and until
when, overdue ones marked; on screen and as an A4 PDF for the notice board."""
import shutil
import subprocess
from datetime import timedelta

import pytest

from conftest import client_for, post
from propsvc.core.timefmt import site_today
from propsvc.renovation import services

LEAD_ID = "110101199003071233"
pdf_tools = pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils not installed")


@pytest.fixture
def site(app, make):
    c = make.community()
    b3, b5 = make.building(c, "3"), make.building(c, "5")
    units = {
        "late": make.unit(b3, 2, "1201"),
        "now": make.unit(b3, 2, "1202"),
        "low": make.unit(b3, 1, "301", floor=3),
        "soon": make.unit(b5, 1, "801", floor=8),
        "pending": make.unit(b3, 1, "1501", floor=15),
        "done": make.unit(b3, 1, "1601", floor=16),
    }
    for key, u in units.items():
        make.person(u, name=f"业主{key}")
    users = {role: make.user(role, communities=[c]) for role in ("front_desk", "manager", "steward", "guard")}
    return {"community": c, "b3": b3, "b5": b5, "units": units, "users": users}


def renovate(app, site, key, start, end, company, approve=True, finish=False):
    desk = client_for(app, site["users"]["front_desk"])
    u = site["units"][key]
    resp = post(desk, "/renovations/new", {
        "unit_id": str(u.id), "applicant_role": "lead", "applicant_name": f"负责人{key}", "lead_company": company,
        "lead_name": f"负责人{key}", "lead_phone": "13912345678", "lead_id_number": LEAD_ID, "scope": "全屋装修",
        "starts_on": start.isoformat(), "ends_on": end.isoformat(), "client_key": f"board-{key}"},
        content_type="multipart/form-data")
    assert resp.status_code == 303, resp.get_data(as_text=True)
    rid = int(resp.headers["Location"].rsplit("/", 1)[1])
    mgr = client_for(app, site["users"]["manager"])
    if approve:
        assert post(mgr, f"/renovations/{rid}/approve", {}).status_code == 303
    if finish:
        assert post(mgr, f"/renovations/{rid}/finish", {}).status_code == 303
    return rid


@pytest.fixture
def renovations(app, site):
    today = site_today()
    return {
        "late": renovate(app, site, "late", today - timedelta(days=100), today - timedelta(days=10), "迟到装饰"),
        "now": renovate(app, site, "now", today - timedelta(days=5), today + timedelta(days=60), "准时装饰"),
        "low": renovate(app, site, "low", today - timedelta(days=1), today + timedelta(days=20), "低层装饰"),
        "soon": renovate(app, site, "soon", today + timedelta(days=7), today + timedelta(days=90), "五栋装饰"),
        "pending": renovate(app, site, "pending", today, today + timedelta(days=30), "待批装饰", approve=False),
        "done": renovate(app, site, "done", today - timedelta(days=90), today - timedelta(days=2), "完工装饰",
                         finish=True),
    }


def test_r7_board_marks_overdue(clock, app, site, renovations):
    today = site_today()
    with app.app_context():
        data = services.board(site["community"].id, today)
    assert [b["building"] for b in data] == ["3栋", "5栋"]
    b3 = data[0]
    assert [f["floor"] for f in b3["floors"]] == [3, 12]  # per floor, low to high
    rows = {row["unit"]: row for f in b3["floors"] for row in f["rows"]}
    assert set(rows) == {"3栋2单元1201", "3栋2单元1202", "3栋1单元301"}  # not the pending or finished ones
    assert rows["3栋2单元1201"]["overdue"] and rows["3栋2单元1201"]["days_over"] == 10
    assert not rows["3栋2单元1202"]["overdue"] and rows["3栋2单元1202"]["lead_company"] == "准时装饰"
    assert (b3["count"], b3["overdue"]) == (3, 1)
    assert data[1]["floors"][0]["rows"][0]["started"] is False
    assert all("13912345678" not in str(b) and LEAD_ID not in str(b) for b in data)

    steward = client_for(app, site["users"]["steward"])
    html = steward.get("/renovations/board").get_data(as_text=True)
    assert "已超期 10 天" in html and "迟到装饰" in html and "五栋装饰" in html and "未开工" in html
    assert "待批装饰" not in html and "完工装饰" not in html
    assert "13912345678" not in html and LEAD_ID not in html
    # One building; as an htmx fragment.
    frag = steward.get(f"/renovations/board?building={site['b5'].id}", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in frag and "五栋装饰" in frag and "迟到装饰" not in frag
    # The overdue one is listed as such too.
    listing = steward.get("/renovations?state=overdue").get_data(as_text=True)
    assert "3栋2单元1201" in listing and "3栋2单元1202" not in listing


def test_board_for_the_guard_and_not_for_strangers(app, site, renovations, make):
    guard = client_for(app, site["users"]["guard"])
    html = guard.get("/renovations/board").get_data(as_text=True)
    assert "迟到装饰" in html and f"/renovations/{renovations['late']}\"" not in html  # no link into the file
    other = make.community()
    outsider = client_for(app, make.user("manager", communities=[other]))
    assert "迟到装饰" not in outsider.get("/renovations/board").get_data(as_text=True)
    assert "目前没有正在装修的房屋" in outsider.get("/renovations/board").get_data(as_text=True)


@pdf_tools
def test_r7_board_pdf_is_a4_with_the_overdue_marked_and_nothing_personal(app, site, renovations, tmp_path):
    guard = client_for(app, site["users"]["guard"])
    resp = guard.get(f"/renovations/board.pdf?building={site['b3'].id}")
    assert resp.status_code == 200 and resp.mimetype == "application/pdf" and resp.data.startswith(b"%PDF")
    path = tmp_path / "board.pdf"
    path.write_bytes(resp.data)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert "装修动态表" in text and site["community"].name in text
    assert "3栋2单元1201" in text and "迟到装饰" in text and "超期10天" in text.replace(" ", "")
    assert "五栋装饰" not in text and "待批装饰" not in text
    assert "13912345678" not in text and LEAD_ID not in text and "业主late" not in text
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    assert "595.276 x 841.89 pts (A4)" in info or "(A4)" in info
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    assert "yes" in fonts.splitlines()[-1]  # embedded
    # All buildings on one board.
    assert guard.get("/renovations/board.pdf").status_code == 200


@pdf_tools
def test_r7_board_pdf_columns_line_up(app, site, renovations):
    """Each board row is one text whose fields sit on tab stops (see board_pdf.html): the unit,
    the period and the company must start at the same x on every row, overdue or not."""
    import re

    from test_documents import pdf_words

    guard = client_for(app, site["users"]["guard"])
    pdf = guard.get(f"/renovations/board.pdf?building={site['b3'].id}").data
    words = [(w, x, y) for w, x, y, _x1 in pdf_words(pdf)]

    def x_of(text):
        return [x for w, x, _ in words if w.startswith(text)]

    units = x_of("3栋2单元1201") + x_of("3栋2单元1202") + x_of("3栋1单元301")
    companies = x_of("迟到装饰") + x_of("准时装饰") + x_of("低层装饰")
    assert len(units) == 3 and len(companies) == 3
    rows_y = [y for w, _, y in words if w.startswith("3栋") and "单元" in w]
    starts = [min(x for w, x, y in words if abs(y - row_y) < 1 and re.fullmatch(r"\d{4}-\d\d-\d\d", w))
              for row_y in rows_y]  # each row's start date
    # Within 1.5 pt (glyph side bearings); a field on the wrong stop is 44 pt (15.5 mm) off.
    assert max(units) - min(units) < 1.5 and max(companies) - min(companies) < 1.5
    assert max(starts) - min(starts) < 1.5
    assert min(units) + 40 < min(starts) < min(companies) - 150  # in that order, well apart (pt)
