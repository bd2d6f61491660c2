"""Renovation routes: the renovation board (装修动态表) [R7] — per building and floor, who
renovates where and until when, overdue ones marked — on screen and as an A4 PDF for the
notice board. The PDF is public-facing: unit, lead company and name, the period; never a
phone or ID number."""
import re

from flask import g, make_response, request
from flask_login import current_user

from ..core.access import allow
from ..core.forms import parse_id
from ..core.models import utcnow
from ..core.roles import Role
from ..core.timefmt import localtime, site_today
from ..core.web import render_page
from ..documents import render_pdf
from ..registry.models import Building
from . import services
from .blueprint import bp
from .views import VIEWERS

BOARD_ROLES = (*VIEWERS, Role.GUARD)


def _building() -> Building | None:
    wanted = parse_id(request.args.get("building", ""))
    return next((b for b in g.community.buildings if b.id == wanted), None) if wanted else None


@bp.get("/board")
@allow(*BOARD_ROLES)
def board():
    today = site_today()
    building = _building()
    data = services.board(g.community.id, today, building.id if building else None)
    return render_page("renovation/board.html", block="results", board=data, today=today, building=building,
                       buildings=list(g.community.buildings))


@bp.get("/board.pdf")
@allow(*BOARD_ROLES)
def board_pdf():
    today = site_today()
    building = _building()
    data = services.board(g.community.id, today, building.id if building else None)
    pdf = render_pdf("renovation/board_pdf.html", page_size="A4", board=data,
                     community={"name": g.community.name},
                     scope=building.label if building else "全部楼栋",
                     today=today.isoformat(), printed_by=current_user.name,
                     printed_at=localtime(utcnow(), "%Y-%m-%d %H:%M"))
    resp = make_response(pdf)
    resp.mimetype = "application/pdf"
    name = f"renovation-board-{today.isoformat()}" + (f"-{re.sub(r'[^A-Za-z0-9]', '', building.number)}" if building else "")
    resp.headers["Content-Disposition"] = f'inline; filename="{name}.pdf"'
    resp.headers["Cache-Control"] = "no-store"
    return resp
