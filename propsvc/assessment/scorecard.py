"""[A4] The monthly scorecard: per steward, each standard's met/total, the misses with their
evidence, the confirmed amount and the trend over the last months; per team, stewards side by
side. Plain data for the page, the PDF and the XLSX (one source)."""
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import lazyload

from ..auth.models import User
from ..extensions import db
from .models import AssessmentResult, AssessmentStandard, Decision, Status
from .services import next_month_start, counts_as_miss, deducted_fen, month_closed, month_results
from .standards import standards_of

TREND_MONTHS = 6


def months_back(month: str, n: int) -> list[str]:
    y, m = map(int, month.split("-"))
    out = []
    for _ in range(n):
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y - 1, 12) if m == 1 else (y, m - 1)
    return out[::-1]


def valid_month(value: str | None, default: date) -> str:
    try:
        y, m = map(int, (value or "").split("-"))
        if 2000 <= y <= 2100 and 1 <= m <= 12:
            return f"{y:04d}-{m:02d}"
    except ValueError:
        pass
    return f"{default:%Y-%m}"


@dataclass
class Cell:
    met: int = 0
    total: int = 0

    @property
    def label(self) -> str:
        return f"{self.met}/{self.total}" if self.total else "—"


@dataclass
class StewardCard:
    steward: User
    cells: dict = field(default_factory=dict)  # standard id -> Cell
    misses: list = field(default_factory=list)  # AssessmentResult
    confirmed_fen: int = 0
    pending: int = 0
    trend: list = field(default_factory=list)  # (month, misses counted, confirmed fen)

    @property
    def met(self) -> int:
        return sum(c.met for c in self.cells.values())

    @property
    def total(self) -> int:
        return sum(c.total for c in self.cells.values())

    @property
    def rate(self) -> float:
        return self.met / self.total if self.total else 1.0


@dataclass
class Scorecard:
    month: str
    closed: bool
    standards: list[AssessmentStandard]
    cards: list[StewardCard]

    @property
    def confirmed_fen(self) -> int:
        return sum(c.confirmed_fen for c in self.cards)

    @property
    def pending(self) -> int:
        return sum(c.pending for c in self.cards)


def yuan(fen: int) -> str:
    return f"{fen / 100:.2f}".rstrip("0").rstrip(".") + "元"


def scorecard(community_id: int, month: str, steward_id: int | None = None, trend: bool = True) -> Scorecard:
    """The month's cards, a steward each (only `steward_id`'s when given). trend=False leaves
    each card's trend empty (the printed table and the workbook have none: one query less)."""
    stds = standards_of(community_id, active=False)
    cards: dict[int, StewardCard] = {}
    results = month_results(community_id, month, steward_id)
    # The stewards in one query (r.steward was three a steward: the user, its roles, its communities).
    stewards = {u.id: u for u in db.session.scalars(
        select(User).where(User.id.in_({r.steward_id for r in results})).options(lazyload("*")))}
    for r in results:
        card = cards.get(r.steward_id)
        if card is None:
            card = cards[r.steward_id] = StewardCard(steward=stewards[r.steward_id])
        if r.status == Status.NA:
            continue
        cell = card.cells.setdefault(r.standard_id, Cell())
        cell.total += 1
        if r.status == Status.MET:
            cell.met += 1
        else:
            card.misses.append(r)
            card.pending += r.decision == Decision.PENDING
            card.confirmed_fen += deducted_fen(r)
    trend_months = months_back(month, TREND_MONTHS) if trend else []
    earlier = _earlier_months(community_id, trend_months[:-1], list(cards))
    for card in cards.values():
        for m in trend_months:
            if m == month:
                misses = sum(1 for r in card.misses if counts_as_miss(r))
                card.trend.append((m, misses, card.confirmed_fen))
            else:
                card.trend.append((m, *earlier.get((card.steward.id, m), (0, 0))))
    ordered = sorted(cards.values(), key=lambda c: (c.steward.name, c.steward.id))
    return Scorecard(month=month, closed=month_closed(community_id, month), standards=stds, cards=ordered)


def _earlier_months(community_id: int, months: list[str], steward_ids: list[int]) -> dict[tuple[int, str], tuple[int, int]]:
    """(steward, month) -> (misses not waived, confirmed fen) over the trend's earlier months, in
    one query of four columns (it was a query of whole results per steward and month)."""
    if not months or not steward_ids:
        return {}
    rows = db.session.execute(
        select(AssessmentResult.steward_id, AssessmentResult.day, AssessmentResult.status, AssessmentResult.decision,
               AssessmentResult.amount_fen)
        .where(AssessmentResult.community_id == community_id, AssessmentResult.steward_id.in_(steward_ids),
               AssessmentResult.day >= date.fromisoformat(months[0] + "-01"),
               AssessmentResult.day < next_month_start(months[-1])))
    out: dict[tuple[int, str], tuple[int, int]] = {}
    for r in rows:
        key = (r.steward_id, f"{r.day:%Y-%m}")
        misses, fen = out.get(key, (0, 0))
        out[key] = (misses + counts_as_miss(r), fen + deducted_fen(r))
    return out


def scorecard_xlsx(sc: Scorecard, community_name: str) -> bytes:
    import io

    from openpyxl import Workbook

    from ..core.spreadsheet import cell as safe

    wb = Workbook()
    ws = wb.active
    ws.title = "考核汇总"
    ws.append([safe(f"{community_name} 物业管家考核 {sc.month}")])
    ws.append(["管家", *[safe(s.text) for s in sc.standards], "达标/应考", "未达标", "待审核", "确认考核金额(元)"])
    for c in sc.cards:
        ws.append([safe(c.steward.name), *[c.cells.get(s.id, Cell()).label for s in sc.standards],
                   f"{c.met}/{c.total}", len(c.misses), c.pending, c.confirmed_fen / 100])
    ws.append(["合计", *["" for _ in sc.standards], "", sum(len(c.misses) for c in sc.cards), sc.pending,
               sc.confirmed_fen / 100])
    detail = wb.create_sheet("未达标明细")
    detail.append(["日期", "管家", "考核标准", "依据", "审核", "原因", "申诉", "金额(元)"])
    for c in sc.cards:
        for r in c.misses:
            detail.append([r.day.isoformat(), safe(c.steward.name), safe(r.standard.text),
                           safe("；".join(r.evidence or [])), r.decision_label, safe(r.reason or ""),
                           safe(r.appeal_note or ""), r.amount_fen / 100])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
