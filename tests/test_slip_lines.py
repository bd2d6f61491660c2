"""Release slips for a whole move-out (issue 15, item 3): any number of item lines up to
services.MAX_ITEMS, every posted line kept in full and in order, each bad line refused with its
message on that line, more lines than a slip holds refused with the count and everything typed
kept (never cut short silently); + 添加一行 (htmx) returns one row of the page's own template;
without JavaScript 更多行 brings the form back with blank rows and saves nothing; the slip's
page and its document carry every line; a resubmission of a long form still registers once."""
import re

import pytest
from sqlalchemy import func, select

from conftest import client_for
from propsvc.extensions import db
from propsvc.slips import forms, services
from test_slips import doc_of, events, register, site, slips, text_of  # noqa: F401 (site: fixture)

HX = {"HX-Request": "true"}
EXT_B = "𠮷"


def lines(n: int, start: int = 0, step: int = 1) -> dict:
    """n item lines (posted at indices start, start+step, …): 物品1, 物品2 … with qty 1-3."""
    data = {"items-0-name": None, "items-0-qty": None, "items-1-name": None, "items-1-qty": None}
    for k in range(n):
        i = start + k * step
        data[f"items-{i}-name"] = f"物品{k + 1}"
        data[f"items-{i}-qty"] = str(k % 3 + 1)
    return data


def rows_of(html: str) -> list[str]:
    """The item rows of the rendered form, each with its messages."""
    return re.findall(r'(<div class="item-row[^"]*">.*?)\n    </div>', html, re.S)


def test_s3_forty_item_lines_are_all_saved(app, site):
    """40 lines (posted with gaps, as after rows were deleted in the browser), a 40-character name
    with an Extension-B character among them: all saved in order, in full, on the slip, its page,
    its document data and its event."""
    desk = client_for(app, site["users"]["front_desk"])
    data = lines(40, start=3, step=2)
    long_name = EXT_B + "家" * 38 + "末"
    data["items-41-name"] = long_name  # line 20
    resp = register(desk, site["unit"], **data)
    assert resp.status_code == 303, text_of(resp)
    [s] = slips(app)
    expected = [{"name": f"物品{k + 1}", "qty": k % 3 + 1} for k in range(40)]
    expected[19]["name"] = long_name
    assert s.items == expected
    doc = doc_of(app, s.id)
    assert doc.data["items"] == expected  # the printed slip gets every line, names uncut
    assert events(app, "slip.registered")[0].data["items"] == 40
    html = text_of(desk.get(f"/slips/{s.id}"))
    for item in expected:
        assert f"<td>{item['name']}</td>" in html
    assert "<td>40</td>" in html  # the 40th line's number
    # The draft prints (its layout over pages is the PDF template's: issue 15, item 4).
    resp = desk.get(f"/documents/{doc.id}.pdf")
    assert resp.status_code == 200 and resp.get_data().startswith(b"%PDF")


def test_s3_two_hundred_lines_fit_and_the_page_says_so(app, site):
    desk = client_for(app, site["users"]["front_desk"])
    page = text_of(desk.get("/slips/new"))
    assert f"最多 {services.MAX_ITEMS} 项" in page
    assert len(rows_of(page)) == forms.ITEM_ROWS and "最多 8 项" not in page
    resp = register(desk, site["unit"], **lines(services.MAX_ITEMS))
    assert resp.status_code == 303, text_of(resp)
    assert len(slips(app)[0].items) == services.MAX_ITEMS


def test_s3_unreasonable_line_count_is_refused_with_message(app, site):
    """One line more than a slip holds: 422, the count next to the items, every typed line back
    in the form; nothing saved. Blank rows beside them do not count."""
    desk = client_for(app, site["users"]["front_desk"])
    n = services.MAX_ITEMS + 1
    data = lines(n)
    data.update({f"items-{i}-name": "" for i in range(n, n + 5)})
    resp = register(desk, site["unit"], **data)
    assert resp.status_code == 422
    html = text_of(resp)
    assert f"一张放行条最多{services.MAX_ITEMS}项物品，本次填写了{n}项" in html
    assert re.search(r'<fieldset class="items has-error"', html)
    for k in range(n):
        assert f'value="物品{k + 1}"' in html
    assert len(rows_of(html)) == n + 5
    assert slips(app) == [] and events(app) == []


def test_s3_a_made_up_post_with_too_many_rows_is_refused_with_its_count(app, site):
    desk = client_for(app, site["users"]["front_desk"])
    posted = forms.MAX_ROWS + 1
    data = {f"items-{i}-name": "" for i in range(posted)}
    data["items-0-name"] = "冰箱"
    resp = register(desk, site["unit"], **data)
    assert resp.status_code == 422
    assert f"一次最多提交{forms.MAX_ROWS}行，本次提交了{posted}行" in text_of(resp)
    assert slips(app) == []


def test_s3_each_bad_line_gets_its_message_on_that_line(app, site):
    desk = client_for(app, site["users"]["front_desk"])
    data = lines(8)
    data.update({"items-1-qty": "1.5", "items-2-qty": "-2", "items-3-qty": "0", "items-4-name": "长" * 41,
                 "items-5-name": "", "items-5-qty": "3", "items-6-qty": "1000", "items-7-qty": ""})
    resp = register(desk, site["unit"], **data)
    assert resp.status_code == 422
    rows = rows_of(text_of(resp))
    messages = [re.findall(r'<p class="error">(.*?)</p>', r) for r in rows]
    assert messages[:8] == [[], ["数量须为整数（1、2、3…）。"], ["数量须为1至999的整数。"], ["数量须为1至999的整数。"],
                            ["物品名称最多40字。"], ["有数量的行请填写物品名称。"], ["数量须为1至999的整数。"], []]
    assert [r.startswith('<div class="item-row has-error">') for r in rows[:8]] == [False] + [True] * 6 + [False]
    assert 'value="' + "长" * 41 + '"' in text_of(resp)  # kept as typed, not cut
    assert slips(app) == []
    # A blank quantity on a named line is 1.
    fixed = dict(data, **{"items-1-qty": "1", "items-2-qty": "2", "items-3-qty": "3", "items-4-name": "长" * 40,
                          "items-5-name": "书柜", "items-6-qty": "999"})
    resp = register(desk, site["unit"], **fixed)
    assert resp.status_code == 303, text_of(resp)
    assert [i["qty"] for i in slips(app)[0].items] == [1, 1, 2, 3, 2, 3, 999, 1]


def test_s3_more_rows_without_js_adds_blank_rows_and_saves_nothing(app, site):
    """更多行 posts the form back: what was typed, plus MORE_ROWS blank rows, the first of them
    focused; nothing saved and the form's one-time key not spent (the same form then registers)."""
    desk = client_for(app, site["users"]["front_desk"])
    resp = register(desk, site["unit"], **lines(10), more="1", client_key="more-then-save")
    assert resp.status_code == 200
    html = text_of(resp)
    rows = rows_of(html)
    assert len(rows) == 10 + forms.MORE_ROWS
    for k in range(10):
        assert f'value="物品{k + 1}"' in rows[k]
    assert all('value=""' in r for r in rows[10:])
    assert re.search(r'<input[^>]*autofocus[^>]*id="items-10-name"', html)
    assert 'class="error"' not in html and "请按提示修改" not in html
    assert slips(app) == [] and events(app) == []
    with app.app_context():
        from propsvc.core.idempotency import SubmissionKey

        assert db.session.scalar(select(func.count()).select_from(SubmissionKey)) == 0
    resp = register(desk, site["unit"], **lines(10), client_key="more-then-save")
    assert resp.status_code == 303, text_of(resp)
    assert len(slips(app)[0].items) == 10


def test_s3_more_rows_stops_at_the_slip_limit_with_a_note(app, site):
    desk = client_for(app, site["users"]["front_desk"])
    resp = register(desk, site["unit"], **lines(services.MAX_ITEMS), more="1")
    assert resp.status_code == 200
    html = text_of(resp)
    assert len(rows_of(html)) == services.MAX_ITEMS
    assert f"一张放行条最多{services.MAX_ITEMS}项物品" in html
    assert slips(app) == []


def test_s3_add_row_returns_one_row_of_the_page_template(app, site):
    """+ 添加一行: one blank row with the next index and number, its name field autofocused, and the
    button again (out of band) asking for the row after it; no CSRF token or one-time key in it."""
    desk = client_for(app, site["users"]["front_desk"])
    page = text_of(desk.get("/slips/new"))
    assert 'hx-get="/slips/new?part=row&amp;i=8&amp;n=9"' in page
    resp = desk.get("/slips/new?part=row&i=8&n=9", headers=HX)
    assert resp.status_code == 200
    html = text_of(resp)
    [row] = rows_of(html)
    assert 'name="items-8-name"' in row and 'name="items-8-qty"' in row and "第9项物品名称" in row
    assert re.search(r'<input[^>]*autofocus[^>]*id="items-8-name"', row)
    assert 'hx-get="/slips/new?part=row&amp;i=9&amp;n=10"' in html and 'hx-swap-oob="true"' in html
    assert "client_key" not in html and "csrf_token" not in html and "<form" not in html
    # The row's markup is the page's own (one template serves page and fragment).
    first = rows_of(page)[0]
    assert re.sub(r"\d+|autofocus |placeholder=\"[^\"]*\"", "", row) == re.sub(r"\d+|placeholder=\"[^\"]*\"", "", first)
    for bad in ("i=-1", "i=x", "i=", f"i={forms.ROW_INDEX_LIMIT}", "n=9"):
        assert desk.get(f"/slips/new?part=row&{bad}", headers=HX).status_code == 400
    assert client_for(app, site["users"]["guard"]).get("/slips/new?part=row&i=8&n=9", headers=HX).status_code == 403


def test_s3_resubmitted_long_form_registers_once(app, site):
    desk = client_for(app, site["users"]["front_desk"])
    first = register(desk, site["unit"], **lines(60), client_key="long-twice")
    second = register(desk, site["unit"], **lines(60), client_key="long-twice")
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    assert len(slips(app)) == 1 and len(slips(app)[0].items) == 60
    assert len(events(app, "slip.registered")) == 1


def test_s3_clean_items_keeps_every_line_or_refuses_it():
    rows = [(f"物品{k}", 1) for k in range(services.MAX_ITEMS)] + [("", 1), ("  ", None)]
    assert len(services.clean_items(rows)) == services.MAX_ITEMS
    with pytest.raises(services.SlipError, match=f"本次填写了{services.MAX_ITEMS + 1}项"):
        services.clean_items(rows + [("多一件", 1)])
    with pytest.raises(services.SlipError, match="第2行：物品名称最多40字"):
        services.clean_items([("床", 1), ("长" * 41, 1)])
    with pytest.raises(services.SlipError, match="第1行：数量须为1至999"):
        services.clean_items([("床", 0)])
    with pytest.raises(services.SlipError, match="第3行：有数量的行请填写物品名称"):
        services.clean_items([("床", 1), ("", 1), ("", 4)])
    assert services.clean_items([(" 床 ", None)]) == [{"name": "床", "qty": 1}]
