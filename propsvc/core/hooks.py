"""Extension points: how a lower room (core, the registry, auth) asks the areas above it for
something without importing them (ARCHITECTURE.md).

Each point is a name and the call its functions answer. The app factory says, in one place,
which area function answers which point (propsvc/__init__.py, `_register_hooks`); the lower room
calls `answers(POINT, …)` and gets every registered answer, in registration order. A point that
no area answers gives no answers: an area that is not installed simply adds nothing.
"""
from itertools import chain
from typing import Callable

from flask import Flask, current_app

# (community_id) -> None: what an area needs in a new community before its first page (ticket
# categories, deadlines and working hours; patrol checklists). Run by registry.setup when a
# community is created (unit import, demo) and for every community by `flask init-db`.
# Idempotent (only what is missing is added), flushes, never commits.
COMMUNITY_SETUP = "community_setup"

# (user, community_id, day) -> set of building ids: the buildings a building-bound user works in
# on `day` [D2]: their own (auth) and those they cover (代班, privacy). core.scope takes the union.
ASSIGNED_BUILDINGS = "assigned_buildings"

# (community_id, user=None) -> list of notices shown today: on the home page and the kiosk's lock
# screen (no user: the community's board), on a steward's 今日 (that steward's view) [F2].
NOTICE_BOARD = "notice_board"

# (user, community_id) -> list of str: warnings on the home page (the working calendar's).
HOME_WARNINGS = "home_warnings"

# (unit_id, day) -> the unit's approved renovation running on `day` (with .id and .lead_name),
# or None: its lead may apply for a release slip [S2].
UNIT_RENOVATION = "unit_renovation"

# (community_id, unit_id, text, actor, client_key) -> ticket id or None: a fee dispute (有异议) on
# a collection contact opens a ticket with the dispute [D4] (tickets answers; fees asks).
FEE_DISPUTE = "fee_dispute"

# (user, community_id, day) -> list of Markup: panels of other areas on the steward's 今日
# (fees: 今日催费). The patrols area renders 今日 and shows them in order.
TODAY_PANELS = "today_panels"

# (community_id, day) -> list of {"title": str, "lines": [str]}: sections of other areas in the
# morning briefing, as plain sentences (fees: 收费情况). The patrols area prints them on the
# briefing page and on its A4 copy alike.
BRIEFING_SECTIONS = "briefing_sections"

# (community_id) -> list of Markup: panels of other areas on the analysis page (fees: the
# collection rate by building and month, inline SVG).
ANALYSIS_PANELS = "analysis_panels"

# (user, community_id, day) -> list of str: lines of other areas in the steward's daily summary
# draft (fees: the day's collection round and its results). Units and results only, no names.
SUMMARY_LINES = "summary_lines"

# (community_id, ticket_id, user=None) -> {"unit_id", "kind", "serial", "state"} or None: what
# fees needs to know of a ticket for a paid repair (tickets answers); None also when `user` may
# not open the ticket (its own visibility rule).
TICKET_FACTS = "ticket_facts"

# (ticket_id) -> list of dicts: the paid repair's quoted charges printed on the work order
# (fees answers; tickets' work-order PDF asks).
WORKORDER_CHARGES = "workorder_charges"

# (ticket_id, kind, unit_id) -> list of Markup: panels of other areas on a ticket's page (fees:
# the paid repair's quote, for a repair inside a home).
TICKET_PANELS = "ticket_panels"

# (ticket_id, user) -> (origin, url or None) or None: where a rectification ticket came from
# [D3] (patrols: the patrol, the item found wrong, the checkpoint), and the link to that item
# when `user` may open the patrol. The ticket page shows it as 来源 巡查.
TICKET_ORIGIN = "ticket_origin"

# (community_id, actor, *, title, body, building_ids, valid_from, valid_until) -> notice id or None:
# an event is published as a notice (kind 社区活动) under the notices' rules [F2]. The caller
# (events) flushes; the notices area writes the notice and its Event.
PUBLISH_NOTICE = "publish_notice"

# (notice_id, actor, reason) -> True when withdrawn, False when there was nothing to withdraw
# (already withdrawn or ended): a cancelled event takes its notice down [F2].
WITHDRAW_NOTICE = "withdraw_notice"
# (user, community_id) -> (label, value) or None: what waits at one of the app's places (core.nav)
# for `user`, scoped as the place's page is: its home tile's live count (待派单 3; value (done, of):
# 今日巡查 2/5). One point per place: place_counts(endpoint), answered by the place's area.
PLACE_COUNTS = "place_counts"


def place_counts(endpoint: str) -> str:
    """The PLACE_COUNTS point of the place at `endpoint` (core.nav.PLACES)."""
    return f"{PLACE_COUNTS}:{endpoint}"


# (community_id, request: dict, actor) -> {"id": …, "serial": …} of the ticket opened, or None: an
# area that finds work for the engineering queue without importing tickets (handover: every
# defect found walking a unit with its owner [H4] is a 返修 ticket). request: kind ("defect"),
# unit_id, category (a hint: 水电气维修 …), description, photos (photos.services.StoredPhoto),
# source (e.g. "交房验房"), client_key (a repeat returns the ticket already opened).
OPEN_TICKET = "open_ticket"

# (user, community_id, day) -> list of (label, url) lines for the steward's 今日: units of their
# buildings handed over lately (first-renovation follow-up [D2]).
STEWARD_TODAY = "steward_today"

_KEY = "propsvc.hooks"


def register(app: Flask, point: str, *functions: Callable) -> None:
    """Let `functions` answer `point` in `app` (after those registered before)."""
    app.extensions.setdefault(_KEY, {}).setdefault(point, []).extend(functions)


def answers(point: str, *args, **kwargs) -> list:
    """Every registered function's answer to `point`, in registration order."""
    return [fn(*args, **kwargs) for fn in current_app.extensions.get(_KEY, {}).get(point, ())]


def joined(point: str, *args, **kwargs) -> list:
    """The answers' items in one list (for points whose functions answer lists)."""
    return list(chain.from_iterable(answers(point, *args, **kwargs)))


def first(point: str, *args, **kwargs):
    """The first answer that is not None, or None."""
    return next((a for a in answers(point, *args, **kwargs) if a is not None), None)

# (user, community_id, day) -> (met: bool, evidence: list[str]) or None: whether a steward finished
# the day's collection round (完成当日催费任务, assessment [A2]); answered by fees. No answer: the
# standard does not apply that day.
COLLECTION_ROUND = "collection_round"

# (user, community_id, day) -> list of (label, url): the steward's assessment lines on 今日
# (本月 2 项未达标) [A3].
STEWARD_ASSESSMENT = "steward_assessment"

# (community_id, first: date, last: date) -> list of (section, label, value): an area's figures
# of a month for the manager's monthly report [A5] (renovation, slips; handover and fees when
# they answer). Each figure is shown beside last month's.
MONTH_FIGURES = "month_figures"
