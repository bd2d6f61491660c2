"""Fees [D4]: charge items per community, bills per unit/item/period, payments with their
allocations (never deleted: a correction is a reversal with a reason), and the steward's
collection contacts. Money is integer fen (分) in every column."""
from datetime import date, datetime

from sqlalchemy import BigInteger, Date, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.models import UTCDateTime, utcnow
from ..extensions import db

# How an item is charged each month.
BY_AREA = "area"      # floor area × rate (fen per m² per month): 物业费
FIXED = "fixed"       # the same amount per unit per month: 垃圾费, 停车费 (where charged to all)
MANUAL = "manual"     # no monthly bill: metered or occasional (水费, 电费), imported or entered
CHARGE_KINDS = {BY_AREA: "按面积（元/㎡/月）", FIXED: "每户每月固定", MANUAL: "按抄表/导入"}

METHODS = {"cash": "现金", "wechat": "微信", "alipay": "支付宝", "card": "银行卡", "transfer": "转账"}
CONTACT_METHODS = {"phone": "电话", "visit": "上门", "notice": "通知单", "wechat": "微信"}
RESULTS = {"promise": "承诺缴费", "dispute": "有异议", "refuse": "拒缴", "unreachable": "未联系上",
           "delivered": "通知单已送达"}


class ChargeItem(db.Model):
    __tablename__ = "fee_item"
    __table_args__ = (UniqueConstraint("community_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"), index=True)
    name: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(16), default=MANUAL)
    rate_fen: Mapped[int] = mapped_column(BigInteger, default=0)  # per m² (BY_AREA) or per unit (FIXED)
    active: Mapped[bool] = mapped_column(default=True)
    sort: Mapped[int] = mapped_column(default=0)

    @property
    def kind_label(self) -> str:
        return CHARGE_KINDS.get(self.kind, self.kind)


class FeeSettings(db.Model):
    __tablename__ = "fee_settings"

    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"), primary_key=True)
    daily_round: Mapped[int] = mapped_column(default=10)  # units on a steward's 今日催费
    target_pct: Mapped[int] = mapped_column(default=90)   # the month's collection-rate target


class Bill(db.Model):
    """What one unit owes for one item and period (YYYY-MM). One row per (unit, item, period):
    generating a month twice creates nothing twice."""
    __tablename__ = "fee_bill"
    __table_args__ = (UniqueConstraint("unit_id", "item_id", "period", "ref"),
                      Index("ix_fee_bill_community_period", "community_id", "period"))

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("fee_item.id"))
    period: Mapped[str] = mapped_column(String(7))
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    paid_outside_fen: Mapped[int] = mapped_column(BigInteger, default=0)  # paid per the finance system's import
    paid_fen: Mapped[int] = mapped_column(BigInteger, default=0)  # allocations of payments here (not reversed)
    source: Mapped[str] = mapped_column(String(16), default="generated")  # generated / imported / repair
    # "" for a month's regular bill; "R<quote id>" for a paid repair's charge (several a month)
    ref: Mapped[str] = mapped_column(String(16), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    item: Mapped[ChargeItem] = relationship()

    @property
    def due_fen(self) -> int:
        return self.amount_fen - self.paid_outside_fen - self.paid_fen


class Payment(db.Model):
    __tablename__ = "fee_payment"
    __table_args__ = (UniqueConstraint("community_id", "receipt_no"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    receipt_no: Mapped[str] = mapped_column(String(32))
    method: Mapped[str] = mapped_column(String(16))
    paid_on: Mapped[date] = mapped_column(Date, index=True)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    credit_fen: Mapped[int] = mapped_column(BigInteger, default=0)  # what no bill took: kept as credit
    client_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    reversed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reversed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    reverse_reason: Mapped[str | None] = mapped_column(String(200))

    allocations: Mapped[list["Allocation"]] = relationship(back_populates="payment", order_by="Allocation.id")

    @property
    def method_label(self) -> str:
        return METHODS.get(self.method, self.method)


class Allocation(db.Model):
    __tablename__ = "fee_allocation"

    id: Mapped[int] = mapped_column(primary_key=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("fee_payment.id"), index=True)
    bill_id: Mapped[int] = mapped_column(ForeignKey("fee_bill.id"), index=True)
    amount_fen: Mapped[int] = mapped_column(BigInteger)

    payment: Mapped[Payment] = relationship(back_populates="allocations")
    bill: Mapped[Bill] = relationship()


class Contact(db.Model):
    """One collection contact with a unit: how, and what came of it [D4]."""
    __tablename__ = "fee_contact"
    __table_args__ = (Index("ix_fee_contact_unit_at", "unit_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    day: Mapped[date] = mapped_column(Date, index=True)  # site day of the contact
    method: Mapped[str] = mapped_column(String(16))
    result: Mapped[str] = mapped_column(String(16))
    promised_on: Mapped[date | None] = mapped_column(Date, index=True)
    note: Mapped[str | None] = mapped_column(String(200))
    ticket_id: Mapped[int | None] = mapped_column()  # the dispute's ticket (tickets area, by id)
    client_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def method_label(self) -> str:
        return CONTACT_METHODS.get(self.method, self.method)

    @property
    def result_label(self) -> str:
        return RESULTS.get(self.result, self.result)


class RoundItem(db.Model):
    """A unit on a steward's collection round of a day, fixed when the round is first drawn."""
    __tablename__ = "fee_round_item"
    __table_args__ = (UniqueConstraint("user_id", "day", "unit_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    day: Mapped[date] = mapped_column(Date)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    position: Mapped[int] = mapped_column(default=0)
    reason: Mapped[str] = mapped_column(String(16), default="arrears")  # promised / arrears


class RepairPrice(db.Model):
    """The paid-repair price list: materials and labour [D4 / issue 19 item 7]."""
    __tablename__ = "fee_repair_price"
    __table_args__ = (UniqueConstraint("community_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"), index=True)
    name: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(16))  # material / labour
    unit_name: Mapped[str] = mapped_column(String(8), default="次")
    price_fen: Mapped[int] = mapped_column(BigInteger)
    active: Mapped[bool] = mapped_column(default=True)


REPAIR_KINDS = {"material": "材料", "labour": "人工"}
CONSENT_METHODS = {"pad": "签字板", "paper": "纸质签字"}


class RepairQuote(db.Model):
    """The quoted charges of a repair inside a home (one per ticket): the owner consents before
    the work; confirming the work adds the total to the unit's bills."""
    __tablename__ = "fee_repair_quote"

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"), index=True)
    ticket_id: Mapped[int] = mapped_column(unique=True)  # tickets area, by id
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    consent_method: Mapped[str | None] = mapped_column(String(8))
    consent_name: Mapped[str | None] = mapped_column(String(64))
    consent_signature: Mapped[str | None] = mapped_column(String(255))  # stored PNG's path (pad)
    consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    charged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    bill_id: Mapped[int | None] = mapped_column(ForeignKey("fee_bill.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    lines: Mapped[list["RepairLine"]] = relationship(order_by="RepairLine.id", cascade="all, delete-orphan")
    credit_applied_fen = 0  # not stored: of the charge, what the unit's credit paid (charge_repair)

    @property
    def total_fen(self) -> int:
        return sum(ln.amount_fen for ln in self.lines)


class RepairLine(db.Model):
    __tablename__ = "fee_repair_line"

    id: Mapped[int] = mapped_column(primary_key=True)
    quote_id: Mapped[int] = mapped_column(ForeignKey("fee_repair_quote.id"), index=True)
    name: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(16))
    qty: Mapped[int] = mapped_column()
    price_fen: Mapped[int] = mapped_column(BigInteger)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
