"""The arrears import from the finance system's CSV/XLSX (unit, item, period, amount due,
amount paid) and the arrears list's XLSX export. All rows or none, like the unit import
(registry.importer): every row is checked first; any error → nothing is written and each
error names its spreadsheet row."""
from __future__ import annotations

import io
import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from openpyxl import Workbook
from sqlalchemy import select

from ..core.services import record
from ..core.spreadsheet import cell
from ..core.timefmt import site_today
from ..extensions import db
from ..registry.importer import FileProblem, ImportOutcome, RowError, read_table
from ..registry.models import Building, Unit
from .models import Bill, ChargeItem
from .money import MoneyError, parse_yuan, yuan
from .services import FeeError, parse_period

COLUMNS = (("unit", "房屋", ("房屋", "房号", "房间", "unit", "房屋编号")),
           ("item", "收费项目", ("收费项目", "项目", "费用类型", "item")),
           ("period", "账期", ("账期", "期间", "月份", "所属期", "period")),
           ("amount", "应收金额", ("应收金额", "应收", "金额", "amount")),
           ("paid", "已收金额", ("已收金额", "已收", "已缴", "paid")))
REQUIRED = ("unit", "item", "period", "amount")


def _norm(text: str) -> str:
    t = unicodedata.normalize("NFKC", text or "")
    t = re.sub(r"\(.*?\)", "", t)
    return re.sub(r"[\s*_\-:]", "", t).lower()


_ALIASES = {_norm(a): key for key, _label, aliases in COLUMNS for a in aliases}


@dataclass
class ImportResult(ImportOutcome):
    rows: int = 0
    created: int = 0
    updated: int = 0
    total_due_fen: int = 0

    @property
    def done(self) -> str:
        return (f"导入完成：{self.rows} 行，新建账单 {self.created} 笔，更新 {self.updated} 笔；"
                f"欠费合计 {yuan(self.total_due_fen)} 元。")


def _unit_index(community_id: int) -> dict[str, int]:
    rows = db.session.execute(select(Unit.id, Building.number, Unit.entrance, Unit.number).join(Building)
                              .where(Building.community_id == community_id)).all()
    out = {}
    for uid, b, e, n in rows:
        out[f"{b}-{e}-{n}".upper()] = uid
        out[f"{b}栋{e}单元{n}".upper()] = uid
    return out


def _unit_key(text: str) -> str:
    t = unicodedata.normalize("NFKC", text or "").strip().upper().replace(" ", "")
    t = t.replace("号楼", "栋").replace("室", "")
    m = re.fullmatch(r"([0-9A-Z]+)[-栋](\d+)[-单元]*?(?:单元)?-?([0-9A-Z]+)", t)
    return f"{m.group(1)}-{int(m.group(2))}-{m.group(3)}" if m else t


def import_arrears(community_id: int, filename: str, data: bytes, actor, today: date | None = None) -> ImportResult:
    today = today or site_today()
    result = ImportResult()
    try:
        table = read_table(filename, data)
    except FileProblem as e:
        result.errors.append(RowError(0, str(e)))
        return result
    header_at = next((i for i, row in enumerate(table) if sum(1 for c in row if _norm(c) in _ALIASES) >= 3), None)
    if header_at is None:
        result.errors.append(RowError(0, "找不到表头：第一行应有 房屋、收费项目、账期、应收金额、已收金额。"))
        return result
    cols = {}
    for j, c in enumerate(table[header_at]):
        key = _ALIASES.get(_norm(c))
        if key and key not in cols:
            cols[key] = j
    missing = [label for key, label, _a in COLUMNS if key in REQUIRED and key not in cols]
    if missing:
        result.errors.append(RowError(0, f"缺少列：{'、'.join(missing)}。"))
        return result
    units = _unit_index(community_id)
    item_by_name = {i.name: i for i in db.session.scalars(select(ChargeItem).where(ChargeItem.community_id == community_id))}
    parsed, seen = [], {}
    for i, row in enumerate(table[header_at + 1:], start=header_at + 2):
        get = lambda k: (row[cols[k]] if k in cols and cols[k] < len(row) else "").strip()  # noqa: E731
        if not any(str(c).strip() for c in row):
            continue
        result.rows += 1
        errs = []
        uid = units.get(_unit_key(get("unit")))
        if uid is None:
            errs.append(f"房屋“{get('unit')}”不存在（格式如 3-2-1201）。")
        item = item_by_name.get(get("item"))
        if item is None:
            errs.append(f"收费项目“{get('item')}”不存在，请先在收费设置中添加。")
        period = None
        try:
            period = parse_period(get("period"), today)
        except FeeError as e:
            errs.append(str(e))
        amount = paid = None
        try:
            amount = parse_yuan(get("amount"), what="应收金额")
        except MoneyError as e:
            errs.append(str(e))
        try:
            paid = parse_yuan(get("paid") or "0", allow_zero=True, what="已收金额")
        except MoneyError as e:
            errs.append(str(e))
        if amount is not None and paid is not None and paid > amount:
            errs.append("已收金额大于应收金额。")
        if not errs:
            k = (uid, item.id, period)
            if k in seen:
                errs.append(f"与第{seen[k]}行重复（同一房屋、项目和账期）。")
            seen[k] = i
        if errs:
            result.errors.extend(RowError(i, e) for e in errs)
        else:
            parsed.append((uid, item.id, period, amount, paid))
    if result.rows == 0 and not result.errors:
        result.errors.append(RowError(0, "文件中没有数据行。"))
    if result.errors:
        return result
    existing = {(b.unit_id, b.item_id, b.period): b for b in db.session.scalars(
        select(Bill).where(Bill.community_id == community_id, Bill.ref == "", Bill.period.in_({p[2] for p in parsed})))}
    for uid, item_id, period, amount, paid in parsed:
        b = existing.get((uid, item_id, period))
        if b is None:
            db.session.add(Bill(community_id=community_id, unit_id=uid, item_id=item_id, period=period,
                                amount_fen=amount, paid_outside_fen=paid, paid_fen=0, source="imported"))
            result.created += 1
        else:
            if paid + b.paid_fen > amount:
                result.errors.append(RowError(0, f"账单 {period} 在本系统已收 {yuan(b.paid_fen)} 元，导入后将超过应收，请核对。"))
                continue
            b.amount_fen, b.paid_outside_fen = amount, paid
            result.updated += 1
        result.total_due_fen += amount - paid
    if result.errors:
        return result
    db.session.flush()
    record("fees.arrears_imported", community_id=community_id, actor=actor, filename=filename, rows=result.rows,
           created=result.created, updated=result.updated, total_due_fen=result.total_due_fen)
    return result


def example_csv() -> bytes:
    return ("\ufeff房屋,收费项目,账期,应收金额,已收金额\r\n3-2-1201,物业费,2026-01,223.75,0\r\n"
            "3-2-1201,水费,2026-01,45.60,20\r\n").encode("utf-8")


def arrears_xlsx(rows) -> bytes:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("欠费清单")
    # Amounts as exact Decimals (yuan with two decimals), never floats.
    ws.append(["楼栋", "房屋", "欠费金额（元）", "最早账期", "欠费月数", "账龄", "最近联系", "联系结果", "承诺日期"])
    for r in rows:
        c = r.last_contact
        ws.append([cell(r.building), cell(r.label), Decimal(r.due_fen).scaleb(-2),
                   r.oldest, r.months, r.bucket_label, c.day.isoformat() if c else "",
                   cell(c.result_label) if c else "", r.promised_on.isoformat() if r.promised_on else ""])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
