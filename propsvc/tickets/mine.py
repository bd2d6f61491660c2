"""Ticket routes: mine (我的工单) — one glance at what is the user's to do today, on a phone."""
from flask import g
from flask_login import current_user

from ..core.access import allow
from ..core.roles import Role
from ..core.web import render_page
from . import lists
from .blueprint import bp
from .services import available_steps, is_overdue


@bp.get("/mine")
@allow(Role.STEWARD, Role.TECHNICIAN, Role.SUPERVISOR, Role.FRONT_DESK)
def mine():
    user = current_user._get_current_object()
    my = lists.my_lists(user, g.community.id)
    return render_page("tickets/mine.html", block="content", my=my, due_of=lists.due_of, is_overdue=is_overdue,
                       can_accept=lambda t: "accept" in available_steps(user, t))
