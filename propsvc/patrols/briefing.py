"""Patrol routes: the morning briefing (早会) [D1], on screen and as a printable A4 PDF.

?day= is the day reported (default: yesterday, reported this morning); the priorities the
supervisor writes belong to the meeting day, the day after. The numbers come from
propsvc.patrols.day.briefing() as plain data, so the page and the PDF show the same."""
import time
from datetime import timedelta

from flask import current_app, flash, g, make_response, redirect, request, url_for
from flask_login import current_user

from ..core import hooks
from ..core.access import allow
from ..core.models import utcnow
from ..core.roles import Role
from ..core.timefmt import localtime
from ..core.views import calendar_warnings_for_me
from ..core.web import render_page
from ..documents import render_pdf
from ..extensions import db
from . import day as days
from .blueprint import bp

VIEWERS = (Role.SUPERVISOR, Role.MANAGER, Role.ADMIN)
WRITERS = (Role.SUPERVISOR, Role.MANAGER)
TEMPLATE = "patrols/briefing.html"


def _day() -> tuple:
    """The reported day from ?day= (default yesterday) and the message when it was bad."""
    default = days.today_local() - timedelta(days=1)
    try:
        return days.parse_day(request.args.get("day"), default), None
    except days.DayError as e:
        return default, str(e)


def _sections(b) -> list[dict]:
    """Other areas' sections of the briefing (core.hooks.BRIEFING_SECTIONS: fees' 收费情况), for
    the meeting day: the same on the page and on paper."""
    return hooks.joined(hooks.BRIEFING_SECTIONS, g.community.id, b.meeting_day)


def _page(day, error=None, priorities=None, priorities_error=None, status=200):
    b = days.briefing(g.community.id, day)
    return render_page(TEMPLATE, block="content", status=status, b=b, sections=_sections(b), day_error=error,
                       day_value=request.args.get("day") if error else day.isoformat(),
                       priorities=b.priorities if priorities is None else priorities,
                       priorities_error=priorities_error, can_write=current_user.has_role(*WRITERS),
                       calendar_warnings=calendar_warnings_for_me())


@bp.get("/briefing")
@allow(*VIEWERS)
def briefing():
    day, error = _day()
    return _page(day, error)


@bp.post("/briefing/note")
@allow(*WRITERS)
def briefing_note():
    day, error = _day()
    if error:
        return _page(day, error, status=422)
    text = request.form.get("priorities", "")
    try:
        days.save_priorities(g.community.id, day + timedelta(days=1), text, current_user._get_current_object())
    except days.DayError as e:
        db.session.rollback()
        return _page(day, priorities=text, priorities_error=str(e), status=422)
    db.session.commit()
    flash("今日重点已保存，会显示在晨会简报和打印稿中。", "ok")
    return redirect(url_for("patrols.briefing", day=day.isoformat()) + "#priorities", 303)


@bp.get("/briefing.pdf")
@allow(*VIEWERS)
def briefing_pdf():
    day, _error = _day()
    started = time.perf_counter()
    b = days.briefing(g.community.id, day)
    pdf = render_pdf("patrols/briefing_pdf.html", page_size="A4", b=b.plain(),
                     sections=_sections(b),
                     community={"name": g.community.name}, printed_by=current_user.name,
                     printed_at=localtime(utcnow(), "%Y-%m-%d %H:%M"))
    current_app.logger.debug("briefing pdf %s: %d bytes in %.0f ms", day, len(pdf),
                             (time.perf_counter() - started) * 1000)
    resp = make_response(pdf)
    resp.mimetype = "application/pdf"
    resp.headers["Content-Disposition"] = f'inline; filename="briefing-{b.meeting_day.isoformat()}.pdf"'
    resp.headers["Cache-Control"] = "no-store"
    return resp
