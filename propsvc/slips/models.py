"""Release slips (物品放行条) [S1]-[S3]: models.

A slip is registered at the front desk for large or valuable items leaving the site [S1]: the
unit, who applies (the owner, the lead of an active renovation the owner authorised, or a
tenant with the owner's consent [S2]), the carrier (name, ID number, phone), the items, the
moving date and an optional vehicle plate. The applicant signs on the kiosk (a PNG kept under
the upload folder) or on paper; the duty supervisor signs, the site manager's approval stamps
the document (a DocKind.SLIP Document: serial FX<year>-NNNN, seal, QR) [S3]. The guard
releases it once at the gate (released_at set by a conditional UPDATE).
"""
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.models import UTCDateTime, utcnow
from ..extensions import db


class SlipState(StrEnum):
    PENDING = "pending"      # 待主管签字
    SIGNED = "signed"        # 待经理盖章
    APPROVED = "approved"    # 已批准 (sealed; released when released_at is set)
    REFUSED = "refused"      # 已驳回
    CANCELLED = "cancelled"  # 已取消


SLIP_STATE_LABELS = {SlipState.PENDING: "待主管签字", SlipState.SIGNED: "待经理盖章",
                     SlipState.APPROVED: "已批准", SlipState.REFUSED: "已驳回", SlipState.CANCELLED: "已取消"}

APPLICANT_ROLES = {"owner": "业主", "lead": "装修负责人", "tenant": "租户"}
CONSENT_METHODS = {"kiosk": "业主在前台屏幕签字同意", "phone": "业主电话确认", "written": "业主书面同意（拍照附件）"}


class ReleaseSlip(db.Model):
    __tablename__ = "release_slip"
    __table_args__ = (Index("ix_release_slip_community_created", "community_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    # The applicant [S2]: owner | lead | tenant, and who by name.
    applicant_role: Mapped[str] = mapped_column(String(16))
    applicant_name: Mapped[str] = mapped_column(String(64))
    applicant_person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    renovation_id: Mapped[int | None] = mapped_column(ForeignKey("renovation.id"))
    # A tenant's owner consent: how it was given (kiosk | phone | written), by which owner,
    # to which staff member (phone), and its picture (owner's kiosk signature or the letter).
    consent_method: Mapped[str | None] = mapped_column(String(16))
    consent_owner: Mapped[str | None] = mapped_column(String(64))
    consent_staff: Mapped[str | None] = mapped_column(String(64))
    consent_path: Mapped[str | None] = mapped_column(String(255))
    # The carrier and the goods [S3].
    carrier_name: Mapped[str] = mapped_column(String(64))
    carrier_id_number: Mapped[str] = mapped_column(String(18))
    carrier_phone: Mapped[str] = mapped_column(String(20))
    items: Mapped[list] = mapped_column(JSON, default=list)  # [{"name": "冰箱", "qty": 1}, …]
    moving_on: Mapped[date] = mapped_column(Date)  # the slip is valid on this day only
    vehicle_plate: Mapped[str | None] = mapped_column(String(16))
    # The applicant's signature: a PNG under the upload folder, or on paper.
    signature_path: Mapped[str | None] = mapped_column(String(255))
    sign_on_paper: Mapped[bool] = mapped_column(Boolean, default=False)
    state: Mapped[str] = mapped_column(String(16), default=SlipState.PENDING)
    supervisor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    supervisor_name: Mapped[str | None] = mapped_column(String(64))
    supervisor_signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    manager_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    manager_name: Mapped[str | None] = mapped_column(String(64))
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_reason: Mapped[str | None] = mapped_column(String(200))
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    released_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    released_by_name: Mapped[str | None] = mapped_column(String(64))
    document_id: Mapped[int | None] = mapped_column(ForeignKey("document.id"))
    client_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    unit: Mapped["Unit"] = relationship()  # noqa: F821
    document: Mapped["Document | None"] = relationship()  # noqa: F821

    @property
    def display_state(self) -> str:
        """The state as shown: approved and released is 已放行."""
        if self.state == SlipState.APPROVED and self.released_at is not None:
            return "released"
        return self.state

    @property
    def state_label(self) -> str:
        if self.display_state == "released":
            return "已放行"
        return SLIP_STATE_LABELS.get(self.state, self.state)

    @property
    def applicant_role_label(self) -> str:
        return APPLICANT_ROLES.get(self.applicant_role, self.applicant_role)

    @property
    def consent_label(self) -> str:
        return CONSENT_METHODS.get(self.consent_method or "", "")

    @property
    def serial(self) -> str:
        return self.document.serial if self.document is not None else ""
