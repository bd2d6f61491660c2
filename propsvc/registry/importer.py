"""Importing buildings, units and owners from a CSV or XLSX file: all rows or none.

Three steps, kept apart so each can be tested on its own:
  read_table()    bytes → rows of text (CSV in UTF-8 or GBK/GB18030, or the first sheet of an XLSX)
  validate_rows() rows → parsed units and row-numbered errors; pure, no database
  import_file()   reads, validates every row against the database too, and only when no
                  error exists writes everything in one transaction with one Event.
Row numbers are those the user sees in the spreadsheet: the first row is 1.
An error with row 0 concerns the whole file (unreadable, too big, …).
"""
from __future__ import annotations

import csv
import io
import re
import unicodedata
import warnings
import zipfile
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path
from typing import BinaryIO, Iterable, Sequence

from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError

from ..core.services import record
from ..core.timefmt import site_today
from ..extensions import db
from .masking import mask_id
from .models import UNIT_STATUS_LABELS, Building, Community, Occupancy, OccupantRole, Person, Unit, UnitStatus
from .setup import setup_community
from .validation import is_valid_id_number, is_valid_phone, normalize_id_number, normalize_phone

MAX_ROWS = 20_000  # data rows, header and blank rows not counted
MAX_BYTES = 5 * 1024 * 1024
MAX_PHYSICAL_ROWS = 200_000  # blank rows included: a guard against inflated workbooks
MIN_FLOOR, MAX_FLOOR = -5, 200
MAX_ENTRANCE = 99
MAX_AREA = Decimal("999999.99")  # Unit.area is Numeric(8, 2)


@dataclass(frozen=True)
class Column:
    key: str
    label: str  # the Chinese header, as in the example file
    required: bool
    aliases: tuple[str, ...]
    hint: str


COLUMNS: tuple[Column, ...] = (
    Column("building", "楼栋", True, ("楼栋", "楼栋号", "楼号", "栋", "building"), "如 3 或 A"),
    Column("entrance", "单元", True, ("单元", "单元号", "entrance"), "1 或更大的整数"),
    Column("floor", "楼层", True, ("楼层", "层", "floor"), f"整数，地下层为负数（不低于 {MIN_FLOOR}）"),
    Column("number", "房号", True, ("房号", "房间号", "number", "room"), "数字或字母，如 1201"),
    Column("area", "面积", False, ("面积", "建筑面积", "area"), "平方米，大于 0"),
    Column("status", "状态", False, ("状态", "房屋状态", "status"),
           "空置/已交付/装修中/已入住；不填时有业主为已交付，否则为空置"),
    Column("owner_name", "业主姓名", False, ("业主姓名", "业主", "姓名", "owner_name", "owner"), "不填表示暂无业主登记"),
    Column("id_number", "身份证号", False, ("身份证号", "身份证号码", "身份证", "id_number"),
           "18 位；请把该列设为文本格式"),
    Column("phone", "电话", False, ("电话", "手机", "手机号", "联系电话", "phone"), "手机或带区号的座机"),
    Column("phone2", "电话2", False, ("电话2", "手机2", "备用电话", "phone2"), "第二个联系电话"),
)
LABELS = {c.key: c.label for c in COLUMNS}

_STATUS_BY_NAME = {label: str(status) for status, label in UNIT_STATUS_LABELS.items()}
_STATUS_BY_NAME.update({str(s): str(s) for s in UnitStatus})


def _norm_header(text: str) -> str:
    t = unicodedata.normalize("NFKC", text or "")
    t = re.sub(r"\(.*?\)", "", t)  # 面积(㎡), 身份证号（18位）: NFKC turns （） into ()
    return re.sub(r"[\s*_\-:]", "", t).lower()


_ALIASES = {_norm_header(a): c.key for c in COLUMNS for a in c.aliases}


# ---------------------------------------------------------------------------------------------
# Results


@dataclass(frozen=True)
class RowError:
    row: int  # spreadsheet row number (header = 1); 0 = the whole file
    message: str

    def __str__(self) -> str:
        return f"第{self.row}行：{self.message}" if self.row else self.message


@dataclass
class ImportOutcome:
    """What an all-or-nothing import did: its row errors (then nothing was written), or its
    counts. Every importer (units here, a fees arrears list, a handover buyers' list) says its
    own `done` sentence; the refusal is the same everywhere."""

    filename: str = ""
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def summary(self) -> str:
        return f"共 {len(self.errors)} 处错误，未导入任何数据。" if self.errors else self.done

    @property
    def done(self) -> str:
        raise NotImplementedError


@dataclass
class ImportResult(ImportOutcome):
    rows: int = 0  # data rows read
    buildings_created: int = 0
    buildings_updated: int = 0  # floors or entrances raised
    units_created: int = 0
    owners_created: int = 0  # new Person rows
    owners_linked: int = 0  # people already registered who got a new unit

    @property
    def done(self) -> str:
        text = (f"导入完成：新建楼栋 {self.buildings_created} 栋，房屋 {self.units_created} 户，"
                f"业主 {self.owners_created} 人。")
        if self.buildings_updated:
            text += f"更新了 {self.buildings_updated} 栋已有楼栋的层数或单元数。"
        if self.owners_linked:
            text += f"另有 {self.owners_linked} 位已登记的业主关联了新房屋。"
        return text


class FileProblem(ValueError):
    """The file as a whole cannot be read; the message is for the user."""


# ---------------------------------------------------------------------------------------------
# Reading


class _Num(str):
    """Text of a cell that Excel stored as a number (digits of long numbers may be lost)."""


class _Lossy(_Num):
    """A number too long for a double to hold exactly: its last digits are made up."""


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return _Num(str(value))
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e21:
            kind = _Lossy if abs(value) > 2**53 else _Num
            return kind(str(int(value)))  # 1201.0 → "1201"
        return _Num(repr(value))
    if isinstance(value, Decimal):
        return _Num(format(value.normalize(), "f"))
    return str(value)  # text, or a date Excel made of something like 3-1


_TOO_MANY_ROWS = f"文件的行数（含空行）超过 {MAX_PHYSICAL_ROWS} 行，请删除多余的空行或分批导入。"


def _read_xlsx(data: bytes) -> list[list[str]]:
    from openpyxl import load_workbook

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "no default style" and similar noise
            wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as e:  # openpyxl raises many kinds for a damaged or foreign zip
        raise FileProblem("无法读取这个 XLSX 文件：它可能已损坏，或不是 Excel 工作簿。请在 Excel 中另存为 .xlsx 或 CSV 后重试。") from e
    try:
        if not wb.worksheets:
            raise FileProblem("XLSX 文件里没有工作表。")
        ws = wb.worksheets[0]
        ws.reset_dimensions()  # some programs write a wrong size; read what is there
        rows: list[list[str]] = []
        filled = 0
        for values in ws.iter_rows(min_row=1, values_only=True):
            row = [_cell_text(v) for v in values[:100]]
            rows.append(row)
            filled += any(c.strip() for c in row)
            if filled > MAX_ROWS + 10:
                break  # validate_rows reports the row over the limit
            if len(rows) > MAX_PHYSICAL_ROWS:
                raise FileProblem(_TOO_MANY_ROWS)
        return rows
    except FileProblem:
        raise
    except Exception as e:
        raise FileProblem("读取 XLSX 文件时出错：文件可能已损坏。请在 Excel 中另存后重试。") from e
    finally:
        wb.close()


def _decode_text(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = data.decode("utf-16")  # Excel's "Unicode text" export
    elif b"\x00" in data:
        raise FileProblem("无法识别的文件格式：请上传 CSV 或 XLSX 文件。")
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            try:
                text = data.decode("gb18030")  # a superset of GBK: Excel's CSV in China
            except UnicodeDecodeError:
                raise FileProblem("无法识别 CSV 文件的编码：请保存为 UTF-8 或 GBK 编码的 CSV。") from None
    if re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", text):
        raise FileProblem("无法识别的文件格式：请上传 CSV 或 XLSX 文件。")
    return text.lstrip("\ufeff")


def _read_csv(data: bytes) -> list[list[str]]:
    text = _decode_text(data)
    first = text.split("\n", 1)[0]
    delimiter = max((",", "\t", ";"), key=first.count) if first else ","
    rows: list[list[str]] = []
    filled = 0
    try:
        for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter):
            rows.append(row[:100])
            filled += any(c.strip() for c in row)
            if filled > MAX_ROWS + 10:
                break  # validate_rows reports the row over the limit
            if len(rows) > MAX_PHYSICAL_ROWS:
                raise FileProblem(_TOO_MANY_ROWS)
    except csv.Error as e:
        raise FileProblem(f"CSV 文件格式有误（第 {len(rows) + 1} 行附近），请检查引号是否成对。") from e
    return rows


def read_table(filename: str, data: bytes) -> list[list[str]]:
    """The rows of a CSV or the first sheet of an XLSX as text. Raises FileProblem."""
    if not data:
        raise FileProblem("文件是空的。")
    if len(data) > MAX_BYTES:
        raise FileProblem(f"文件太大：不能超过 {MAX_BYTES // (1024 * 1024)} MB。请分批导入。")
    ext = Path(filename or "").suffix.lower()
    if data.startswith(b"PK\x03\x04") and zipfile.is_zipfile(io.BytesIO(data)):
        return _read_xlsx(data)
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise FileProblem("不支持旧版 Excel（.xls）文件：请在 Excel 中另存为 .xlsx 或 CSV 后上传。")
    if ext in (".xlsx", ".xlsm", ".xls"):
        raise FileProblem(f"文件扩展名是 {ext}，但内容不是 Excel 工作簿。请上传 CSV 或 XLSX 文件。")
    if data.startswith((b"%PDF", b"\x89PNG", b"\xff\xd8\xff", b"GIF8")):
        raise FileProblem("无法识别的文件格式：请上传 CSV 或 XLSX 文件。")
    return _read_csv(data)


# ---------------------------------------------------------------------------------------------
# Validation (pure)


@dataclass
class OwnerRow:
    name: str
    id_number: str | None
    phone: str | None
    phone2: str | None


@dataclass
class UnitRow:
    row: int
    building: str
    entrance: int
    floor: int
    number: str
    area: Decimal | None
    status: str
    owner: OwnerRow | None

    @property
    def key(self) -> tuple[str, int, str]:
        return (self.building, self.entrance, self.number)


def unit_label(key: tuple[str, int, str]) -> str:
    b, e, n = key
    return f"{b}栋{e}单元{n}"


_CODE = re.compile(r"^[0-9A-Z]{1,16}$")
_INT = re.compile(r"^[+-]?\d+$")
_SCIENTIFIC = re.compile(r"^\d+(\.\d+)?E\+?\d+$", re.I)
_ID_LOST = "身份证号被 Excel 当作数字保存，末尾几位已经丢失，无法恢复。请把该列设为“文本”格式后重新填写身份证号"


def _clean(value) -> str:
    if not isinstance(value, str):
        value = _cell_text(value)  # validate_rows also takes raw Python values
    text = unicodedata.normalize("NFKC", value).strip()
    return type(value)(text) if isinstance(value, _Num) else text


def _find_header(table: Sequence[Sequence[str]]) -> int | None:
    """Index of the header row: the first non-blank row naming a known column, looking past a
    title row or two ("XX小区房屋清单"); otherwise the first non-blank row."""
    first = None
    seen = 0
    for i, row in enumerate(table):
        if not any(_clean(c) for c in row):
            continue
        first = i if first is None else first
        if any(_norm_header(c) in _ALIASES for c in row):
            return i
        seen += 1
        if seen >= 5:
            break
    return first


def validate_rows(
    table: Sequence[Sequence[str]],
    *,
    existing_units: Iterable[tuple[str, int, str]] = (),
    known_ids: dict[str, str] | None = None,
    max_rows: int = MAX_ROWS,
) -> tuple[list[UnitRow], list[RowError]]:
    """Check every row of `table` (the header among them); return the parsed units and all errors.

    existing_units: (building, entrance, number) keys already in the community.
    known_ids: ID number → name of people already registered in the community.
    Pure: no database access; the same input gives the same output.
    """
    errors: list[RowError] = []
    units: list[UnitRow] = []
    hi = _find_header(table)
    if hi is None:
        return [], [RowError(0, "文件里没有任何数据。")]

    header_row = hi + 1
    columns: dict[str, int] = {}
    for idx, cell in enumerate(table[hi]):
        key = _ALIASES.get(_norm_header(cell))
        if key is None:
            continue  # 序号, 备注 … are ignored
        if key in columns:
            errors.append(RowError(header_row, f"“{LABELS[key]}”列出现了两次（第 {columns[key] + 1} 列和第 {idx + 1} 列）。"))
            continue
        columns[key] = idx
    missing = [c.label for c in COLUMNS if c.required and c.key not in columns]
    if missing:
        errors.append(RowError(header_row, f"缺少必需的列：{'、'.join(missing)}"))
    if errors:
        return [], errors

    existing = set(existing_units)
    known_ids = known_ids or {}
    seen_units: dict[tuple[str, int, str], int] = {}
    seen_ids: dict[str, tuple[str, int]] = {}
    data_rows = already = 0

    for i in range(hi + 1, len(table)):
        raw = table[i]
        if not any(_clean(c) for c in raw):
            continue  # blank rows are skipped
        rownum = i + 1
        data_rows += 1
        if data_rows > max_rows:
            errors.append(RowError(rownum, f"数据超过 {max_rows} 行的上限，请分成几个文件导入。"))
            break
        v = {k: _clean(raw[idx]) if idx < len(raw) else "" for k, idx in columns.items()}
        row_errors: list[str] = []
        err = row_errors.append

        building = re.sub(r"(栋|幢|座|号楼|号)$", "", v["building"]).strip().upper()
        key_ok = bool(_CODE.match(building))
        if not v["building"]:
            err("楼栋不能为空")
        elif not key_ok:
            err(f"楼栋“{v['building']}”格式不正确，应为数字或字母，如 3 或 A")

        entrance = None
        e_text = re.sub(r"单元$", "", v["entrance"]).strip()
        if not v["entrance"]:
            err("单元不能为空")
        elif not _INT.match(e_text) or not 1 <= int(e_text) <= MAX_ENTRANCE:
            err(f"单元“{v['entrance']}”无效，应为 1 到 {MAX_ENTRANCE} 的整数")
        else:
            entrance = int(e_text)

        floor = None
        f_text = re.sub(r"(层|楼)$", "", v["floor"]).strip()
        if not v["floor"]:
            err("楼层不能为空")
        elif not _INT.match(f_text) or not MIN_FLOOR <= int(f_text) <= MAX_FLOOR or int(f_text) == 0:
            err(f"楼层“{v['floor']}”无效，应为 {MIN_FLOOR} 到 {MAX_FLOOR} 之间、不为 0 的整数（地下层用负数）")
        else:
            floor = int(f_text)

        number = re.sub(r"(室|号)$", "", v["number"]).strip().upper()
        key_ok = key_ok and entrance is not None and bool(_CODE.match(number))
        if not v["number"]:
            err("房号不能为空")
        elif not _CODE.match(number):
            err(f"房号“{v['number']}”格式不正确，应为数字或字母，如 1201")

        area = None
        a_text = re.sub(r"(m2|平方米|平米)$", "", v.get("area", ""), flags=re.I).strip()
        if a_text:
            try:
                area = Decimal(a_text)
                if not area.is_finite():
                    raise InvalidOperation
            except InvalidOperation:
                err(f"面积“{v['area']}”不是有效的数字")
                area = None
            else:
                if area > MAX_AREA:
                    err(f"面积“{v['area']}”太大")
                    area = None
                elif (area := area.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)) <= 0:
                    err(f"面积“{v['area']}”必须大于 0")
                    area = None

        owner_name = v.get("owner_name", "")
        if len(owner_name) > 64:
            err("业主姓名太长（不能超过 64 个字）")

        id_number = None
        id_raw = v.get("id_number", "")
        if id_raw:
            candidate = normalize_id_number(id_raw)
            if is_valid_id_number(candidate) and not isinstance(id_raw, _Lossy):
                id_number = candidate
            elif isinstance(id_raw, _Num) or _SCIENTIFIC.match(id_raw):
                err(_ID_LOST)
            else:
                hint = "（可能被 Excel 当作数字保存而丢失了末尾几位）" if re.fullmatch(r"\d{15}000", candidate) else ""
                err(f"身份证号“{mask_id(candidate)}”无效：位数、出生日期或校验位不正确{hint}")

        phones = {}
        for key in ("phone", "phone2"):
            p_raw = v.get(key, "")
            if not p_raw:
                phones[key] = None
                continue
            if is_valid_phone(p_raw):
                phones[key] = normalize_phone(p_raw)
                continue
            phones[key] = None
            hint = ""
            if isinstance(p_raw, _Num) and not p_raw.startswith("1"):
                hint = "（以 0 开头的座机号被 Excel 当作数字保存后会丢掉开头的 0，请把该列设为文本格式）"
            err(f"{LABELS[key]}“{p_raw}”不是有效的手机号或座机号（座机请带区号，如 0755-12345678）{hint}")

        if not owner_name and (id_raw or v.get("phone") or v.get("phone2")):
            err("填写了身份证号或电话，但没有填写业主姓名")

        status_raw = v.get("status", "")
        if status_raw:
            status = _STATUS_BY_NAME.get(status_raw) or _STATUS_BY_NAME.get(status_raw.lower())
            if status is None:
                err(f"状态“{status_raw}”无效，应为 空置、已交付、装修中 或 已入住")
        else:
            status = str(UnitStatus.DELIVERED if owner_name else UnitStatus.VACANT)

        key = (building, entrance, number)
        if key_ok:  # checked even when other values of the row are wrong
            if key in seen_units:
                err(f"房屋 {unit_label(key)} 与第 {seen_units[key]} 行重复")
            elif key in existing:
                err(f"房屋 {unit_label(key)} 已存在于本小区，不能重复导入")
                already += 1
            else:
                seen_units[key] = rownum
        if id_number and owner_name:
            if id_number in known_ids and known_ids[id_number] != owner_name:
                err(f"身份证号“{mask_id(id_number)}”已登记在另一位住户名下，与姓名“{owner_name}”不符")
            elif id_number in seen_ids and seen_ids[id_number][0] != owner_name:
                err(f"身份证号与第 {seen_ids[id_number][1]} 行相同，但姓名不同")
            else:
                seen_ids.setdefault(id_number, (owner_name, rownum))

        if row_errors:
            errors.extend(RowError(rownum, m) for m in row_errors)
            continue
        owner = OwnerRow(owner_name, id_number, phones["phone"], phones["phone2"]) if owner_name else None
        units.append(UnitRow(rownum, building, entrance, floor, number, area, status, owner))

    if not errors and not units:
        errors.append(RowError(0, "文件里只有表头，没有房屋数据。"))
    elif already and already == data_rows:
        errors.insert(0, RowError(0, "文件中的房屋都已存在于本小区：这个文件可能已经导入过了。"))
    return units, errors


# ---------------------------------------------------------------------------------------------
# Writing


def create_community(name: str) -> Community:
    """Add a community named `name` (flushed, not committed: a successful import commits it,
    a failed one rolls it back, so a bad file leaves no empty community behind)."""
    name = (name or "").strip()
    if not name or len(name) > 64:
        raise ValueError("小区名称不能为空，且不能超过 64 个字。")
    n = (db.session.scalar(select(func.count(Community.id))) or 0) + 1
    taken = set(db.session.scalars(select(Community.code)))
    while f"C{n}" in taken:
        n += 1
    community = Community(name=name, code=f"C{n}", stamp_name=name)
    db.session.add(community)
    db.session.flush()
    setup_community(community.id)  # what the areas need: ticket categories, deadlines, hours, checklists
    return community


def _existing_units(community_id: int) -> set[tuple[str, int, str]]:
    rows = db.session.execute(
        select(Building.number, Unit.entrance, Unit.number).join(Unit.building).where(Building.community_id == community_id)
    )
    return {(b, e, n) for b, e, n in rows}


def _known_people(community_id: int) -> dict[str, Person]:
    people = db.session.scalars(
        select(Person).where(Person.community_id == community_id, Person.id_number.is_not(None)).order_by(Person.id)
    )
    found: dict[str, Person] = {}
    for p in people:
        found.setdefault(p.id_number, p)
    return found


def _sort_key(number: str) -> int:
    return int(number) if number.isdigit() and int(number) < 2_000_000_000 else 0


def _write(community: Community, units: list[UnitRow], known: dict[str, Person], result: ImportResult) -> None:
    buildings = {b.number: b for b in db.session.scalars(select(Building).where(Building.community_id == community.id))}
    floors: dict[str, int] = {}
    entrances: dict[str, int] = {}
    for u in units:
        floors[u.building] = max(floors.get(u.building, 1), u.floor)
        entrances[u.building] = max(entrances.get(u.building, 1), u.entrance)
    for number in floors:
        b = buildings.get(number)
        if b is None:
            b = Building(community_id=community.id, number=number, sort_key=_sort_key(number),
                         floors=floors[number], entrances=entrances[number])
            db.session.add(b)
            buildings[number] = b
            result.buildings_created += 1
        elif floors[number] > (b.floors or 0) or entrances[number] > (b.entrances or 0):
            b.floors = max(b.floors or 0, floors[number])
            b.entrances = max(b.entrances or 0, entrances[number])
            result.buildings_updated += 1

    db.session.flush()  # building ids

    # Units, people and links are inserted in bulk (executemany with RETURNING): a 20,000-row
    # file is written in a few seconds, and SQLite's write lock is not held for long.
    unit_ids = _insert_returning_ids(Unit, [
        {"building_id": buildings[u.building].id, "entrance": u.entrance, "floor": u.floor, "number": u.number,
         "area": u.area, "status": u.status} for u in units])
    result.units_created = len(unit_ids)

    # The same person owning several units is one Person: same ID number, or same name and phone.
    person_of_row: list[tuple[int, tuple]] = []  # (unit id, person key)
    new_people: dict[tuple, dict] = {}
    person_ids: dict[tuple, int] = {}
    for u, unit_id in zip(units, unit_ids):
        o = u.owner
        if o is None:
            continue
        key = ("id", o.id_number) if o.id_number else ("phone", o.name, o.phone) if o.phone else ("row", u.row)
        if key not in person_ids and key not in new_people:
            if o.id_number and o.id_number in known:
                person_ids[key] = known[o.id_number].id
            else:
                new_people[key] = {"community_id": community.id, "name": o.name, "id_number": o.id_number,
                                   "phone": o.phone, "phone2": o.phone2}
        person_of_row.append((unit_id, key))
    person_ids.update(zip(new_people, _insert_returning_ids(Person, list(new_people.values()))))
    result.owners_created = len(new_people)
    result.owners_linked = len(person_ids) - len(new_people)

    if person_of_row:
        today = site_today()
        db.session.execute(insert(Occupancy), [
            {"unit_id": unit_id, "person_id": person_ids[key], "role": str(OccupantRole.OWNER), "since": today}
            for unit_id, key in person_of_row])


def _insert_returning_ids(model, rows: list[dict]) -> list[int]:
    if not rows:
        return []
    stmt = insert(model).returning(model.id, sort_by_parameter_order=True)
    return list(db.session.scalars(stmt, rows))


def _filename(name: str | None) -> str:
    return re.split(r"[\\/]", name or "")[-1][:200]


def _read_bytes(stream_or_bytes) -> bytes:
    if isinstance(stream_or_bytes, (bytes, bytearray, memoryview)):
        return bytes(stream_or_bytes)
    stream: BinaryIO = getattr(stream_or_bytes, "stream", stream_or_bytes)  # a werkzeug FileStorage
    return stream.read(MAX_BYTES + 1)


def import_file(community: Community, filename: str, stream_or_bytes) -> ImportResult:
    """Validate every row of the file; if all are good, create the buildings, units and owners,
    record one Event and commit. On any error nothing is written (the session is rolled back)."""
    result = ImportResult(filename=_filename(filename))
    try:
        table = read_table(result.filename, _read_bytes(stream_or_bytes))
    except FileProblem as e:
        result.errors.append(RowError(0, str(e)))
    else:
        known = _known_people(community.id)
        units, errors = validate_rows(
            table,
            existing_units=_existing_units(community.id),
            known_ids={k: p.name for k, p in known.items()},
        )
        result.errors.extend(errors)
        result.rows = len(units)
    if result.errors:
        db.session.rollback()
        return result

    try:
        _write(community, units, known, result)
        record("units.imported", community, community_id=community.id, filename=result.filename,
               rows=result.rows, buildings_created=result.buildings_created,
               buildings_updated=result.buildings_updated, units_created=result.units_created,
               owners_created=result.owners_created, owners_linked=result.owners_linked)
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return ImportResult(filename=result.filename, errors=[RowError(
            0, "导入时发现部分房屋已被其他人同时添加，未导入任何数据。请稍后重新导入。")])
    return result


def import_path(community: Community, path: str | Path) -> ImportResult:
    """import_file for a file on disk (the import-units command)."""
    path = Path(path)
    if path.stat().st_size > MAX_BYTES:
        return ImportResult(filename=path.name, errors=[RowError(
            0, f"文件太大：不能超过 {MAX_BYTES // (1024 * 1024)} MB。请分批导入。")])
    return import_file(community, path.name, path.read_bytes())


def example_csv() -> bytes:
    """A small example file, UTF-8 with a BOM so that Excel opens it with the right encoding."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\r\n")
    w.writerow([c.label for c in COLUMNS])
    w.writerow(["1", "1", "1", "101", "89.50", "", "", "", "", ""])
    w.writerow(["1", "1", "12", "1201", "120", "已入住", "王建国", "110101199003071233", "13812345678", ""])
    w.writerow(["2", "2", "-1", "B101", "", "空置", "", "", "", ""])
    return ("\ufeff" + out.getvalue()).encode("utf-8")
