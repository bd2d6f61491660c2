"""Search that understands the IME: one normaliser (core.normalize + registry.query) for every
unit picker and the gate serial — full-width, IME dashes, 栋/幢/号楼/单元/室, #, /, spaces and
Chinese numerals read as the canonical unit code; NUL and control characters dropped; a length
limit."""
import re

import pytest

from conftest import client_for
from propsvc.core.normalize import MAX_QUERY_LENGTH, clean_query, compact_code, document_serial
from propsvc.registry.query import UnitCodeError, chinese_number, parse_unit_query
from propsvc.registry.services import SearchError, parse_query

# --- the normaliser itself (pure) ----------------------------------------------------------------

SAME_UNIT = ["3-2-1201", "３-２-１２０１", "３－２－１２０１", "3—2—1201", "3#2-1201", "3＃2-1201", "3/2/1201",
             "3／2／1201", "3 2 1201", "3　2　1201", "3栋2单元1201", "3号楼2单元1201室", "3 栋 2 单元 1201",
             "3幢2单元1201", "三栋二单元1201", "3栋两单元1201", "3幢二单元一二零一", " 3-2-1201\n", "3-2-1201室",
             "3\x00-2-1201", "3\u200b-2-1201", "\ufeff3-2-1201", "3栋-2单元-1201"]


@pytest.mark.parametrize("typed", SAME_UNIT)
def test_unit_code_ime_forms_read_as_the_canonical_code(typed):
    code = parse_unit_query(clean_query(typed))
    assert code is not None and code.complete
    assert code.code == "3-2-1201" and code.label == "3栋2单元1201"


@pytest.mark.parametrize("typed, code", [
    ("3栋二单元", "3-2-*"), ("3-2-", "3-2-*"), ("3/2/", "3-2-*"), ("3栋2-", "3-2-*"), ("3栋", "3-*-*"),
    ("十二栋", "12-*-*"), ("3-1201", "3-*-1201"), ("3栋1201", "3-*-1201"), ("2单元1201", "*-2-1201"),
    ("1201室", "*-*-1201"), ("a座1201", "A-*-1201"), ("12#1-0501", "12-1-0501"), ("十二栋一单元0501", "12-1-0501"),
])
def test_unit_code_ime_partial_codes(typed, code):
    assert parse_unit_query(clean_query(typed)).code == code


@pytest.mark.parametrize("typed", ["张三", "王国栋", "十二", "一一", "Tom", "李"])
def test_unit_code_ime_names_keep_their_numerals(typed):
    assert parse_unit_query(clean_query(typed)) is None


@pytest.mark.parametrize("typed", ["3--1201", "-2-1201", "3-2-1201-5", "3栋2栋", "3单元2栋", "3-0-1201", "栋2单元1201"])
def test_unit_code_ime_unreadable_codes_raise_a_chinese_message(typed):
    with pytest.raises(UnitCodeError, match="[\u4e00-\u9fff]"):
        parse_unit_query(clean_query(typed))


@pytest.mark.parametrize("text, n", [("一", 1), ("两", 2), ("十", 10), ("十二", 12), ("二十", 20), ("二十三", 23),
                                     ("一二零一", 1201), ("十十", None), ("零十", None), ("十零", None)])
def test_unit_code_ime_chinese_numerals(text, n):
    assert chinese_number(text) == n


@pytest.mark.parametrize("typed", ["\x00", "\x00\x00 ", "\u200b", "   ", "\t\n", "\x7f\x1b", ""])
def test_search_ime_nothing_left_after_cleaning_asks_nothing(typed):
    assert clean_query(typed) == ""
    assert parse_query(typed) is None


def test_search_ime_length_limit_is_named_and_checked_after_cleaning():
    assert parse_query("王" * MAX_QUERY_LENGTH).name == "王" * MAX_QUERY_LENGTH
    assert parse_query("　" * 3 + "王" * MAX_QUERY_LENGTH) is not None  # surrounding spaces do not count
    with pytest.raises(SearchError, match="查询内容太长"):
        parse_query("王" * (MAX_QUERY_LENGTH + 1))
    with pytest.raises(SearchError, match="查询内容太长"):
        parse_query("\x00" * 100_000)  # not even cleaned: refused by its raw length


@pytest.mark.parametrize("typed", ["138 1234 5678", "138-1234-5678", "１３８１２３４５６７８"])
def test_search_ime_phone_typed_with_spaces_is_a_phone(typed):
    assert parse_query(typed).digits == "13812345678"


@pytest.mark.parametrize("typed", ["CRZ2026-0001", "crz2026-0001", "ｃｒｚ２０２６－０００１", "CRZ20260001", "crz2026 0001",
                                   "CRZ2026—0001", "CRZ2026-1", " CRZ 2026 0001 "])
def test_gate_serial_ime_reads_one_serial(typed):
    assert document_serial(typed) == "CRZ2026-0001"


def test_gate_serial_ime_not_a_serial():
    assert document_serial("王建国") == document_serial("") == document_serial("2026-0001") == ""
    assert compact_code("ｓｆ　１２３４－５６７８") == "SF12345678"


# --- every unit picker, through the app ---------------------------------------------------------

@pytest.fixture
def site(app, make):
    c = make.community()
    b3, b12 = make.building(c, "3"), make.building(c, "12")
    u = make.unit(b3, 2, "1201")
    make.person(u, name="王建国", phone="13812345678")
    other_entrance = make.unit(b3, 1, "1201")
    neighbour = make.unit(b3, 2, "1202")
    make.person(neighbour, name="张三", phone="13900002222")
    make.unit(b12, 1, "0501")
    make.unit(b12, 2, "1201")
    users = {r: make.user(r, communities=[c]) for r in ("front_desk", "steward", "supervisor", "guard")}
    return {"community": c, "unit": u, "other_entrance": other_entrance, "neighbour": neighbour, "users": users}


def _listed(html: str) -> set[str]:
    return set(re.findall(r"<strong>(\d+栋\d+单元\d+)</strong>", html))


@pytest.mark.parametrize("typed", ["３-２-１２０１", "3#2-1201", "3/2/1201", "3号楼2单元1201室", "三栋二单元1201",
                                   "3 2 1201", "3－2－1201"])
def test_search_ime_unit_search_finds_the_one_unit(app, site, typed):
    client = client_for(app, site["users"]["front_desk"])
    resp = client.get("/units", query_string={"q": typed})
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert _listed(html) == {"3栋2单元1201"}
    assert "按房号“3栋2单元1201”查找" in html


@pytest.mark.parametrize("typed", ["3栋二单元", "3-2-", "3/2/", "３栋２单元"])
def test_search_ime_partial_building_and_entrance_lists_that_entrances_homes(app, site, typed):
    client = client_for(app, site["users"]["front_desk"])
    html = client.get("/units", query_string={"q": typed}).get_data(as_text=True)
    assert _listed(html) == {"3栋2单元1201", "3栋2单元1202"}
    assert "按房号“3栋2单元”查找" in html


def test_search_ime_building_alone_and_home_in_any_entrance(app, site):
    client = client_for(app, site["users"]["front_desk"])
    assert _listed(client.get("/units", query_string={"q": "十二栋"}).get_data(as_text=True)) == {
        "12栋1单元0501", "12栋2单元1201"}
    assert _listed(client.get("/units", query_string={"q": "3栋1201"}).get_data(as_text=True)) == {
        "3栋2单元1201", "3栋1单元1201"}


def test_search_ime_an_entrance_lists_its_homes_floor_by_floor_and_says_when_cut(app, site, make):
    """3栋二单元 in a tall entrance: homes by floor (901 before 1001, not as text), and the
    pickers say the list stops at the limit rather than ending silently."""
    from propsvc.registry.services import SEARCH_LIMIT

    b5 = make.building(site["community"], "5")
    for floor in range(1, 19):
        for room in (1, 2):
            make.unit(b5, 1, f"{floor}{room:02d}")
    client = client_for(app, site["users"]["front_desk"])
    html = client.get("/units", query_string={"q": "5栋一单元"}).get_data(as_text=True)
    listed = re.findall(r"<strong>5栋1单元(\d+)</strong>", html)
    assert listed == [f"{f}{r:02d}" for f in range(1, 16) for r in (1, 2)][:SEARCH_LIMIT]
    assert f"仅显示前{SEARCH_LIMIT}条" in html
    lookup = client.get("/tickets/new", query_string={"part": "lookup", "unit_q": "5栋1单元"},
                        headers={"HX-Request": "true"}).get_data(as_text=True)
    assert f"仅列出前{SEARCH_LIMIT}套" in lookup
    few = client.get("/tickets/new", query_string={"part": "lookup", "unit_q": "3栋2单元"},
                     headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "仅列出前" not in few


@pytest.mark.parametrize("typed", ["\x00", "%00", "\x00\x00", " \u200b ", "\x1b"])
def test_search_ime_nul_lists_no_unit(app, site, typed):
    """/units?q=%00 used to list every unit: a query that is empty once cleaned shows the page's
    empty state (no list, no "nothing found" either), on both databases."""
    client = client_for(app, site["users"]["front_desk"])
    url = "/units?q=%00" if typed == "%00" else None
    resp = client.get(url) if url else client.get("/units", query_string={"q": typed})
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert _listed(html) == set() and "/units/" not in html.split('id="results"')[1]
    assert "没有找到" not in html


def test_search_ime_nul_inside_a_name_or_code_is_dropped(app, site):
    client = client_for(app, site["users"]["front_desk"])
    assert _listed(client.get("/units", query_string={"q": "王\x00建国"}).get_data(as_text=True)) == {"3栋2单元1201"}
    assert _listed(client.get("/units", query_string={"q": "\x003-2-1201"}).get_data(as_text=True)) == {"3栋2单元1201"}


def test_search_ime_names_with_numerals_still_found(app, site):
    client = client_for(app, site["users"]["front_desk"])
    assert _listed(client.get("/units", query_string={"q": "张三"}).get_data(as_text=True)) == {"3栋2单元1202"}
    assert _listed(client.get("/units", query_string={"q": "１３８ １２３４ ５６７８"}).get_data(as_text=True)) == {
        "3栋2单元1201"}


def test_search_ime_too_long_is_a_chinese_400(app, site):
    client = client_for(app, site["users"]["front_desk"])
    resp = client.get("/units", query_string={"q": "王" * (MAX_QUERY_LENGTH + 1)})
    assert resp.status_code == 400 and "查询内容太长" in resp.get_data(as_text=True)


PICKERS = [  # (url of the form's unit look-up, role)
    ("/tickets/new", "front_desk"),
    ("/desk/visitors/new", "front_desk"),
    ("/errands/parcels/new", "front_desk"),
    ("/errands/mail/new", "front_desk"),
    ("/errands/cards/new", "front_desk"),
    ("/renovations/new", "front_desk"),
    ("/slips/new", "front_desk"),
    ("/patrols/start", "steward"),
]


@pytest.mark.parametrize("url, role", PICKERS)
@pytest.mark.parametrize("typed", ["３-２-１２０１", "3号楼2单元1201室", "3/2/1201"])
def test_search_ime_every_unit_picker_chooses_the_unit(app, site, url, role, typed):
    client = client_for(app, site["users"][role])
    resp = client.get(url, query_string={"part": "lookup", "unit_q": typed}, headers={"HX-Request": "true"})
    assert resp.status_code == 200, (url, resp.status_code)
    html = resp.get_data(as_text=True)
    assert f'name="unit_id" value="{site["unit"].id}"' in html, url
    assert "3栋2单元1201" in html


@pytest.mark.parametrize("url, role", PICKERS)
def test_search_ime_every_unit_picker_ignores_a_nul(app, site, url, role):
    client = client_for(app, site["users"][role])
    resp = client.get(url, query_string={"part": "lookup", "unit_q": "\x00"}, headers={"HX-Request": "true"})
    assert resp.status_code == 200, (url, resp.status_code)
    html = resp.get_data(as_text=True)
    for u in (site["unit"], site["neighbour"], site["other_entrance"]):
        assert f'name="unit_id" value="{u.id}"' not in html, url  # neither chosen nor offered


def test_search_ime_patrol_plan_unit_code(app, site):
    """巡查设置's plan form reads its 房号 through the same normaliser."""
    from propsvc.registry.services import parse_query

    uq = parse_query("３栋２单元１２０１室")
    assert (uq.building, uq.entrance, uq.number) == ("3", 2, "1201")


def test_search_ime_reveal_audit_unit_filter(app, site):
    """The audit's unit box (privacy) reads 3号楼2单元1201 as 3-2-1201 and a NUL as an empty box."""
    from propsvc.privacy.services import _unit_ids

    with app.app_context():
        assert _unit_ids(site["community"].id, "3号楼2单元1201") == [site["unit"].id]
        assert sorted(_unit_ids(site["community"].id, "3栋二单元")) == sorted([site["unit"].id, site["neighbour"].id])
        assert _unit_ids(site["community"].id, "\x00") is None


def test_search_ime_errand_lists_search(app, site):
    """The parcel, mail and card lists' search box: a full-width unit, a NUL is no filter."""
    client = client_for(app, site["users"]["front_desk"])
    for kind in ("parcels", "mail", "cards"):
        for typed in ("３-２-１２０１", "3栋二单元", "\x00", "3 2 1201"):
            resp = client.get(f"/errands/{kind}", query_string={"q": typed})
            assert resp.status_code == 200, (kind, typed, resp.status_code)
