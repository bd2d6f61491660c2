"""Ticket routes: analysis [T8] — summary statistics with bar charts, and the CSV export."""
from flask import Response, g, request
from sqlalchemy import select

from ..core.access import allow
from ..core.roles import Role
from ..core.web import render_page
from ..extensions import db
from ..registry.models import Building
from . import services, stats
from .blueprint import bp
from .models import KIND_LABELS

ANALYSTS = (Role.SUPERVISOR, Role.MANAGER, Role.ADMIN)


@bp.get("/analysis")
@allow(*ANALYSTS)
def analysis():
    f = stats.parse_filters(request.args, g.community.id)
    result = stats.analyse(g.community.id, f)
    buildings = db.session.scalars(select(Building).where(Building.community_id == g.community.id)
                                   .order_by(Building.sort_key, Building.number)).all()
    return render_page(
        "tickets/analysis.html", block="results", f=f, a=result, kinds=KIND_LABELS,
        categories=services.categories(g.community.id, active_only=False), buildings=buildings,
        format_hours=stats.format_hours, format_share=stats.format_share)


@bp.get("/analysis.csv")
@allow(*ANALYSTS)
def analysis_csv():
    f = stats.parse_filters(request.args, g.community.id)
    body = stats.export_csv(g.community.id, f)
    name = f"tickets-{f.start:%Y%m%d}-{f.end:%Y%m%d}.csv"
    return Response(body.encode("utf-8"), content_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
