"""Importing buildings, units and owners from CSV/XLSX: the service, the admin page and the CLI.
A file with any error writes nothing at all."""
import io
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from conftest import login, post
from propsvc.core.models import Event
from propsvc.extensions import db
from propsvc.registry import importer
from propsvc.registry.importer import RowError, import_file, validate_rows
from propsvc.registry.models import Building, Community, Occupancy, Person, Unit

DATA = Path(__file__).parent / "data"
HEADER = "楼栋,单元,楼层,房号,面积,状态,业主姓名,身份证号,电话,电话2"


def csv_bytes(*lines, header=HEADER, encoding="utf-8") -> bytes:
    return "\n".join([header, *lines]).encode(encoding)


def xlsx_bytes(rows) -> bytes:
    wb = Workbook()
    ws = wb.active
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def counts() -> dict:
    return {m.__name__: db.session.scalar(select(func.count()).select_from(m))
            for m in (Community, Building, Unit, Person, Occupancy, Event)}


def units_of(community):
    return {u.code: u for u in db.session.scalars(select(Unit).join(Unit.building).where(
        Building.community_id == community.id))}


def errors_of(result) -> list[tuple[int, str]]:
    return [(e.row, e.message) for e in result.errors]


@pytest.fixture
def c(make, ctx):
    """A community (detached, like everything the factory makes); the test calls the service
    directly in its own app context (ctx)."""
    return make.community()


# On SQLite every transaction outside a request takes the write lock (BEGIN IMMEDIATE), so the
# test's session opens one only after the factory is done: these load the community last.
def run(community, filename, data):
    return import_file(db.session.get(Community, community.id), filename, data)


def run_path(community, path):
    return importer.import_path(db.session.get(Community, community.id), path)


# --- the service: good files ------------------------------------------------------------------


def test_good_csv_creates_buildings_units_owners_and_one_event(c):
    result = run_path(c, DATA / "units_good.csv")

    assert result.errors == []
    assert (result.buildings_created, result.units_created, result.owners_created) == (2, 5, 2)
    assert result.summary == "导入完成：新建楼栋 2 栋，房屋 5 户，业主 2 人。"
    units = units_of(c)
    assert set(units) == {"3-1-101", "3-1-1201", "3-2-1202", "10-1-B101", "10-2-301"}
    assert units["3-1-101"].status == "vacant" and units["3-1-101"].area == Decimal("89.50")
    assert units["3-1-1201"].status == "occupied" and units["3-1-1201"].floor == 12
    assert units["3-2-1202"].status == "delivered"  # an owner and no status: delivered
    assert units["10-1-B101"].floor == -1 and units["10-1-B101"].area is None
    assert units["10-2-301"].status == "renovating"

    b3, b10 = (db.session.scalar(select(Building).where(Building.community_id == c.id, Building.number == n))
               for n in ("3", "10"))
    assert (b3.sort_key, b3.floors, b3.entrances) == (3, 12, 2)
    assert (b10.sort_key, b10.floors, b10.entrances) == (10, 3, 2)

    # 王建国 owns two units: one Person, two owner occupancies since today.
    wang = db.session.scalar(select(Person).where(Person.name == "王建国"))
    assert wang.community_id == c.id and wang.id_number == "110101198506150027"
    assert wang.phone == "13812345678"  # stored normalized
    assert wang.created_at is not None
    assert sorted(o.unit.code for o in wang.occupancies) == ["10-2-301", "3-1-1201"]
    assert all(o.role == "owner" and o.since is not None for o in wang.occupancies)
    li = db.session.scalar(select(Person).where(Person.name == "李秀英"))
    assert (li.phone, li.phone2) == ("13912345678", "0755-12345678")

    events = list(db.session.scalars(select(Event)))
    assert len(events) == 1
    ev = events[0]
    assert (ev.action, ev.object_type, ev.object_id, ev.community_id) == ("units.imported", "community", c.id, c.id)
    assert ev.data["filename"] == "units_good.csv"
    assert ev.data["units_created"] == 5 and ev.data["buildings_created"] == 2 and ev.data["owners_created"] == 2


def test_gbk_csv_from_excel_is_decoded(c):
    result = run_path(c, DATA / "units_gbk.csv")
    assert result.errors == []
    assert set(units_of(c)) == {"5-1-201", "5-1-202"}  # "5号楼", "1单元" read as 5 and 1
    assert db.session.scalar(select(Person.name)) == "张伟"


def test_gb18030_csv_with_rare_characters_is_decoded(c):
    result = run(c, "units.csv", csv_bytes("1,1,1,101,,,王𠀀,,,", encoding="gb18030"))
    assert result.errors == []
    assert db.session.scalar(select(Person.name)) == "王𠀀"


def test_english_headers_in_any_order_and_extra_columns_are_accepted(c):
    data = csv_bytes("7,1301,13,2,备注", header=" Building , number,floor,Entrance,remark")
    result = run(c, "en.csv", data)
    assert result.errors == []
    assert set(units_of(c)) == {"7-2-1301"}


def test_xlsx_numbers_stored_as_floats_come_out_as_text(c):
    data = xlsx_bytes([
        ["楼栋", "单元", "楼层", "房号", "面积", "业主姓名", "身份证号", "电话"],
        [3.0, 2.0, 12.0, 1201.0, 89.5, "王建国", "110101198506150027", 13812345678.0],
        [3, 2, 12, 1202, None, None, None, None],
    ])
    result = run(c, "units.xlsx", data)
    assert result.errors == []
    units = units_of(c)
    assert set(units) == {"3-2-1201", "3-2-1202"}
    assert units["3-2-1201"].area == Decimal("89.50")
    assert db.session.scalar(select(Person.phone)) == "13812345678"


@pytest.mark.parametrize("stored", [
    110101198506150000.0,  # what Excel keeps of 110101198506150027: 15 significant digits
    110101198506150027.0,  # a double near it, whose check digit happens to fit: still not trusted
])
def test_xlsx_id_number_stored_as_number_is_reported_as_lost_digits(c, stored):
    data = xlsx_bytes([
        ["楼栋", "单元", "楼层", "房号", "业主姓名", "身份证号"],
        [3, 2, 12, 1201, "王建国", stored],
    ])
    result = run(c, "units.xlsx", data)
    assert len(result.errors) == 1
    assert result.errors[0].row == 2
    assert "身份证号被 Excel 当作数字保存" in result.errors[0].message
    assert "丢失" in result.errors[0].message


def test_csv_id_number_in_scientific_notation_is_reported_as_lost_digits(c):
    result = run(c, "units.csv", csv_bytes("3,2,12,1201,,,王建国,1.10101E+17,,"))
    assert [e.row for e in result.errors] == [2]
    assert "末尾几位已经丢失" in result.errors[0].message


def test_existing_building_gets_floors_and_entrances_raised(make, c):
    b = make.building(c, "3", floors=6, entrances=1)
    result = run(c, "units.csv", csv_bytes("3,2,18,1801,,,,,,", "3,1,2,201,,,,,,"))
    assert result.errors == []
    assert (result.buildings_created, result.buildings_updated) == (0, 1)
    b = db.session.get(Building, b.id)
    assert (b.floors, b.entrances) == (18, 2)
    assert db.session.scalar(select(func.count()).select_from(Building)) == 1


def test_blank_rows_are_skipped_and_row_numbers_still_count_them(c):
    result = run(c, "units.csv", csv_bytes("3,1,1,101,,,,,,", ",,,,,,,,,", "", "3,x,1,102,,,,,,"))
    assert [e.row for e in result.errors] == [5]


def test_owner_already_registered_by_id_number_is_linked_not_duplicated(make, c):
    u = make.unit(make.building(c, "3"), 1, "101")
    p = make.person(u, name="王建国", id_number="110101198506150027")
    result = run(c, "units.csv", csv_bytes("3,1,2,201,,,王建国,110101198506150027,,"))
    assert result.errors == []
    assert (result.owners_created, result.owners_linked) == (0, 1)
    assert db.session.scalar(select(func.count()).select_from(Person)) == 1
    assert sorted(o.unit.code for o in db.session.get(Person, p.id).occupancies) == ["3-1-101", "3-1-201"]


def test_create_community_is_committed_by_a_successful_import(ctx):
    c = importer.create_community("新澳花园南区")
    assert c.code and c.stamp_name == "新澳花园南区"
    community_id = c.id
    assert import_file(c, "units.csv", csv_bytes("1,1,1,101,,,,,,")).errors == []
    db.session.remove()
    assert db.session.scalar(select(Community.name).where(Community.id == community_id)) == "新澳花园南区"


# --- the service: bad files -------------------------------------------------------------------


def test_missing_required_columns_give_one_error_on_row_1(c):
    result = run(c, "units.csv", csv_bytes("1,1,王建国", header="单元,楼层,业主姓名"))
    assert errors_of(result) == [(1, "缺少必需的列：楼栋、房号")]


def test_duplicate_unit_in_file_is_reported_on_the_later_row_citing_the_earlier(c):
    result = run(c, "units.csv", csv_bytes("3,2,12,1201,,,,,,", "3,1,12,1201,,,,,,", "3,2,12,1201,,,,,,"))
    assert errors_of(result) == [(4, "房屋 3栋2单元1201 与第 2 行重复")]


def test_unit_already_in_database_is_rejected(make, c):
    make.unit(make.building(c, "3"), 2, "1201")
    result = run(c, "units.csv", csv_bytes("3,1,12,1201,,,,,,", "3,2,12,1201,,,,,,"))
    assert errors_of(result) == [(3, "房屋 3栋2单元1201 已存在于本小区，不能重复导入")]


def test_a_file_imported_twice_says_it_was_probably_imported_already(c):
    data = csv_bytes("3,1,1,101,,,,,,", "3,1,2,201,,,,,,")
    assert run(c, "units.csv", data).errors == []
    result = run(c, "units.csv", data)
    assert errors_of(result)[0] == (0, "文件中的房屋都已存在于本小区：这个文件可能已经导入过了。")
    assert [e.row for e in result.errors] == [0, 2, 3]


def test_same_unit_in_another_community_is_not_a_duplicate(make, c):
    other = make.community()
    make.unit(make.building(other, "3"), 2, "1201")
    assert run(c, "units.csv", csv_bytes("3,2,12,1201,,,,,,")).errors == []


def test_invalid_id_number_check_digit_is_rejected_without_echoing_it_in_full(c):
    result = run(c, "units.csv", csv_bytes("3,2,12,1201,,,王建国,110101198506150028,,"))
    assert [e.row for e in result.errors] == [2]
    msg = result.errors[0].message
    assert "身份证号" in msg and "校验位" in msg
    assert "110101198506150028" not in msg  # [T9]: masked even in errors


def test_invalid_phone_is_rejected(c):
    result = run(c, "units.csv", csv_bytes("3,2,12,1201,,,王建国,,1381234567,"))
    assert [e.row for e in result.errors] == [2]
    assert "电话“1381234567”不是有效的手机号或座机号" in result.errors[0].message


def test_invalid_second_phone_is_rejected(c):
    result = run(c, "units.csv", csv_bytes("3,2,12,1201,,,王建国,,13812345678,12345"))
    assert [e.row for e in result.errors] == [2]
    assert result.errors[0].message.startswith("电话2“12345”")


def test_malformed_entrance_is_rejected(c):
    result = run(c, "units.csv", csv_bytes("3,二,12,1201,,,,,,", "3,0,12,1202,,,,,,"))
    assert [e.row for e in result.errors] == [2, 3]
    assert all(e.message.startswith("单元“") for e in result.errors)


@pytest.mark.parametrize("line, needle", [
    ("3,1,-6,B601,,,,,,", "楼层“-6”无效"),
    ("3,1,,101,,,,,,", "楼层不能为空"),
    ("3,1,1,,,,,,,", "房号不能为空"),
    ("3,1,1,1-01,,,,,,", "房号“1-01”格式不正确"),
    ("3,1,1,101,-5,,,,,", "面积“-5”必须大于 0"),
    ("3,1,1,101,大,,,,,", "面积“大”不是有效的数字"),
    ("3,1,1,101,1e400,,,,,", "面积“1e400”太大"),
    ("3,1,1,101,0.001,,,,,", "面积“0.001”必须大于 0"),
    ("3,1,1,101,,已售,,,,", "状态“已售”无效"),
    ("3,1,1,101,,,,,13812345678,", "没有填写业主姓名"),
    ("3,1,1,101,,,,110101198506150027,,", "没有填写业主姓名"),
])
def test_each_bad_value_names_its_column(c, line, needle):
    result = run(c, "units.csv", csv_bytes(line))
    assert [e.row for e in result.errors] == [2]
    assert needle in result.errors[0].message


def test_every_bad_row_of_a_file_is_reported_with_its_row_number(c):
    result = run_path(c, DATA / "units_bad.csv")
    rows = [e.row for e in result.errors]
    assert rows == [3, 4, 5, 6, 7]
    msgs = dict(errors_of(result))
    assert "单元“一”" in msgs[3]
    assert "身份证号" in msgs[4]
    assert "1381234567" in msgs[5]
    assert msgs[6] == "房屋 3栋1单元101 与第 2 行重复"
    assert "没有填写业主姓名" in msgs[7]
    assert result.summary == "共 5 处错误，未导入任何数据。"


@pytest.mark.parametrize("filename, data", [
    ("missing.csv", csv_bytes("3,1,12", header="楼栋,单元,楼层")),
    ("duplicate.csv", csv_bytes("4,1,1,101,,,王建国,,13812345678,", "4,1,2,201,,,,,,", "4,1,1,101,,,,,,")),
    ("existing.csv", csv_bytes("4,1,1,101,,,,,,", "3,2,12,1201,,,,,,")),
    ("bad_id.csv", csv_bytes("4,1,1,101,,,王建国,,,", "4,1,2,201,,,李四,110101198506150028,,")),
    ("bad_phone.csv", csv_bytes("4,1,1,101,,,王建国,,13812345678,", "4,1,2,201,,,李四,,1381234567,")),
    ("bad_entrance.csv", csv_bytes("4,1,1,101,,,王建国,,,", "4,x,2,201,,,,,,")),
    ("raise_floors.csv", csv_bytes("3,4,30,3001,,,王建国,,,", "3,4,31,,,,,,,")),
    ("bad.xlsx", xlsx_bytes([["楼栋", "单元", "楼层", "房号", "业主姓名"], [4, 1, 1, 101, "王建国"], [4, "a", 1, 102, None]])),
    ("bad_file.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"),
    ("empty.csv", b""),
])
def test_a_file_with_any_error_writes_nothing_at_all(make, c, filename, data):
    b = make.building(c, "3", floors=18, entrances=2)
    make.person(make.unit(b, 2, "1201"))
    before = counts()

    result = run(c, filename, data)

    assert result.errors and not result.ok
    db.session.remove()  # look with a fresh session: nothing pending, nothing committed
    assert counts() == before
    b = db.session.get(Building, b.id)
    assert (b.floors, b.entrances) == (18, 2)


@pytest.mark.parametrize("filename, data, needle", [
    ("photo.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "无法识别的文件格式"),
    ("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64, "不支持旧版 Excel（.xls）"),
    ("fake.xlsx", "楼栋,单元\n".encode(), "内容不是 Excel 工作簿"),
    ("broken.xlsx", b"PK\x03\x04" + b"\x00" * 100, "内容不是 Excel 工作簿"),
    ("empty.csv", b"", "文件是空的"),
    ("header.csv", HEADER.encode(), "只有表头"),
])
def test_a_file_that_is_neither_csv_nor_xlsx_gets_a_clear_error(c, filename, data, needle):
    result = run(c, filename, data)
    assert len(result.errors) == 1 and result.errors[0].row == 0
    assert needle in result.errors[0].message


def test_a_zip_that_is_not_a_workbook_is_reported(c):
    out = io.BytesIO()
    import zipfile

    with zipfile.ZipFile(out, "w") as z:
        z.writestr("hello.txt", "hi")
    result = run(c, "units.xlsx", out.getvalue())
    assert [e.row for e in result.errors] == [0]
    assert "无法读取这个 XLSX 文件" in result.errors[0].message


def test_a_file_over_5_mb_is_refused(c):
    big = csv_bytes("3,1,1,101,,,,,,") + b" " * importer.MAX_BYTES
    result = run(c, "big.csv", io.BytesIO(big))
    assert [e.row for e in result.errors] == [0]
    assert "5 MB" in result.errors[0].message


# --- validate_rows: pure ----------------------------------------------------------------------


def test_validate_rows_caps_the_number_of_data_rows():
    table = [["楼栋", "单元", "楼层", "房号"]] + [["1", "1", "1", str(100 + i)] for i in range(5)]
    units, errors = validate_rows(table, max_rows=3)
    assert errors == [RowError(5, "数据超过 3 行的上限，请分成几个文件导入。")]


def test_validate_rows_finds_the_header_below_a_title_row():
    table = [["新澳花园北区房屋清单", "", "", ""], ["楼栋*", "单元", "楼层", "房号(门牌)"], ["3", "2", "12", "1201室"]]
    units, errors = validate_rows(table)
    assert errors == []
    assert [(u.row, u.key, u.floor, u.status) for u in units] == [(3, ("3", 2, "1201"), 12, "vacant")]


def test_validate_rows_checks_id_numbers_against_people_already_registered():
    table = [["楼栋", "单元", "楼层", "房号", "业主姓名", "身份证号"], ["3", "1", "1", "101", "李四", "110101198506150027"]]
    _units, errors = validate_rows(table, known_ids={"110101198506150027": "王建国"})
    assert [e.row for e in errors] == [2]
    assert "已登记在另一位住户名下" in errors[0].message


def test_validate_rows_reports_a_duplicated_header_column():
    table = [["楼栋", "单元", "楼层", "房号", "电话", "手机"]]
    _units, errors = validate_rows(table)
    assert errors == [RowError(1, "“电话”列出现了两次（第 5 列和第 6 列）。")]


# --- the admin page ---------------------------------------------------------------------------
# Requests run in their own app context; the test looks at the database in a separate one.


@pytest.fixture
def site(make):
    c = make.community()
    return {"community": c, "admin": make.user("admin", communities=[c]),
            "steward": make.user("steward", communities=[c])}


def upload(client, data: bytes, filename="units.csv", **kw):
    return post(client, "/admin/import", {"file": (io.BytesIO(data), filename)},
                content_type="multipart/form-data", **kw)


def db_counts(app) -> dict:
    with app.app_context():
        return counts()


def test_import_page_is_forbidden_to_non_admins(app, client, site):
    login(client, site["steward"].username)
    assert client.get("/admin/import").status_code == 403
    assert upload(client, (DATA / "units_good.csv").read_bytes()).status_code == 403
    assert client.get("/admin/import/example.csv").status_code == 403
    assert db_counts(app)["Unit"] == 0


def test_import_page_shows_the_form_and_the_columns_to_an_admin(client, site):
    login(client, site["admin"].username)
    resp = client.get("/admin/import")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert 'enctype="multipart/form-data"' in html and 'name="file"' in html
    for label in ("楼栋", "单元", "楼层", "房号", "身份证号", "电话2"):
        assert f"<td>{label}</td>" in html
    assert "<script>" not in html and "style=" not in html
    assert "/admin/import/example.csv" in html


def test_admin_upload_of_a_bad_file_gets_422_with_row_numbered_errors_and_imports_nothing(app, client, site):
    login(client, site["admin"].username)
    before = db_counts(app)
    resp = upload(client, (DATA / "units_bad.csv").read_bytes())
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert "发现 5 处错误，未导入任何数据" in html
    for row in (3, 4, 5, 6, 7):
        assert f"<strong>第{row}行</strong>" in html
    assert "房屋 3栋1单元101 与第 2 行重复" in html
    assert db_counts(app) == before


def test_admin_upload_of_a_good_file_imports_into_the_current_community(app, client, site):
    login(client, site["admin"].username)
    resp = upload(client, (DATA / "units_good.csv").read_bytes(), filename="北区房屋.csv")
    assert resp.status_code == 303
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "导入完成：新建楼栋 2 栋，房屋 5 户，业主 2 人。" in page
    with app.app_context():
        assert len(units_of(site["community"])) == 5
        ev = db.session.scalar(select(Event).where(Event.action == "units.imported"))
        assert ev.actor_id == site["admin"].id and ev.community_id == site["community"].id
        assert ev.data["filename"] == "北区房屋.csv"


def test_admin_upload_of_an_xlsx_imports(app, client, site):
    login(client, site["admin"].username)
    data = xlsx_bytes([["楼栋", "单元", "楼层", "房号"], [1, 1, 1, 101.0]])
    assert upload(client, data, filename="units.xlsx").status_code == 303
    with app.app_context():
        assert set(units_of(site["community"])) == {"1-1-101"}


def test_admin_upload_of_a_wrong_kind_of_file_is_refused_by_the_form(client, site):
    login(client, site["admin"].username)
    resp = upload(client, b"hello", filename="notes.txt")
    assert resp.status_code == 422
    assert "只能上传 CSV 或 XLSX（Excel）文件" in resp.get_data(as_text=True)


def test_admin_post_without_a_file_asks_for_one(client, site):
    login(client, site["admin"].username)
    resp = post(client, "/admin/import", {}, content_type="multipart/form-data")
    assert resp.status_code == 422
    assert "请选择要导入的文件" in resp.get_data(as_text=True)


def test_admin_upload_without_csrf_token_is_400(app, client, site):
    login(client, site["admin"].username)
    resp = client.post("/admin/import", data={"file": (io.BytesIO((DATA / "units_good.csv").read_bytes()), "units.csv")},
                       content_type="multipart/form-data")
    assert resp.status_code == 400
    assert db_counts(app)["Unit"] == 0


def test_example_file_downloads_and_imports_cleanly(app, client, site):
    login(client, site["admin"].username)
    resp = client.get("/admin/import/example.csv")
    assert resp.status_code == 200
    assert resp.mimetype == "text/csv" and "attachment" in resp.headers["Content-Disposition"]
    assert resp.data.startswith(b"\xef\xbb\xbf")
    with app.app_context():
        result = import_file(db.session.get(Community, site["community"].id), "example.csv", resp.data)
        assert result.errors == []


# --- the command line -------------------------------------------------------------------------


def test_cli_imports_a_good_file_with_exit_code_0(app, make):
    c = make.community("新澳花园北区")
    result = app.test_cli_runner().invoke(args=["import-units", str(DATA / "units_good.csv"), "--community", c.name])
    assert result.exit_code == 0, result.output
    assert "导入完成：新建楼栋 2 栋，房屋 5 户，业主 2 人。" in result.output
    with app.app_context():
        assert len(units_of(c)) == 5


def test_cli_creates_the_community_when_asked(app):
    result = app.test_cli_runner().invoke(
        args=["import-units", str(DATA / "units_gbk.csv"), "--community", "新澳花园南区", "--create"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        c = db.session.scalar(select(Community).where(Community.name == "新澳花园南区"))
        assert set(units_of(c)) == {"5-1-201", "5-1-202"}


def test_cli_bad_file_exits_non_zero_prints_row_errors_and_writes_nothing(app, make):
    make.community("新澳花园北区")
    before = db_counts(app)
    result = app.test_cli_runner().invoke(
        args=["import-units", str(DATA / "units_bad.csv"), "--community", "新澳花园北区"])
    assert result.exit_code != 0
    for row in (3, 4, 5, 6, 7):
        assert f"第{row}行：" in result.output
    assert "共 5 处错误，未导入任何数据。" in result.output
    assert db_counts(app) == before


def test_cli_bad_file_with_create_leaves_no_empty_community(app):
    result = app.test_cli_runner().invoke(
        args=["import-units", str(DATA / "units_bad.csv"), "--community", "新小区", "--create"])
    assert result.exit_code != 0
    assert db_counts(app)["Community"] == 0
