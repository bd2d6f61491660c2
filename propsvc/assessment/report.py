"""[A5] The monthly management report: one page per month for the manager. Tickets (by kind and
category, SLA rate, average time to accept and to complete, satisfaction, reopen rate), patrols
(coverage, steward-days short of the quota, rectifications open/closed), the assessment summary,
and every other area's figures through core.hooks.MONTH_FIGURES (renovation, slips; handover
and fees when they answer). Each figure beside last month's."""
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import groupby

from sqlalchemy import func, select

from ..core import hooks
from ..core.timefmt import day_bounds
from ..extensions import db
from ..patrols.models import Patrol
from ..tickets.models import Kind, Ticket
from ..tickets.stats import Filters, period_figures
from .models import AssessmentResult, AssessmentStandard, Decision, Rule, Status
from .scorecard import months_back, yuan
from .services import next_month_start, deducted_fen


KIND_SECTION, CATEGORY_SECTION = "工单·类型", "工单·类别"  # tickets counted by kind, by category


@dataclass
class Figure:
    section: str
    label: str
    value: object
    before: object = None
    fmt: str = ""  # "pct", "hours", "yuan", "score"
    span: int = 1  # rows its section's name covers (rowspan), 0 below the first row of a run
    run: list["Figure"] | None = None  # the first figure of a run of one section: the run

    @property
    def parts(self) -> list["Figure"] | None:
        """A breakdown's first figure: its run, printed as one row of parts."""
        return self.run if self.section in BREAKDOWNS else None

    @property
    def folded(self) -> bool:
        """A breakdown figure after its run's first: printed in that one's row (parts)."""
        return self.section in BREAKDOWNS and not self.run

    @property
    def shown(self) -> str:
        """This month's value as printed (page, PDF, workbook): 67%, 3.5小时, 1,200.00, —."""
        return self._show(self.value)

    @property
    def shown_before(self) -> str:
        """Last month's value, printed the same way."""
        return self._show(self.before)

    def _show(self, v) -> str:
        if v is None:
            return "—"
        if self.fmt == "pct":
            return f"{v * 100:.0f}%"
        if self.fmt == "hours":
            return f"{v:.1f}小时"
        if self.fmt == "yuan":
            return yuan(v)
        if self.fmt == "score":
            return f"{v:.1f}"
        return str(v)


def _bounds(month: str) -> tuple[date, date]:
    first = date.fromisoformat(month + "-01")
    return first, next_month_start(month) - timedelta(days=1)


def _figures(community_id: int, month: str) -> list[tuple[str, str, object, str]]:
    first, last = _bounds(month)
    lo, hi = day_bounds(first)[0], day_bounds(last)[1]
    t = period_figures(community_id, Filters(start=first, end=last), now=hi)
    out = [("工单", "工单总数", t.total, "")]
    out += [(KIND_SECTION, b.label, b.count, "") for b in t.by_kind]
    out += [(CATEGORY_SECTION, b.label, b.count, "") for b in t.by_category[:8]]
    out += [("工单", "按期完成率", t.on_time_share, "pct"),
            ("工单", "平均受理时长", t.avg_response_hours, "hours"),
            ("工单", "平均完成时长", t.avg_resolve_hours, "hours"),
            ("工单", "平均满意度", t.avg_satisfaction, "score"),
            ("工单", "返工率", t.reopen_share, "pct")]
    patrols = db.session.scalar(select(func.count()).select_from(Patrol).where(
        Patrol.community_id == community_id, Patrol.day >= first, Patrol.day <= last,
        Patrol.finished_at.is_not(None))) or 0
    res = db.session.execute(select(AssessmentResult.status, AssessmentResult.decision, AssessmentResult.amount_fen,
                                    AssessmentStandard.rule)
                             .join(AssessmentStandard, AssessmentStandard.id == AssessmentResult.standard_id)
                             .where(AssessmentResult.community_id == community_id, AssessmentResult.day >= first,
                                    AssessmentResult.day <= last)).all()
    pd = [r for r in res if r.rule == Rule.PATROL_BUILDINGS and r.status != Status.NA]
    out += [("巡查", "完成巡查次数", patrols, ""),
            ("巡查", "巡查达标率（管家·日）", (sum(1 for r in pd if r.status == Status.MET) / len(pd)) if pd else None, "pct"),
            ("巡查", "未达巡查定额（管家·日）", sum(1 for r in pd if r.status == Status.MISSED), "")]
    opened, closed, still_open = db.session.execute(select(  # rectifications: one statement, FILTER (WHERE …)
        func.count().filter(Ticket.created_at >= lo, Ticket.created_at < hi),
        func.count().filter(Ticket.closed_at >= lo, Ticket.closed_at < hi),
        func.count().filter(Ticket.created_at < hi, (Ticket.closed_at.is_(None)) | (Ticket.closed_at >= hi)))
        .where(Ticket.community_id == community_id, Ticket.kind == Kind.PATROL)).one()
    out += [("巡查", "新增整改", opened, ""), ("巡查", "整改关闭", closed, ""), ("巡查", "月末未关闭整改", still_open, "")]
    for section, label, value in hooks.joined(hooks.MONTH_FIGURES, community_id, first, last):
        out.append((section, label, value, ""))
    measured = [r for r in res if r.status != Status.NA]
    out += [("考核", "达标率", (sum(1 for r in measured if r.status == Status.MET) / len(measured)) if measured else None, "pct"),
            ("考核", "未达标项", sum(1 for r in measured if r.status == Status.MISSED), ""),
            ("考核", "免除项", sum(1 for r in res if r.decision == Decision.WAIVED), ""),
            ("考核", "确认考核金额", sum(deducted_fen(r) for r in res), "yuan")]
    return out


BREAKDOWNS = (KIND_SECTION, CATEGORY_SECTION)  # counts by kind and category: a label absent in a month counted 0 there


def _after_section(rows: list, section: str) -> int:
    """Where a breakdown row goes: after its section's rows, else after the breakdowns before it,
    else after 工单总数 (the first row)."""
    for s in reversed(BREAKDOWNS[:BREAKDOWNS.index(section) + 1]):
        at = max((i for i, r in enumerate(rows) if r[0] == s), default=None)
        if at is not None:
            return at + 1
    return 1


def month_report(community_id: int, month: str) -> tuple[str, list[Figure]]:
    before_month = months_back(month, 2)[0]
    rows = _figures(community_id, month)
    earlier = _figures(community_id, before_month)
    before = {(s, label): v for s, label, v, _f in earlier}
    # A breakdown lists the kinds and categories either month had, 0 where one had none (not
    # "—", which reads as "not known"): last month's 3 投诉 beside this month's none.
    shown = {(s, label) for s, label, _v, _f in rows}
    for s, label, _v, f in earlier:
        if s in BREAKDOWNS and (s, label) not in shown:
            rows.insert(_after_section(rows, s), (s, label, 0, f))
            shown.add((s, label))
    figures = [Figure(s, label, v, before.get((s, label), 0 if s in BREAKDOWNS else None), f) for s, label, v, f in rows]
    for _section, run in groupby(figures, key=lambda f: f.section):  # consecutive rows of one section
        run = list(run)
        run[0].span, run[0].run = len(run), run
        for f in run[1:]:
            f.span = 0
    return before_month, figures


def report_xlsx(month: str, before_month: str, figures: list[Figure], community_name: str) -> bytes:
    import io

    from openpyxl import Workbook

    from ..core.spreadsheet import cell as safe

    wb = Workbook()
    ws = wb.active
    ws.title = "月度管理报告"
    ws.append([safe(f"{community_name} 月度管理报告 {month}")])
    ws.append(["类别", "指标", month, before_month])
    for f in figures:
        ws.append([safe(f.section), safe(f.label), f.shown, f.shown_before])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


