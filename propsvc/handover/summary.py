"""The end of a handover day and of the batch (现场交付流程 六、八): units handed over, refused,
still in progress, defects by category and by riser stack (立管/同位户: the same entrance and the
same last two digits of the number, e.g. 5栋1单元 x01), and the open questions for the evening
meeting. Plain data (dicts, lists): the page and the PDF read the same thing."""
from collections import Counter
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..core.timefmt import SITE_TZ
from ..extensions import db
from ..registry.models import Unit
from .models import CardState, HandoverBatch, HandoverCard


def _local_day(dt) -> date | None:
    return dt.astimezone(SITE_TZ).date() if dt else None


def riser(unit: Unit) -> str:
    return f"{unit.building.number}栋{unit.entrance}单元 x{unit.number[-2:]}"


def summarize(batch: HandoverBatch, day: date | None = None) -> dict:
    """The day's figures (day given) or the whole batch's (day None)."""
    cards = list(db.session.scalars(select(HandoverCard).where(HandoverCard.batch_id == batch.id)
                                    .options(selectinload(HandoverCard.unit).selectinload(Unit.building),
                                             selectinload(HandoverCard.defects))
                                    .order_by(HandoverCard.id)))

    def on_day(d):
        return day is None or d == day

    handed = [c for c in cards if c.state == CardState.HANDED_OVER and on_day(c.handed_over_on)]
    refused = [c for c in cards if c.state == CardState.REFUSED and on_day(_local_day(c.refused_at))]
    arrived = [c for c in cards if c.arrived_at and on_day(_local_day(c.arrived_at))]
    in_progress = [c for c in cards if c.state == CardState.ARRIVED and on_day(_local_day(c.arrived_at))]
    defects = [(c, d) for c in cards for d in c.defects if on_day(_local_day(d.created_at))]
    by_category = Counter(d.category for _, d in defects)
    by_riser = Counter(riser(c.unit) for c, _ in defects)
    fees_owed = sum(max((c.fees or {}).get("due_fen", 0) - (c.fees or {}).get("paid_fen", 0), 0) for c in handed + in_progress)
    open_questions = [f"{c.unit.label} 拒收：{c.refused_reason}" for c in refused]
    open_questions += [f"{c.unit.label} 仍在办理：未办 {'、'.join(s['name'] for s in batch.stations if s['key'] not in (c.done or {}))}"
                       for c in in_progress]
    open_questions += [f"{c.unit.label} 欠交房费用 {(c.fees['due_fen'] - c.fees['paid_fen']) / 100:.2f} 元"
                       for c in handed + in_progress if c.fees and c.fees.get("due_fen", 0) > c.fees.get("paid_fen", 0)]
    return {
        "batch": batch.name, "day": day.isoformat() if day else "", "scope": f"{day:%Y-%m-%d} 交房日" if day else "全批次",
        "total": len(cards), "arrived": len(arrived), "handed_over": len(handed), "refused": len(refused),
        "in_progress": len(in_progress), "expected": sum(1 for c in cards if c.state == CardState.EXPECTED),
        "defects": len(defects),
        "by_category": sorted(by_category.items(), key=lambda kv: (-kv[1], kv[0])),
        "by_riser": sorted(by_riser.items(), key=lambda kv: (-kv[1], kv[0])),
        "fees_owed": f"{fees_owed / 100:.2f}",
        "handed_units": [f"{c.unit.label}（{c.buyer_names}）" for c in handed],
        "refused_units": [f"{c.unit.label}：{c.refused_reason}" for c in refused],
        "open_questions": open_questions,
    }
