"""[A2] Daily evaluation (idempotent; a late record re-evaluates the day) and [A3] the review:
confirm, waive (reason required), appeal by the steward. Every change is an Event; nothing is
deducted silently: only a confirmed miss costs its amount."""
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select

from ..core.services import record
from ..core.timefmt import site_today, utcnow
from ..extensions import db
from ..patrols.day import stewards_of
from ..tickets.services import calendar_for
from .models import AssessmentMonth, AssessmentResult, AssessmentStandard, Decision, Rule, Status
from .rules import RULES, DayContext
from .standards import standards_of


class AssessmentError(ValueError):
    """A refused request: its message is shown as is (Chinese)."""


def _need(cond, message: str) -> None:
    if not cond:
        raise AssessmentError(message)


def month_of(day: date) -> str:
    return f"{day:%Y-%m}"


def month_closed(community_id: int, month: str) -> bool:
    return db.session.scalar(select(AssessmentMonth.id).where(
        AssessmentMonth.community_id == community_id, AssessmentMonth.month == month)) is not None


@dataclass
class Evaluated:
    day: date
    stewards: int = 0
    met: int = 0
    missed: int = 0
    na: int = 0
    changed: int = 0
    lines: list = field(default_factory=list)


def evaluate_day(community_id: int, day: date, *, stewards=None, now: datetime | None = None) -> Evaluated:
    """Evaluate every steward's `day` against every measured standard. Idempotent: a result
    whose status and evidence are unchanged is left alone; a changed one (a late record) is
    updated, its pending review reset, and an Event says so. Never today or a future day."""
    _need(day < site_today(now), "只能评估已经结束的日期：今天和以后的日期不能评估。")
    _need(not month_closed(community_id, month_of(day)), f"{day:%Y年%m月}已结账，不能重新评估。")
    ctx = _context(community_id, day)
    out = Evaluated(day)
    stds = [s for s in standards_of(community_id) if s.rule in RULES]
    stewards = stewards_of(community_id) if stewards is None else stewards
    have = {(r.standard_id, r.steward_id): r for r in db.session.scalars(
        select(AssessmentResult).where(AssessmentResult.community_id == community_id, AssessmentResult.day == day))}
    for steward in stewards:
        out.stewards += 1
        for std in stds:
            if not std.non_working_days and not ctx.working:
                status, evidence = Status.NA, ["非工作日"]
            else:
                status, evidence = RULES[std.rule](ctx, std, steward)
            setattr(out, status, getattr(out, status) + 1)
            r = have.get((std.id, steward.id))
            if r is not None and r.status == status and r.evidence == evidence:
                continue
            decision = Decision.PENDING if status == Status.MISSED else None
            if r is None:
                r = AssessmentResult(community_id=community_id, standard_id=std.id, steward_id=steward.id, day=day)
                db.session.add(r)
                action = "assessment.evaluated"
            else:
                action = "assessment.reevaluated"
                if r.decision == Decision.CONFIRMED and status == Status.MISSED:
                    decision = r.decision  # still missed: the confirmation stands
            before = r.status
            r.status, r.evidence, r.evaluated_at = status, evidence, now or utcnow()
            r.decision = decision
            if decision != Decision.CONFIRMED:
                r.amount_fen = 0
            db.session.flush()
            out.changed += 1
            if action == "assessment.reevaluated" or status == Status.MISSED:
                record(action, r, community_id=community_id, actor=None, day=day.isoformat(), standard=std.code,
                       steward_id=steward.id, status=status, before=before)
    return out


def _context(community_id: int, day: date) -> DayContext:
    return DayContext(community_id, day, calendar_for(community_id))


def _result(result_id: int, community_id: int) -> AssessmentResult:
    r = db.session.get(AssessmentResult, result_id)
    _need(r is not None and r.community_id == community_id, "找不到这条考核记录。")
    return r


def mark_manual(community_id: int, standard_id: int, steward_id: int, day: date, actor, note: str,
                now: datetime | None = None) -> AssessmentResult:
    """A standard the app cannot measure (仪容仪表, 晨会): the supervisor records a miss by hand."""
    std = db.session.get(AssessmentStandard, standard_id) if standard_id else None
    _need(std is not None and std.community_id == community_id, "请选择考核标准。")
    _need(steward_id and any(u.id == steward_id for u in stewards_of(community_id)), "请选择本小区的管家。")
    _need(std.rule == Rule.MANUAL, "这项标准由系统根据记录评定，不能手工标记。")
    _need(day <= site_today(now), "不能标记未来的日期。")
    note = (note or "").strip()
    _need(note, "请说明未达标的情况。")
    _need(not month_closed(community_id, month_of(day)), f"{day:%Y年%m月}已结账，不能再修改。")
    r = db.session.scalar(select(AssessmentResult).where(
        AssessmentResult.standard_id == std.id, AssessmentResult.steward_id == steward_id, AssessmentResult.day == day))
    if r is None:
        r = AssessmentResult(community_id=community_id, standard_id=std.id, steward_id=steward_id, day=day)
        db.session.add(r)
    r.status, r.evidence, r.decision, r.amount_fen = Status.MISSED, [note], Decision.PENDING, 0
    r.evaluated_at = now or utcnow()
    db.session.flush()
    record("assessment.marked", r, community_id=community_id, actor=actor, day=day.isoformat(),
           standard=std.code, steward_id=steward_id, note=note)
    return r


def confirm(result_id: int, community_id: int, actor, reason: str | None = None,
            now: datetime | None = None) -> AssessmentResult:
    r = _result(result_id, community_id)
    _need(r.status == Status.MISSED, "只有未达标的项目需要审核。")
    _need(not month_closed(community_id, month_of(r.day)), f"{r.day:%Y年%m月}已结账，不能再修改。")
    r.decision, r.amount_fen = Decision.CONFIRMED, r.standard.amount_fen
    r.reason = (reason or "").strip() or None
    r.decided_by_id, r.decided_at = actor.id, now or utcnow()
    db.session.flush()
    record("assessment.confirmed", r, community_id=community_id, actor=actor, amount_fen=r.amount_fen,
           text=r.reason)
    return r


def waive(result_id: int, community_id: int, actor, reason: str, now: datetime | None = None) -> AssessmentResult:
    r = _result(result_id, community_id)
    _need(r.status == Status.MISSED, "只有未达标的项目需要审核。")
    reason = (reason or "").strip()
    _need(reason, "免除考核须填写原因（如病假、系统故障、临时调岗）。")
    _need(not month_closed(community_id, month_of(r.day)), f"{r.day:%Y年%m月}已结账，不能再修改。")
    r.decision, r.amount_fen, r.reason = Decision.WAIVED, 0, reason
    r.decided_by_id, r.decided_at = actor.id, now or utcnow()
    db.session.flush()
    record("assessment.waived", r, community_id=community_id, actor=actor, text=reason)
    return r


def appeal(result_id: int, community_id: int, actor, note: str, now: datetime | None = None) -> AssessmentResult:
    r = _result(result_id, community_id)
    _need(r.steward_id == actor.id, "只能对自己的考核记录申诉。")
    _need(r.status == Status.MISSED, "只有未达标的项目可以申诉。")
    note = (note or "").strip()
    _need(note, "请填写申诉说明。")
    _need(not month_closed(community_id, month_of(r.day)), f"{r.day:%Y年%m月}已结账，不能再申诉。")
    r.appeal_note, r.appealed_at = note, now or utcnow()
    if r.decision == Decision.CONFIRMED:
        r.decision, r.amount_fen = Decision.PENDING, 0  # back to the supervisor
    db.session.flush()
    record("assessment.appealed", r, community_id=community_id, actor=actor, text=note)
    return r


def close_month(community_id: int, month: str, actor, now: datetime | None = None) -> AssessmentMonth:
    _need(not month_closed(community_id, month), "该月已结账。")
    pending = db.session.scalar(select(AssessmentResult.id).where(
        AssessmentResult.community_id == community_id, AssessmentResult.decision == Decision.PENDING,
        AssessmentResult.day >= date.fromisoformat(month + "-01"),
        AssessmentResult.day < next_month_start(month)).limit(1))
    _need(pending is None, "还有未审核的未达标项目，不能结账。")
    m = AssessmentMonth(community_id=community_id, month=month, closed_by_id=actor.id, closed_at=now or utcnow())
    db.session.add(m)
    db.session.flush()
    record("assessment.month_closed", m, community_id=community_id, actor=actor, month=month)
    return m


def next_month_start(month: str) -> date:
    """The first day after `month` ("2026-12" → 2027-01-01): a month's days are >= its 1st and < this."""
    y, m = map(int, month.split("-"))
    return date(y + (m == 12), m % 12 + 1, 1)


def month_results(community_id: int, month: str, steward_id: int | None = None) -> list[AssessmentResult]:
    stmt = select(AssessmentResult).where(
        AssessmentResult.community_id == community_id, AssessmentResult.day >= date.fromisoformat(month + "-01"),
        AssessmentResult.day < next_month_start(month))
    if steward_id is not None:
        stmt = stmt.where(AssessmentResult.steward_id == steward_id)
    return list(db.session.scalars(stmt.order_by(AssessmentResult.day, AssessmentResult.id)))


def counts_as_miss(r) -> bool:
    """[A3] A miss that counts against the steward: missed and not waived (pending counts). `r`:
    a result or a row with its status and decision."""
    return r.status == Status.MISSED and r.decision != Decision.WAIVED


def deducted_fen(r) -> int:
    """[A3] What a result costs: its amount once confirmed; waived and pending cost nothing."""
    return r.amount_fen if r.decision == Decision.CONFIRMED else 0


def month_total_fen(community_id: int, month: str, steward_id: int | None = None) -> int:
    """The month's deduction: the sum of confirmed misses (waived and pending cost nothing)."""
    return sum(deducted_fen(r) for r in month_results(community_id, month, steward_id))


def steward_today_lines(user, community_id: int, day: date) -> list:
    """core.hooks.STEWARD_ASSESSMENT: 本月 n 项未达标 on the steward's 今日 [A3]."""
    n = sum(1 for r in month_results(community_id, month_of(day), user.id) if counts_as_miss(r))
    if not n:
        return []
    from flask import has_request_context, url_for

    return [(f"本月 {n} 项未达标", url_for("assessment.index", month=month_of(day)) if has_request_context() else None)]


def update_standard(std: AssessmentStandard, actor, *, amount_fen: int, quota: int | None,
                    non_working_days: bool, active: bool) -> AssessmentStandard:
    _need(amount_fen is not None and amount_fen >= 0, "考核金额不能小于0。")
    _need(quota is None or quota > 0, "巡查楼栋定额至少为1栋。")
    std.amount_fen, std.quota, std.non_working_days, std.active = amount_fen, quota, non_working_days, active
    db.session.flush()
    record("assessment.standard_updated", std, community_id=std.community_id, actor=actor, amount_fen=amount_fen,
           quota=quota, non_working_days=non_working_days, active=active)
    return std
