"""Patrol routes: 今日 (the steward's first screen on the phone) and the daily summary [D4].

* GET /patrols/today — counts first, details below: patrols against the quota, today's planned
  patrols, overdue and assigned tickets, return visits and promised replies due, rectifications
  to recheck, vacant units due, and the link to today's summary.
* GET/POST /patrols/summary?day= — the steward's summary: a draft built from the day's
  events, edited, saved or submitted. Bad input: 422 with the message next to the field.
* GET /patrols/summaries?day= — the supervisor's view of who has and has not submitted;
  /patrols/summaries/<id> opens one read-only."""

from flask import abort, flash, g, redirect, request, url_for
from flask_login import current_user

from ..core import hooks
from ..core.access import allow, get_or_404
from ..core.roles import Role
from ..core.web import render_page
from ..extensions import db
from ..tickets import lists
from ..tickets.services import is_overdue
from . import day as days
from .blueprint import bp
from .models import DailySummary

SUMMARY_TEMPLATE = "patrols/summary.html"


@bp.get("/today")
@allow(Role.STEWARD, Role.SUPERVISOR)
def today():
    user = current_user._get_current_object()
    td = days.today_for(user, g.community.id)
    # [F2] notices shown today: the whole community's and those of the steward's own buildings.
    posted = hooks.joined(hooks.NOTICE_BOARD, g.community.id, user)
    return render_page("patrols/today.html", block="content", td=td, due_of=lists.due_of, is_overdue=is_overdue,
                       posted=posted)


# --- the daily summary ----------------------------------------------------------------------

def _summary_page(day, text, errors, status=200, day_value=None):
    s = days.get_summary(current_user.id, day) if day is not None else None
    return render_page(SUMMARY_TEMPLATE, block="content", status=status, day=day,
                       day_value=day_value or (day.isoformat() if day else ""),
                       day_label=days.day_label(day) if day else "", text=text, errors=errors, s=s)


@bp.route("/summary", methods=["GET", "POST"])
@allow(Role.STEWARD)
def summary():
    user = current_user._get_current_object()
    value = request.args.get("day")
    try:
        day = days.parse_day(value, days.today_local())
    except days.DayError as e:
        return _summary_page(None, "", {e.field: str(e)}, 422, day_value=value)
    if request.method == "GET":
        s = days.get_summary(user.id, day)
        fresh = request.args.get("draft") == "1" or s is None or not s.text
        text = days.summary_draft(user, g.community.id, day) if fresh else s.text
        return _summary_page(day, text, {})

    text = request.form.get("text", "")
    submit = request.form.get("action") == "submit"
    try:
        days.save_summary(user, g.community.id, day, text, submit)
    except days.DayError as e:
        db.session.rollback()
        return _summary_page(day, text, {e.field: str(e)}, 422)
    db.session.commit()
    flash("总结已提交，主管在“总结提交情况”中可以看到；之后的修改也会记录。" if submit
          else "草稿已保存，还没有提交：写好后请点“提交”。", "ok")
    return redirect(url_for("patrols.summary", day=day.isoformat()), 303)


@bp.get("/summaries")
@allow(Role.SUPERVISOR, Role.MANAGER)
def summaries():
    value = request.args.get("day")
    errors = {}
    try:
        day = days.parse_day(value, days.today_local())
    except days.DayError as e:
        day, errors = days.today_local(), {e.field: str(e)}
    rows = days.summaries_for(g.community.id, day)
    return render_page(SUMMARY_TEMPLATE, block="content", status=422 if errors else 200, listing=True,
                       day=day, day_value=value if errors else day.isoformat(), day_label=days.day_label(day),
                       rows=rows, errors=errors)


@bp.get("/summaries/<id:summary_id>")
@allow(Role.SUPERVISOR, Role.MANAGER)
def summary_show(summary_id: int):
    s = get_or_404(DailySummary, summary_id)
    if s.submitted_at is None:  # a draft is the steward's own until handed in
        abort(404)
    return render_page(SUMMARY_TEMPLATE, block="content", readonly=True, s=s, day=s.day,
                       day_label=days.day_label(s.day), errors={})
