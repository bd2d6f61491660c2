"""Assessment routes [A2]-[A4]: the month's scorecard (a steward sees their own, the supervisor
and the manager the team's, with the misses to review), evaluating an ended day again, confirm /
waive, the steward's appeal, the scorecard as a signed PDF and as XLSX. Each POST: validate →
one service call → one commit, or rollback and the page again with the message (422)."""
from flask import flash, g, make_response, redirect, request, url_for
from flask_login import current_user

from ..core.access import allow
from ..core.roles import Role
from ..core.timefmt import site_today
from ..core.web import render_page
from ..extensions import db
from . import services
from .blueprint import bp
from .forms import AppealForm, EvaluateForm, MarkForm, ReviewForm, StandardForm
from .scorecard import Cell, months_back, scorecard, scorecard_xlsx, valid_month, yuan

LEADS = (Role.SUPERVISOR, Role.MANAGER)
VIEWERS = (Role.STEWARD, Role.SUPERVISOR, Role.MANAGER)


def _is_lead() -> bool:
    return any(current_user.has_role(r) for r in LEADS)


def _month() -> str:
    return valid_month(request.args.get("month") or request.form.get("month"), site_today())


def _mark_form(formdata=None) -> MarkForm:
    from ..patrols.day import stewards_of
    from .models import Rule
    from .standards import standards_of

    kw = {} if formdata is not None else {"formdata": None}
    return MarkForm(stewards=stewards_of(g.community.id),
                    standards=[s for s in standards_of(g.community.id) if s.rule == Rule.MANUAL], **kw)


def _page(month: str, status: int = 200, *, review=None, appeal=None, evaluate=None, mark=None,
          error: str | None = None):
    lead = _is_lead()
    sc = scorecard(g.community.id, month, None if lead else current_user.id)
    return render_page("assessment/index.html", block="content", status=status, sc=sc, lead=lead,
                       months=months_back(valid_month(None, site_today()), 6), Cell=Cell, yuan=yuan,
                       review=review or ReviewForm(formdata=None), appeal=appeal or AppealForm(formdata=None),
                       evaluate=evaluate or EvaluateForm(formdata=None),
                       mark=mark or (_mark_form() if lead else None), error=error)


def _back(month: str):
    return redirect(url_for("assessment.index", month=month), 303)


@bp.get("")
@allow(*VIEWERS)
def index():
    return _page(_month())


def _step(form, field: str, slot: str, act):
    """The shape of every POST here: validate the form → one service call `act(form)` →
    (message, day) → commit and back to that day's month; or rollback and the month's page
    again with the refusal under `field` of the form (shown in the page's `slot`), 422."""
    if form.validate():
        try:
            message, day = act(form)
        except services.AssessmentError as e:
            db.session.rollback()
            getattr(form, field).errors = [*getattr(form, field).errors, str(e)]
        else:
            db.session.commit()
            flash(message, "ok")
            return _back(services.month_of(day))
    return _page(_month(), 422, **{slot: form})


def _me():
    return current_user._get_current_object()


@bp.post("/evaluate")
@allow(*LEADS)
def evaluate():
    def act(f):
        out = services.evaluate_day(g.community.id, f.day.data)
        return (f"{f.day.data:%m月%d日}已评估：管家 {out.stewards} 人，未达标 {out.missed} 项，"
                f"变更 {out.changed} 项。", f.day.data)
    return _step(EvaluateForm(), "day", "evaluate", act)


@bp.post("/mark")
@allow(*LEADS)
def mark():
    def act(f):
        r = services.mark_manual(g.community.id, f.standard_id.data, f.steward_id.data, f.day.data, _me(), f.note.data)
        return f"已记录：{r.steward.name} {r.day:%m-%d} {r.standard.text} 未达标（待审核）。", r.day
    return _step(_mark_form(request.form), "note", "mark", act)


@bp.post("/review")
@allow(*LEADS)
def review():
    def act(f):
        decide = services.waive if f.decision.data == "waive" else services.confirm
        r = decide(f.result_id.data, g.community.id, _me(), f.reason.data)
        return f"{r.decision_label}：{r.steward.name} {r.day:%m-%d} {r.standard.text}。", r.day
    return _step(ReviewForm(), "reason", "review", act)


@bp.post("/appeal")
@allow(Role.STEWARD)
def appeal():
    def act(f):
        r = services.appeal(f.result_id.data, g.community.id, _me(), f.note.data)
        return "申诉已提交，等待主管审核。", r.day
    return _step(AppealForm(), "note", "appeal", act)


@bp.get("/scorecard.pdf")
@allow(*LEADS)
def scorecard_pdf():
    from ..documents.pdf import render_pdf

    month = _month()
    sc = scorecard(g.community.id, month, trend=False)
    resp = make_response(render_pdf("assessment/scorecard_pdf.html", page_size="A4", sc=sc, Cell=Cell, yuan=yuan,
                                    community=g.community.name))
    resp.mimetype = "application/pdf"
    resp.headers["Content-Disposition"] = f'inline; filename="assessment-{month}.pdf"'
    resp.headers["Cache-Control"] = "no-store"
    return resp


@bp.get("/scorecard.xlsx")
@allow(*LEADS)
def scorecard_excel():
    month = _month()
    resp = make_response(scorecard_xlsx(scorecard(g.community.id, month, trend=False), g.community.name))
    resp.mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    resp.headers["Content-Disposition"] = f'attachment; filename="assessment-{month}.xlsx"'
    resp.headers["Cache-Control"] = "no-store"
    return resp


# --- standards [A1] -------------------------------------------------------------------------------

def _standards_page(status: int = 200, form=None, failed_id: int | None = None):
    from .standards import standards_of

    return render_page("assessment/standards.html", block="content", status=status,
                       standards=standards_of(g.community.id, active=False), form=form or StandardForm(formdata=None),
                       failed_id=failed_id, yuan=yuan)


@bp.get("/standards")
@allow(*LEADS)
def standards():
    return _standards_page()


@bp.post("/standards")
@allow(*LEADS)
def standard_save():
    from decimal import Decimal

    from .models import AssessmentStandard, Rule

    form = StandardForm()
    if form.validate():
        std = db.session.get(AssessmentStandard, form.standard_id.data)
        if std is None or std.community_id != g.community.id:
            form.standard_id.errors = ["找不到这项考核标准。"]
        else:
            try:
                fen = int((form.amount.data * 100).to_integral_value()) if form.amount.data is not None else None
                if fen is not None and form.amount.data < Decimal(0):
                    fen = -1
                services.update_standard(std, current_user._get_current_object(), amount_fen=fen,
                                         quota=form.quota.data if std.rule == Rule.PATROL_BUILDINGS else None,
                                         non_working_days=bool(form.non_working_days.data),
                                         active=bool(form.active.data))
            except services.AssessmentError as e:
                db.session.rollback()
                form.amount.errors = [*form.amount.errors, str(e)]
            else:
                db.session.commit()
                flash(f"已保存：{std.text}。", "ok")
                return redirect(url_for("assessment.standards"), 303)
    return _standards_page(422, form, form.standard_id.data)


# --- the monthly management report [A5] ---------------------------------------------------------

@bp.get("/report")
@allow(*LEADS)
def report():
    from .report import month_report

    month = _month()
    before, figures = month_report(g.community.id, month)
    return render_page("assessment/report.html", block="content", month=month, before=before, figures=figures,
                       months=months_back(valid_month(None, site_today()), 6))


@bp.get("/report.pdf")
@allow(*LEADS)
def report_pdf():
    from ..documents.pdf import render_pdf
    from .report import month_report

    month = _month()
    before, figures = month_report(g.community.id, month)
    resp = make_response(render_pdf("assessment/report_pdf.html", page_size="A4", month=month, before=before,
                                    figures=figures, community=g.community.name))
    resp.mimetype = "application/pdf"
    resp.headers["Content-Disposition"] = f'inline; filename="report-{month}.pdf"'
    resp.headers["Cache-Control"] = "no-store"
    return resp


@bp.get("/report.xlsx")
@allow(*LEADS)
def report_excel():
    from .report import month_report, report_xlsx

    month = _month()
    before, figures = month_report(g.community.id, month)
    resp = make_response(report_xlsx(month, before, figures, g.community.name))
    resp.mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    resp.headers["Content-Disposition"] = f'attachment; filename="report-{month}.xlsx"'
    resp.headers["Cache-Control"] = "no-store"
    return resp
