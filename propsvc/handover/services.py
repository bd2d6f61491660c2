"""Handover day (交房) [H1]-[H4]: the rules. Views call these; these never commit (the view
commits once). Every state change records an Event.

* Batch: buildings of the community, handover days, opening hours, the stations [H4]
  (default the seed's five, editable), who staffs which, and the items handed out [H3].
* Buyers' list: the sales office's CSV/XLSX (read by the registry's reader), every row checked
  (the unit exists in the batch's buildings, no unit or transfer slip twice, names with valid ID
  numbers and phones); any error and nothing is imported, each error with its row [like the
  owner import].
* Arrival [H1]: the transfer-slip number finds the card. Refused with the reason: a number not
  in the batch, a unit already handed over (in any batch), the owner's ID number not on the
  sales list, an agent without the owner's power of attorney (委托书 photo), a bad agent ID.
* Owner file [H2]: at least two different phone numbers, household members with relation and
  ID type (photos optional), an emergency contact, the owner's signature on the kiosk pad; the
  buyers and members become the unit's people in the registry.
* Stations [H4]: each station's waiting list in arrival order; marking a station done records
  who and when (once: a second tap says who did it).
"""
from __future__ import annotations

import os
import re
import uuid
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..core.models import utcnow
from ..core.services import record
from ..core.timefmt import site_today
from ..extensions import db
from ..photos import signatures
from ..registry.importer import FileProblem, ImportOutcome, RowError, _clean, _norm_header, read_table
from ..registry.models import Building, Occupancy, OccupantRole, Person, Unit, UnitStatus
from ..registry.validation import is_valid_id_number, is_valid_phone, normalize_id_number, normalize_phone
from .models import CardState, HandoverBatch, HandoverCard, HandoverDefect

DEFAULT_STATIONS = (("agreements", "协议签订处"), ("fees", "收费处"), ("keys", "钥匙发放处"),
                    ("items", "物品发放处"), ("inspection", "验房处"))
DEFAULT_ROOMS = ("入户", "客厅", "主卧", "次卧", "厨房", "卫生间", "阳台")
DEFAULT_CHECK_ITEMS = ("门", "锁", "窗户", "墙面", "地面", "天花", "给水", "排水/地漏", "电气", "阳台")
# Defect categories and the ticket category each is filed under (a hint to the tickets area).
DEFECT_CATEGORIES = {"土建": "其他", "门窗": "其他", "水电": "水电气维修", "防水": "水电气维修", "其他": "其他"}
MAX_DEFECT_PHOTOS = 6
DEFAULT_ITEMS = ("业主服务手册", "商品住宅质量保证书", "商品住宅使用说明书", "温馨问答")
RELATIONS = ("配偶", "亲属", "朋友")
MEMBER_RELATIONS = ("本人", "配偶", "子女", "父母", "亲属", "其他")
ID_TYPES = {"id_card": "居民身份证", "passport": "护照", "hk_mo": "港澳居民来往内地通行证", "other": "其他"}
MAX_BUYERS = 4
MAX_MEMBERS = 12
MAX_DAYS = 31
MAX_ROWS = 5000

MSG_SLIP_UNKNOWN = "传递单号 {no} 不在本批次（{batch}）的交房名单中，请核对传递单或联系售房部。"
MSG_ALREADY = "{unit} 已于 {day} 交房，不能重复办理。"
MSG_REFUSED_BEFORE = "{unit} 的业主已拒收，请先处理拒收跟进后再重新办理。"
MSG_ARRIVED = "{unit} 已在办理中（{at} 到场），无需再次登记到场。"
MSG_NOT_BUYER = "身份证号与售房部名单上的买受人不符，不能以业主本人身份办理；如为代办，请出示业主委托书。"
MSG_ID = "身份证号无效，请核对 18 位身份证号。"
MSG_NO_POA = "代办交房须有业主签字的委托书：没有委托书，不能办理。"
MSG_AGENT_NAME = "请填写代办人姓名。"
MSG_RELATION = "请选择代办人与业主的关系（配偶、亲属或朋友）。"
MSG_POA_OWNER = "请选择出具委托书的业主（须是名单上的买受人）。"
MSG_PHONES = "请至少留两个不同的联系电话，以便紧急情况下联系（现有 {n} 个）。"
MSG_PHONE_BAD = "电话号码 {v} 无效：请填写手机或带区号的座机。"
MSG_EMERGENCY = "请填写紧急联系人姓名和电话。"
MSG_SIGN = "请业主核对信息后在屏幕上签名。"
MSG_SIGN_BAD = "签名图片无效，请清除后重新签名。"
MSG_NOT_ARRIVED = "业主尚未到场登记，请先在到场登记处核对身份。"
MSG_STATION = "没有这个工作组。"
MSG_FILE_FIRST = "请先建立业主档案（住户登记表和签名），再办理各工作组手续。"
MSG_CLOSED = "该房屋的交房已结束（{state}），不能再修改。"


class HandoverError(ValueError):
    """A refused step; `str(e)` is the Chinese message, shown next to `field` when given."""

    def __init__(self, message: str, status: int = 409, field: str | None = None):
        super().__init__(message)
        self.status = status
        self.field = field


def _station_list(names: list[str] | None, staff: dict[str, list[int]] | None = None) -> list[dict]:
    staff = staff or {}
    default_keys = dict((name, key) for key, name in DEFAULT_STATIONS)
    out = []
    for i, name in enumerate(names or [n for _, n in DEFAULT_STATIONS]):
        key = default_keys.get(name, f"s{i + 1}")
        out.append({"key": key, "name": name, "staff_ids": sorted(set(staff.get(key, staff.get(name, []))))})
    return out


# --- batch -----------------------------------------------------------------------------------

def create_batch(community_id: int, name: str, building_ids: list[int], days: list[date], opens: str, closes: str,
                 actor, stations: list[str] | None = None, staff: dict[str, list[int]] | None = None,
                 items: list[str] | None = None) -> HandoverBatch:
    name = (name or "").strip()
    if not name:
        raise HandoverError("请填写批次名称。", 422, "name")
    ids = set(db.session.scalars(select(Building.id).where(Building.community_id == community_id,
                                                           Building.id.in_(building_ids or [0]))))
    if not ids or ids != set(building_ids):
        raise HandoverError("请选择本小区的楼栋。", 422, "building_ids")
    days = sorted(set(days or []))
    if not days:
        raise HandoverError("请至少填写一个交房日。", 422, "days")
    if len(days) > MAX_DAYS:
        raise HandoverError(f"一个批次最多 {MAX_DAYS} 个交房日。", 422, "days")
    if not re.fullmatch(r"\d\d:\d\d", opens or "") or not re.fullmatch(r"\d\d:\d\d", closes or "") or opens >= closes:
        raise HandoverError("开放时间须早于结束时间（如 08:30 至 17:30）。", 422, "opens")
    station_names = [s.strip() for s in (stations or []) if s and s.strip()] or None
    if station_names and len(set(station_names)) != len(station_names):
        raise HandoverError("工作组名称不能重复。", 422, "stations")
    batch = HandoverBatch(community_id=community_id, name=name[:64], building_ids=sorted(ids),
                          days=[d.isoformat() for d in days], opens=opens, closes=closes,
                          stations=_station_list(station_names, staff),
                          items=[i.strip() for i in (items or DEFAULT_ITEMS) if i.strip()],
                          checklist={"rooms": list(DEFAULT_ROOMS), "items": list(DEFAULT_CHECK_ITEMS)},
                          created_by_id=getattr(actor, "id", None))
    db.session.add(batch)
    db.session.flush()
    record("handover.batch_opened", batch, actor=actor, name=batch.name, days=batch.days,
           stations=[s["name"] for s in batch.stations])
    return batch


def update_stations(batch: HandoverBatch, names: list[str], staff: dict[str, list[int]], actor) -> None:
    """Edit the stations (names, order, staff) of a batch; a station a card already passed keeps its key."""
    names = [n.strip() for n in names if n and n.strip()]
    if not names:
        raise HandoverError("请至少保留一个工作组。", 422, "stations")
    if len(set(names)) != len(names):
        raise HandoverError("工作组名称不能重复。", 422, "stations")
    old = {s["name"]: s["key"] for s in batch.stations}
    used = set(old.values())
    out = []
    for i, name in enumerate(names):
        key = old.get(name) or dict((n, k) for k, n in DEFAULT_STATIONS).get(name)
        if not key or (key in used and name not in old):
            key = f"s{uuid.uuid4().hex[:6]}"
        out.append({"key": key, "name": name, "staff_ids": sorted(set(staff.get(key, staff.get(name, []))))})
    batch.stations = out
    record("handover.stations_changed", batch, actor=actor, stations=names)


def batches(community_id: int) -> list[HandoverBatch]:
    return list(db.session.scalars(select(HandoverBatch).where(HandoverBatch.community_id == community_id)
                                   .order_by(HandoverBatch.id.desc())))


def get_batch(community_id: int, batch_id: int) -> HandoverBatch | None:
    b = db.session.get(HandoverBatch, batch_id)
    return b if b is not None and b.community_id == community_id else None


def get_card(community_id: int, card_id: int) -> HandoverCard | None:
    c = db.session.get(HandoverCard, card_id)
    return c if c is not None and c.community_id == community_id else None


# --- the buyers' list ------------------------------------------------------------------------

BUYER_COLUMNS = {
    "unit": ("房屋", "房号", "房屋编号", "unit"),
    "building": ("楼栋", "楼号", "栋"),
    "entrance": ("单元",),
    "number": ("室", "房间号", "户号"),
    "names": ("买受人", "业主姓名", "买受人姓名", "姓名", "names"),
    "id_numbers": ("身份证号", "身份证号码", "证件号码", "id_numbers"),
    "phones": ("电话", "手机", "联系电话", "phones"),
    "contract_no": ("合同号", "合同编号", "contract_no"),
    "slip_no": ("传递单号", "交房传递单号", "传递单编号", "slip_no"),
    "appointment": ("预约", "预约时段", "预约时间", "appointment"),
}
HALVES = {"am": "上午", "pm": "下午"}
_BUYER_ALIASES = {_norm_header(a): key for key, names in BUYER_COLUMNS.items() for a in names}
_SPLIT = re.compile(r"[、,，;；/\s]+")
_UNIT_CODE = re.compile(r"^([0-9A-Z]{1,16})[-栋]\s*(\d{1,2})[-单元]*\s*([0-9A-Z]{1,16})室?$")


@dataclass
class BuyerImport(ImportOutcome):
    cards: int = 0

    @property
    def done(self) -> str:
        return f"导入完成：{self.cards} 户进入交房名单。"


def _parse_unit(values: dict) -> tuple[str, int, str] | None:
    code = unicodedata_upper(values.get("unit", ""))
    if code:
        code = code.replace("单元", "-").replace("栋", "-").replace("室", "")
        parts = [p for p in re.split(r"-+", code) if p]
        if len(parts) == 3 and parts[1].isdigit():
            return parts[0], int(parts[1]), parts[2]
        return None
    b, e, n = (unicodedata_upper(values.get(k, "")) for k in ("building", "entrance", "number"))
    b = b.removesuffix("栋")
    e = e.removesuffix("单元")
    if b and e.isdigit() and n:
        return b, int(e), n
    return None


def unicodedata_upper(value: str) -> str:
    return re.sub(r"\s+", "", _clean(value or "")).upper()


def import_buyers(batch: HandoverBatch, filename: str, data: bytes, actor) -> BuyerImport:
    """All rows or none: every problem is a RowError with the row the user sees."""
    result = BuyerImport(filename=os.path.basename(filename or ""))
    try:
        table = read_table(filename or "", data)
    except FileProblem as e:
        result.errors.append(RowError(0, str(e)))
        return result
    hi = next((i for i, row in enumerate(table) if any(_norm_header(c) in _BUYER_ALIASES for c in row)), None)
    if hi is None:
        result.errors.append(RowError(0, "找不到表头：需要“房屋（或楼栋、单元、室）、买受人、身份证号、电话、合同号、传递单号”等列。"))
        return result
    cols: dict[str, int] = {}
    for idx, cell in enumerate(table[hi]):
        key = _BUYER_ALIASES.get(_norm_header(cell))
        if key and key not in cols:
            cols[key] = idx
    missing = [label for key, label in (("names", "买受人"), ("id_numbers", "身份证号"), ("phones", "电话"),
                                        ("slip_no", "传递单号")) if key not in cols]
    if "unit" not in cols and not {"building", "entrance", "number"} <= cols.keys():
        missing.insert(0, "房屋（或楼栋、单元、室）")
    if missing:
        result.errors.append(RowError(hi + 1, f"缺少列：{'、'.join(missing)}。"))
        return result

    units = {(u.building.number.upper(), u.entrance, u.number.upper()): u for u in db.session.scalars(
        select(Unit).join(Building).where(Building.id.in_(batch.building_ids or [0]))
        .options(selectinload(Unit.building)))}
    in_batch = {c.unit_id for c in batch.cards}
    slips_in_batch = {c.slip_no for c in batch.cards}
    seen_units: dict[int, int] = {}
    seen_slips: dict[str, int] = {}
    rows: list[dict] = []
    for i, raw in enumerate(table[hi + 1:], start=hi + 2):
        values = {k: _clean(raw[idx]) if idx < len(raw) else "" for k, idx in cols.items()}
        if not any(values.values()):
            continue
        if len(rows) >= MAX_ROWS:
            result.errors.append(RowError(i, f"一次最多导入 {MAX_ROWS} 户，请分批导入。"))
            break
        errs: list[str] = []
        key = _parse_unit(values)
        unit = units.get(key) if key else None
        if key is None:
            errs.append("房屋格式不对（如 3-2-1201，或分列填写楼栋、单元、室）")
        elif unit is None:
            errs.append(f"{key[0]}栋{key[1]}单元{key[2]} 不在本批次的楼栋中")
        else:
            if unit.id in seen_units:
                errs.append(f"{unit.label} 与第{seen_units[unit.id]}行重复")
            elif unit.id in in_batch:
                errs.append(f"{unit.label} 已在本批次的交房名单中")
            elif unit.status != UnitStatus.VACANT:
                errs.append(f"{unit.label} 的状态是“{unit.status_label}”，不是待交付的空置房")
            seen_units.setdefault(unit.id, i)
        slip = re.sub(r"\s+", "", values.get("slip_no", "")).upper()
        if not slip:
            errs.append("请填写传递单号")
        elif len(slip) > 32 or not re.fullmatch(r"[0-9A-Z\-]+", slip):
            errs.append("传递单号只能是字母、数字和连字符，最多32位")
        elif slip in seen_slips:
            errs.append(f"传递单号 {slip} 与第{seen_slips[slip]}行重复")
        elif slip in slips_in_batch:
            errs.append(f"传递单号 {slip} 已在本批次中")
        seen_slips.setdefault(slip, i)
        names = [n for n in _SPLIT.split(values.get("names", "")) if n]
        ids = [normalize_id_number(n) for n in _SPLIT.split(values.get("id_numbers", "")) if n]
        phones = [normalize_phone(n) for n in re.split(r"[、,，;；/]+", values.get("phones", "")) if n.strip()]
        if not names:
            errs.append("请填写买受人姓名")
        elif len(names) > MAX_BUYERS:
            errs.append(f"买受人最多 {MAX_BUYERS} 人")
        elif len(ids) != len(names):
            errs.append(f"买受人 {len(names)} 人，身份证号 {len(ids)} 个：须一一对应（用顿号分隔）")
        for n in names:
            if len(n) > 64:
                errs.append("姓名最多64字")
        for v in ids:
            if not is_valid_id_number(v):
                errs.append(f"身份证号 {v[:6]}…{v[-4:] if len(v) > 10 else ''} 无效（18 位，校验位要对；请把该列设为文本格式）")
        if not phones:
            errs.append("请填写至少一个联系电话")
        for p in phones:
            if not is_valid_phone(p):
                errs.append(f"电话 {p} 无效")
        contract = values.get("contract_no", "")
        if len(contract) > 32:
            errs.append("合同号最多32位")
        appointment = (None, None)
        if values.get("appointment"):
            m = re.fullmatch(r"(\d{4}-\d{1,2}-\d{1,2})\s*(上午|下午)", values["appointment"])
            day = None
            if m:
                try:
                    y, mo, d = (int(x) for x in m.group(1).split("-"))
                    day = date(y, mo, d)
                except ValueError:
                    day = None
            if day is None or day.isoformat() not in batch.days:
                errs.append(f"预约时段须为本批次的交房日加上午/下午，如 {batch.days[0] if batch.days else '2026-12-10'} 上午")
            else:
                appointment = (day, "am" if m.group(2) == "上午" else "pm")
        if errs:
            result.errors.extend(RowError(i, e) for e in errs)
            continue
        buyers = [{"name": n, "id_number": ids[j], "phone": phones[j] if j < len(phones) else phones[0]}
                  for j, n in enumerate(names)]
        rows.append({"unit": unit, "slip_no": slip, "contract_no": contract or None, "buyers": buyers,
                     "appointment": appointment})
    if not rows and not result.errors:
        result.errors.append(RowError(0, "文件里没有任何数据。"))
    if result.errors:
        return result
    for r in rows:
        db.session.add(HandoverCard(community_id=batch.community_id, batch_id=batch.id, unit_id=r["unit"].id,
                                    slip_no=r["slip_no"], contract_no=r["contract_no"], buyers=r["buyers"],
                                    appointment_day=r["appointment"][0], appointment_half=r["appointment"][1]))
    result.cards = len(rows)
    db.session.flush()
    db.session.expire(batch, ["cards"])
    record("handover.buyers_imported", batch, actor=actor, filename=result.filename, cards=result.cards)
    return result


# --- arrival [H1] ----------------------------------------------------------------------------

def normalize_slip(value: str | None) -> str:
    return re.sub(r"\s+", "", value or "").upper()


def find_by_slip(batch: HandoverBatch, slip_no: str) -> HandoverCard:
    slip = normalize_slip(slip_no)
    card = db.session.scalar(select(HandoverCard).where(HandoverCard.batch_id == batch.id,
                                                        HandoverCard.slip_no == slip)) if slip else None
    if card is None:
        raise HandoverError(MSG_SLIP_UNKNOWN.format(no=slip or "（空）", batch=batch.name), 404, "slip_no")
    _refuse_closed(card)
    return card


def _handed_over_elsewhere(card: HandoverCard) -> HandoverCard | None:
    return db.session.scalar(select(HandoverCard).where(HandoverCard.unit_id == card.unit_id,
                                                        HandoverCard.state == CardState.HANDED_OVER,
                                                        HandoverCard.id != card.id).limit(1))


def _refuse_closed(card: HandoverCard) -> None:
    if card.state == CardState.HANDED_OVER:
        raise HandoverError(MSG_ALREADY.format(unit=card.unit.label, day=card.handed_over_on), 409, "slip_no")
    other = _handed_over_elsewhere(card)
    if other is not None:
        raise HandoverError(MSG_ALREADY.format(unit=card.unit.label, day=other.handed_over_on), 409, "slip_no")
    if card.state == CardState.REFUSED:
        raise HandoverError(MSG_REFUSED_BEFORE.format(unit=card.unit.label), 409, "slip_no")


@dataclass
class Arrival:
    came_as: str                     # owner | agent
    id_number: str = ""              # the owner's (came_as owner) or the agent's
    owner_name: str = ""             # agent: the buyer who signed the 委托书
    agent_name: str = ""
    agent_relation: str = ""
    poa_photo: object | None = None  # a FileStorage: the signed 委托书


def arrive(card: HandoverCard, a: Arrival, actor) -> HandoverCard:
    """Check identity [H1] and mark the card arrived. A refusal is recorded with its reason and raised."""
    _refuse_closed(card)
    if card.state == CardState.ARRIVED:
        raise HandoverError(MSG_ARRIVED.format(unit=card.unit.label, at=card.arrived_at), 409, "slip_no")
    _check_identity(card, a)  # the view keeps a refusal's reason (record_refusal) after its rollback
    if a.came_as == "owner":
        buyer = _buyer_by_id(card, a.id_number)
        card.owner_name = buyer["name"]
    else:
        from ..photos.services import PhotoError, save_photo

        try:
            stored = save_photo(a.poa_photo, folder=f"c{card.community_id}/handover")
        except PhotoError as e:
            raise HandoverError(str(e), 422, "poa_photo") from None
        card.owner_name = a.owner_name
        card.agent_name = a.agent_name.strip()[:64]
        card.agent_id_number = normalize_id_number(a.id_number)
        card.agent_relation = a.agent_relation
        card.poa_photo = stored.path
    card.came_as = a.came_as
    card.state = CardState.ARRIVED
    card.arrived_at = utcnow()
    card.arrived_by_id = getattr(actor, "id", None)
    record("handover.arrived", card, actor=actor, came_as=a.came_as, unit=card.unit.label,
           relation=card.agent_relation)
    return card


def _buyer_by_id(card: HandoverCard, id_number: str) -> dict | None:
    v = normalize_id_number(id_number)
    return next((b for b in card.buyers if b.get("id_number") == v), None)


def _check_identity(card: HandoverCard, a: Arrival) -> None:
    if a.came_as == "owner":
        if not is_valid_id_number(a.id_number):
            raise HandoverError(MSG_ID, 422, "id_number")
        if _buyer_by_id(card, a.id_number) is None:
            raise HandoverError(MSG_NOT_BUYER, 422, "id_number")
        return
    if a.came_as != "agent":
        raise HandoverError("请选择到场人：业主本人或代办人。", 422, "came_as")
    if not (a.agent_name or "").strip():
        raise HandoverError(MSG_AGENT_NAME, 422, "agent_name")
    if not is_valid_id_number(a.id_number):
        raise HandoverError(MSG_ID, 422, "id_number")
    if a.agent_relation not in RELATIONS:
        raise HandoverError(MSG_RELATION, 422, "agent_relation")
    if a.owner_name not in [b.get("name") for b in card.buyers]:
        raise HandoverError(MSG_POA_OWNER, 422, "owner_name")
    if a.poa_photo is None or not getattr(a.poa_photo, "filename", "x"):
        raise HandoverError(MSG_NO_POA, 422, "poa_photo")


# --- owner file [H2] -------------------------------------------------------------------------

def decode_signature(value: str | None) -> bytes:
    """A PNG data URL from static/js/signature.js → a cropped grayscale PNG (photos.signatures);
    a blank pad or a bad image refused at the field "signature"."""
    try:
        return signatures.decode(value, pad=0)
    except signatures.SignatureError as e:
        raise HandoverError(MSG_SIGN if e.blank else MSG_SIGN_BAD, 422, "signature") from None


store_png = signatures.store_png


@dataclass
class OwnerFile:
    phones: list[str]
    members: list[dict] = field(default_factory=list)  # {"name", "relation", "id_type", "id_number", "photo": FileStorage|None}
    emergency_name: str = ""
    emergency_phone: str = ""
    signature: str = ""
    vehicles: str = ""  # plates, optional: 粤A12345、粤B6789D


def _require_open(card: HandoverCard) -> None:
    if card.state in (CardState.HANDED_OVER, CardState.REFUSED):
        raise HandoverError(MSG_CLOSED.format(state=card.state_label), 409)
    if card.state != CardState.ARRIVED:
        raise HandoverError(MSG_NOT_ARRIVED, 409)


def save_owner_file(card: HandoverCard, f: OwnerFile, actor) -> HandoverCard:
    """The household register [H2]: ≥2 phones, members, emergency contact, the owner's signature;
    the buyers and members become the unit's people in the registry."""
    _require_open(card)
    phones: list[str] = []
    for p in f.phones:
        v = normalize_phone(p)
        if not v:
            continue
        if not is_valid_phone(v):
            raise HandoverError(MSG_PHONE_BAD.format(v=v[:20]), 422, "phones")
        if v not in phones:
            phones.append(v)
    if len(phones) < 2:
        raise HandoverError(MSG_PHONES.format(n=len(phones)), 422, "phones")
    if not (f.emergency_name or "").strip() or not is_valid_phone(f.emergency_phone):
        raise HandoverError(MSG_EMERGENCY, 422, "emergency_name")
    members = []
    for m in f.members[:MAX_MEMBERS]:
        name = (m.get("name") or "").strip()
        if not name:
            continue
        if m.get("relation") not in MEMBER_RELATIONS:
            raise HandoverError(f"请选择 {name} 与业主的关系。", 422, "members")
        id_type = m.get("id_type") or "id_card"
        if id_type not in ID_TYPES:
            raise HandoverError(f"{name} 的证件类型无效。", 422, "members")
        id_number = normalize_id_number(m.get("id_number"))
        if id_type == "id_card" and id_number and not is_valid_id_number(id_number):
            raise HandoverError(f"{name} 的身份证号无效。", 422, "members")
        members.append({"name": name[:64], "relation": m["relation"], "id_type": id_type,
                        "id_number": id_number[:18] or None, "photo": m.get("photo")})
    plates = [p.upper() for p in re.split(r"[、,，;；\s]+", f.vehicles or "") if p]
    if len(plates) > 4 or any(not re.fullmatch(r"[\u4e00-\u9fff][A-Z][A-Z0-9]{4,6}", p) for p in plates):
        raise HandoverError("车牌号格式不对（如 粤A12345，最多4辆，用顿号分隔）。", 422, "vehicles")
    png = decode_signature(f.signature)
    photos = []
    try:
        for m in members:
            if m["photo"] is not None and getattr(m["photo"], "filename", ""):
                from ..photos.services import PhotoError, save_photo

                try:
                    stored = save_photo(m["photo"], folder=f"c{card.community_id}/handover")
                except PhotoError as e:
                    raise HandoverError(f"{m['name']} 的照片：{e}", 422, "members") from None
                photos.append(stored.path)
                m["photo"] = stored.path
            else:
                m["photo"] = None
    except HandoverError:
        for p in photos:
            Path(current_app.config["UPLOAD_FOLDER"], p).unlink(missing_ok=True)
        raise
    card.phones = phones
    card.members = members
    card.vehicles = plates
    card.emergency_name = f.emergency_name.strip()[:64]
    card.emergency_phone = normalize_phone(f.emergency_phone)
    card.file_signature = store_png(png, f"c{card.community_id}/handover")
    card.filed_at = utcnow()
    _write_people(card)
    record("handover.owner_file", card, actor=actor, phones=len(phones), members=len(members))
    return card


def _write_people(card: HandoverCard) -> None:
    """The buyers (owners) and the household members become the unit's people [H2]; a person
    already registered in the community with the same ID number is linked, not duplicated."""
    today = site_today()
    current = {(o.person_id, o.role) for o in db.session.scalars(select(Occupancy).where(
        Occupancy.unit_id == card.unit_id))}

    def person_for(name, id_number, phone=None, phone2=None, photo=None):
        p = None
        if id_number:
            p = db.session.scalar(select(Person).where(Person.community_id == card.community_id,
                                                       Person.id_number == id_number).limit(1))
        if p is None:
            p = Person(community_id=card.community_id, name=name, id_number=id_number)
            db.session.add(p)
        if phone:
            p.phone, p.phone2 = phone, phone2
        if photo:
            p.photo = photo
        db.session.flush()
        return p

    for i, b in enumerate(card.buyers):
        phone = card.phones[0] if i == 0 else (b.get("phone") or card.phones[0])
        p = person_for(b["name"], b.get("id_number"), phone, card.phones[1] if len(card.phones) > 1 else None)
        if (p.id, OccupantRole.OWNER) not in current:
            db.session.add(Occupancy(unit_id=card.unit_id, person_id=p.id, role=OccupantRole.OWNER, since=today))
            current.add((p.id, OccupantRole.OWNER))
    buyer_ids = {b.get("id_number") for b in card.buyers}
    for m in card.members:
        if m["relation"] == "本人" or (m.get("id_number") and m["id_number"] in buyer_ids):
            continue
        p = person_for(m["name"], m.get("id_number") if m.get("id_type") == "id_card" else None, photo=m.get("photo"))
        if (p.id, OccupantRole.MEMBER) not in current:
            db.session.add(Occupancy(unit_id=card.unit_id, person_id=p.id, role=OccupantRole.MEMBER,
                                     relation=m["relation"], since=today))
            current.add((p.id, OccupantRole.MEMBER))


# --- stations [H4] ---------------------------------------------------------------------------

def waiting(batch: HandoverBatch, station_key: str) -> list[HandoverCard]:
    """Who waits at a station: arrived, filed, not done there yet, in arrival order."""
    cards = db.session.scalars(select(HandoverCard).where(HandoverCard.batch_id == batch.id,
                                                          HandoverCard.state == CardState.ARRIVED)
                               .options(selectinload(HandoverCard.unit).selectinload(Unit.building))
                               .order_by(HandoverCard.arrived_at, HandoverCard.id))
    return [c for c in cards if station_key not in (c.done or {})]


def queue_version(batch: HandoverBatch) -> str:
    """Changes whenever any card of the batch changes (the 304 polling of the station screens)."""
    from sqlalchemy import func

    from ..core.models import Event

    last = db.session.scalar(select(func.max(Event.id)).where(Event.object_type == "handovercard",
                                                              Event.community_id == batch.community_id))
    return f"b{batch.id}-e{last or 0}"


def mark_done(card: HandoverCard, station_key: str, actor, **facts) -> HandoverCard:
    _require_open(card)
    station = card.batch.station(station_key)
    if station is None:
        raise HandoverError(MSG_STATION, 404)
    if card.filed_at is None:
        raise HandoverError(MSG_FILE_FIRST, 409)
    done = dict(card.done or {})
    if station_key in done:
        d = done[station_key]
        raise HandoverError(f"{station['name']} 已由 {d.get('by_name')} 于 {d.get('at_local')} 办结。", 409)
    from ..core.timefmt import localtime

    now = utcnow()
    done[station_key] = {"by_id": getattr(actor, "id", None), "by_name": getattr(actor, "name", ""),
                         "at": now.isoformat(), "at_local": localtime(now, "%m-%d %H:%M")}
    card.done = done
    record("handover.station_done", card, actor=actor, station=station_key, name=station["name"], **facts)
    return card


def stations_left(card: HandoverCard) -> list[dict]:
    return [s for s in card.batch.stations if s["key"] not in (card.done or {})]


def hand_over(card: HandoverCard, actor, day: date | None = None) -> HandoverCard:
    """Keys in hand: every station done → the unit is 已交房 with the date, its steward's 今日 shows it."""
    _require_open(card)
    left = stations_left(card)
    if left:
        raise HandoverError("还有工作组未办结：" + "、".join(s["name"] for s in left) + "。", 409)
    if _handed_over_elsewhere(card) is not None:
        raise HandoverError(MSG_ALREADY.format(unit=card.unit.label, day=_handed_over_elsewhere(card).handed_over_on), 409)
    card.state = CardState.HANDED_OVER
    card.handed_over_on = day or site_today()
    card.unit.status = UnitStatus.DELIVERED
    record("handover.handed_over", card, actor=actor, unit=card.unit.label, day=card.handed_over_on.isoformat())
    return card


def refuse(card: HandoverCard, reason: str, actor) -> HandoverCard:
    """拒收: the owner will not take the keys; the unit stays not handed over and is followed up."""
    _require_open(card)
    reason = (reason or "").strip()
    if not reason:
        raise HandoverError("请填写拒收原因。", 422, "reason")
    card.state = CardState.REFUSED
    card.refused_reason = reason[:500]
    card.refused_at = utcnow()
    record("handover.refused", card, actor=actor, reason=card.refused_reason)
    return card


def month_figures(community_id: int, first: date, last: date) -> list[tuple[str, str, int]]:
    """core.hooks.MONTH_FIGURES (the manager's monthly report [A5]): units handed over in the
    month, keys refused (拒收), defects found at the inspections."""
    from sqlalchemy import func

    from ..core.timefmt import day_bounds

    lo, hi = day_bounds(first)[0], day_bounds(last)[1]
    handed, refused = db.session.execute(select(
        func.count().filter(HandoverCard.handed_over_on >= first, HandoverCard.handed_over_on <= last),
        func.count().filter(HandoverCard.refused_at >= lo, HandoverCard.refused_at < hi))
        .where(HandoverCard.community_id == community_id)).one()
    defects = db.session.scalar(select(func.count(HandoverDefect.id)).where(
        HandoverDefect.community_id == community_id, HandoverDefect.created_at >= lo,
        HandoverDefect.created_at < hi)) or 0
    return [("交房", "交房户数", handed), ("交房", "拒收户数", refused), ("交房", "验房问题", defects)]


def counts(batch: HandoverBatch) -> dict[str, int]:
    out = {s: 0 for s in CardState}
    for c in batch.cards:
        out[c.state] = out.get(c.state, 0) + 1
    out["total"] = len(batch.cards)
    return out


def _of_steward(user):
    """Cards of the units a steward looks after: their own (Unit.steward_id) or in their buildings."""
    from sqlalchemy import or_

    from ..auth.models import user_building

    return or_(Unit.steward_id == user.id, Unit.building_id.in_(
        select(user_building.c.building_id).where(user_building.c.user_id == user.id)))


def handed_over_for_steward(user, community_id: int, day: date) -> list[HandoverCard]:
    """The steward's 今日: units of their buildings handed over in the last days (first-renovation follow-up [D2])."""
    from datetime import timedelta

    return list(db.session.scalars(select(HandoverCard).join(Unit, Unit.id == HandoverCard.unit_id).where(
        HandoverCard.community_id == community_id, HandoverCard.state == CardState.HANDED_OVER,
        HandoverCard.handed_over_on >= day - timedelta(days=7), HandoverCard.handed_over_on <= day,
        _of_steward(user)).order_by(HandoverCard.handed_over_on.desc(), HandoverCard.id)))


def refused_for_steward(user, community_id: int) -> list[HandoverCard]:
    """[H4] Units of the steward's buildings whose owner refused the keys (拒收) and that are not
    handed over yet: each waits on the steward's 今日 until it is handed over."""
    return list(db.session.scalars(select(HandoverCard).join(Unit, Unit.id == HandoverCard.unit_id).where(
        HandoverCard.community_id == community_id, HandoverCard.state == CardState.REFUSED,
        _of_steward(user)).order_by(HandoverCard.refused_at, HandoverCard.id)))


# --- what the fees, keys and items stations record ----------------------------------------------

METERS = (("water", "水表"), ("electricity", "电表"), ("gas", "燃气表"))


@dataclass
class StationFacts:
    due: object = None          # Decimal yuan
    paid: object = None
    receipt: str = ""
    door_keys: int | None = None
    mailbox_keys: int | None = None
    readings: dict = field(default_factory=dict)  # kind -> Decimal
    photos: dict = field(default_factory=dict)    # kind -> FileStorage
    wechat_steward: str = ""
    signature: str = ""  # the owner's signature (agreements, the sign-off sheet)


def _fen(value) -> int:
    from decimal import Decimal

    return int((Decimal(value) * 100).to_integral_value())


def complete_station(card: HandoverCard, station_key: str, f: StationFacts, actor) -> HandoverCard:
    """Mark a station done with what it records: fees paid/owed, key sets and meter readings
    (each with a photo), the items handed out and the steward's WeChat."""
    _require_open(card)
    if card.batch.station(station_key) is None:
        raise HandoverError(MSG_STATION, 404)
    facts: dict = {}
    if station_key == "fees":
        if f.due is None or f.due < 0 or f.due > 10_000_000:
            raise HandoverError("请填写交房时应缴的金额（元），无应缴填 0。", 422, "due")
        paid = f.paid if f.paid is not None else 0
        if paid < 0 or paid > f.due:
            raise HandoverError("已缴金额须在 0 与应缴金额之间。", 422, "paid")
        if paid > 0 and not (f.receipt or "").strip():
            raise HandoverError("已收费请填写收据号。", 422, "receipt")
        card.fees = {"due_fen": _fen(f.due), "paid_fen": _fen(paid), "receipt": (f.receipt or "").strip()[:32]}
        facts = {"due_fen": card.fees["due_fen"], "paid_fen": card.fees["paid_fen"]}
    elif station_key == "keys":
        if not f.door_keys or not 1 <= f.door_keys <= 20:
            raise HandoverError("请填写发放的入户门钥匙数量（1 至 20 把）。", 422, "door_keys")
        if f.mailbox_keys is not None and not 0 <= f.mailbox_keys <= 20:
            raise HandoverError("信报箱钥匙数量须在 0 至 20 把之间。", 422, "mailbox_keys")
        meters = []
        for kind, label in METERS:
            reading = f.readings.get(kind)
            photo = f.photos.get(kind)
            has_photo = photo is not None and getattr(photo, "filename", "")
            if reading is None and not has_photo:
                if kind != "gas":
                    raise HandoverError(f"请填写{label}读数并拍照。", 422, kind)
                continue
            if reading is None or reading < 0:
                raise HandoverError(f"请填写{label}读数。", 422, kind)
            if not has_photo:
                raise HandoverError(f"请拍{label}照片（读数须有照片为证）。", 422, f"{kind}_photo")
            meters.append({"kind": kind, "label": label, "reading": str(reading), "photo": photo})
        from ..photos.services import PhotoError, save_photo

        for m in meters:
            try:
                m["photo"] = save_photo(m["photo"], folder=f"c{card.community_id}/handover").path
            except PhotoError as e:
                raise HandoverError(f"{m['label']}照片：{e}", 422, f"{m['kind']}_photo") from None
        sets = [{"kind": "入户门钥匙", "count": f.door_keys}]
        if f.mailbox_keys:
            sets.append({"kind": "信报箱钥匙", "count": f.mailbox_keys})
        card.keys = {"sets": sets, "meters": meters}
        facts = {"keys": sum(s["count"] for s in sets), "meters": len(meters)}
    elif station_key == "items":
        from .documents import issue_signoff

        rel = store_png(decode_signature(f.signature), f"c{card.community_id}/handover")
        mark_done(card, station_key, actor, items=list(card.batch.items))
        issue_signoff(card, rel, actor)
        return card
    elif station_key == "inspection":
        if not (card.inspection or {}).get("signature"):
            raise HandoverError("验房记录须业主签字：请在验房处完成验房并让业主签名。", 409, "signature")
        return card  # sign_inspection marks the station done
    elif station_key == "agreements":
        name = (f.wechat_steward or "").strip()
        if not name:
            raise HandoverError("请引导业主添加管家微信，并填写管家姓名。", 422, "wechat_steward")
        card.wechat_steward = name[:64]
        from .documents import issue_agreements

        rel = store_png(decode_signature(f.signature), f"c{card.community_id}/handover")
        issue_agreements(card, rel, actor)
        facts = {"wechat": card.wechat_steward}
    return mark_done(card, station_key, actor, **facts)


def record_refusal(card: HandoverCard, came_as: str, reason: str, actor) -> None:
    """An arrival refused [H1]: the reason is kept as an Event even though nothing else changed."""
    record("handover.arrival_refused", card, actor=actor, came_as=came_as, reason=reason)


def steward_today_lines(user, community_id: int, day: date) -> list[tuple[str, str]]:
    """Answer core.hooks.STEWARD_TODAY: the steward's units whose owner refused the keys, to follow
    up [H4], then those handed over in the last 7 days (the first renovation follows) [D2]; each a
    line for 今日."""
    from flask import url_for

    refused = [(f"{c.unit.label} 拒收待跟进：{c.refused_reason}", url_for("handover.card", handover_id=c.id))
               for c in refused_for_steward(user, community_id)]
    return refused + [(f"{c.unit.label} {c.handed_over_on:%m-%d} 已交房 · {c.buyer_names}",
                       url_for("handover.card", handover_id=c.id))
                      for c in handed_over_for_steward(user, community_id, day)]



# --- inspection [H4] -------------------------------------------------------------------------------

@dataclass
class DefectIn:
    room: str
    item: str
    category: str
    location: str
    note: str = ""
    photos: list = field(default_factory=list)  # FileStorage


def add_defect(card: HandoverCard, d: DefectIn, actor) -> HandoverDefect:
    """A defect found walking the unit with the owner: with its photos, and at once a 返修 ticket
    in the engineering queue (core.hooks.OPEN_TICKET, answered by tickets)."""
    from ..core import hooks

    _require_open(card)
    if card.filed_at is None:
        raise HandoverError(MSG_FILE_FIRST, 409)
    if (card.inspection or {}).get("signature"):
        raise HandoverError("验房记录已由业主签字，不能再添加问题；如有新问题请另开报修工单。", 409)
    checklist = card.batch.checklist or {}
    if d.room not in checklist.get("rooms", DEFAULT_ROOMS):
        raise HandoverError("请选择房间。", 422, "room")
    if d.item not in checklist.get("items", DEFAULT_CHECK_ITEMS):
        raise HandoverError("请选择检查项目。", 422, "item")
    if d.category not in DEFECT_CATEGORIES:
        raise HandoverError("请选择问题类别。", 422, "category")
    location = (d.location or "").strip()
    if not location:
        raise HandoverError("请填写问题的具体位置（如：主卧北墙距地1米处）。", 422, "location")
    files = [f for f in d.photos if f is not None and getattr(f, "filename", "")]
    if not files:
        raise HandoverError("每个问题须至少拍一张照片。", 422, "photos")
    if len(files) > MAX_DEFECT_PHOTOS:
        raise HandoverError(f"每个问题最多 {MAX_DEFECT_PHOTOS} 张照片。", 422, "photos")
    from ..photos.services import PhotoError, save_photo

    stored = []
    try:
        for f in files:
            stored.append(save_photo(f, folder=f"c{card.community_id}/handover"))
    except PhotoError as e:
        for s in stored:
            Path(current_app.config["UPLOAD_FOLDER"], s.path).unlink(missing_ok=True)
        raise HandoverError(str(e), 422, "photos") from None
    defect = HandoverDefect(community_id=card.community_id, card_id=card.id, room=d.room, item=d.item,
                            category=d.category, location=location[:100], note=(d.note or "").strip()[:500] or None,
                            photos=[{"path": s.path, "thumb": s.thumb_path} for s in stored],
                            created_by_id=getattr(actor, "id", None))
    db.session.add(defect)
    db.session.flush()
    ticket = hooks.first(hooks.OPEN_TICKET, card.community_id, {
        "kind": "defect", "unit_id": card.unit_id, "category": DEFECT_CATEGORIES[d.category], "source": "交房验房",
        "description": f"{card.unit.label} {d.room}·{d.item}（{d.category}）：{location}{'，' + d.note if d.note else ''}",
        "photos": stored, "client_key": f"handover-defect-{defect.id}"}, actor)
    defect.ticket_id = ticket["id"] if ticket else None
    defect.ticket_serial = ticket.get("serial") if ticket else None
    record("handover.defect", card, actor=actor, defect=defect.id, room=d.room, item=d.item, category=d.category,
           ticket=defect.ticket_id)
    return defect


def sign_inspection(card: HandoverCard, signature: str, actor) -> HandoverCard:
    """The owner signs the inspection record [H4]: the 验房处 is done (with or without defects)."""
    _require_open(card)
    if card.filed_at is None:
        raise HandoverError(MSG_FILE_FIRST, 409)
    png = decode_signature(signature)
    if card.batch.station("inspection") is None:
        raise HandoverError(MSG_STATION, 404)
    card.inspection = {"signature": store_png(png, f"c{card.community_id}/handover"), "signed_at": utcnow().isoformat(),
                       "by_name": getattr(actor, "name", ""), "defects": len(card.defects)}
    mark_done(card, "inspection", actor, defects=len(card.defects))
    from .documents import issue_inspection

    issue_inspection(card, actor, {d.ticket_id: d.ticket_serial or "" for d in card.defects})
    return card



def appointments(batch: HandoverBatch, day: date) -> list[tuple[str, list[HandoverCard]]]:
    """The appointments of a handover day by half-day (上午, 下午), each in unit order."""
    cards = [c for c in batch.cards if c.appointment_day == day]
    key = lambda c: (c.unit.building.sort_key, c.unit.entrance, c.unit.floor, c.unit.number)  # noqa: E731
    return [(label, sorted((c for c in cards if c.appointment_half == half), key=key)) for half, label in HALVES.items()]
