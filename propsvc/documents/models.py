"""Issued documents (permits, worker passes, extensions, release slips): one row per document
with its serial number, its state and the data it printed, so a reprint is identical and the
public verification page can answer without touching personal data."""
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import JSON, Date, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..core.models import UTCDateTime, utcnow
from ..extensions import db


class DocKind(StrEnum):
    PERMIT = "permit"        # 装修许可证
    PASS = "pass"            # 装修人员出入证
    EXTENSION = "extension"  # 装修延期
    SLIP = "slip"            # 物品放行条
    # Handover (交房) [H3][H4]: printed and signed on the day, sealed at once.
    HO_AGREEMENT = "ho_agreement"    # 前期服务协议 (with 消防安全责任书, 养犬管理协议), two copies
    HO_COVENANT = "ho_covenant"      # 业主临时规约, two copies
    HO_PLEDGE = "ho_pledge"          # 承诺书
    HO_SIGNOFF = "ho_signoff"        # 物品及资料签领表
    HO_INSPECTION = "ho_inspection"  # 验房记录
    RECEIPT = "receipt"      # 收款收据 (fees [D4])
    FEE_NOTICE = "fee_notice"  # 催缴通知单 (fees [D4])


DOC_KIND_LABELS = {DocKind.PERMIT: "装修许可证", DocKind.PASS: "装修人员出入证", DocKind.EXTENSION: "装修延期",
                   DocKind.SLIP: "物品放行条", DocKind.HO_AGREEMENT: "前期服务协议", DocKind.HO_COVENANT: "业主临时规约",
                   DocKind.HO_PLEDGE: "承诺书", DocKind.HO_SIGNOFF: "物品及资料签领表", DocKind.HO_INSPECTION: "验房记录",
                   DocKind.RECEIPT: "收款收据", DocKind.FEE_NOTICE: "催缴通知单"}


class DocState(StrEnum):
    """The stored step of a document. What it is worth today (used, expired, replaced, ended…)
    is computed by documents.service.status_of from this and the lifecycle columns."""
    DRAFT = "draft"      # watermarked 草稿/未生效, no seal
    VALID = "valid"      # approved: sealed, verifiable
    REVOKED = "revoked"


class Document(db.Model):
    __tablename__ = "document"
    __table_args__ = (UniqueConstraint("community_id", "serial"), Index("ix_document_object", "object_type", "object_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    serial: Mapped[str] = mapped_column(String(32))
    # A random public code for the verification URL (serials are guessable, codes are not).
    code: Mapped[str] = mapped_column(String(32), unique=True)
    state: Mapped[str] = mapped_column(String(16), default=DocState.DRAFT)
    object_type: Mapped[str] = mapped_column(String(32))
    object_id: Mapped[int]
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date)
    data: Mapped[dict] = mapped_column(JSON, default=dict)  # what it prints, frozen at approval
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoke_reason: Mapped[str | None] = mapped_column(String(200))
    # Lifecycle (documents.service.status_of): a single-use document used (a slip released at
    # the gate: when and by whom); replaced by a reissued document (it names the new one); ended
    # with its renovation (finished or rejected).
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    used_by_name: Mapped[str | None] = mapped_column(String(64))
    replaced_by_id: Mapped[int | None] = mapped_column(ForeignKey("document.id"))
    replaced_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    end_reason: Mapped[str | None] = mapped_column(String(200))

    @property
    def kind_label(self) -> str:
        return DOC_KIND_LABELS.get(self.kind, self.kind)
