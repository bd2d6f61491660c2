"""Who may see what, declared once [T9] [D2].

* REVEAL: every kind of record holding a phone or ID number, which of its fields are
  confidential and of which sort (phone / ID), how to find its unit and whose it is. The one
  reveal route (privacy.views.reveal) and the `masked` template macro read this table; no area
  has its own reveal.
* FIELD_ROLES: which roles' work needs the full value of each sort.
* BUILDING_BOUND: roles limited to their assigned buildings [D2] (plus cover, 代班): a steward
  may reveal only in their own or covered buildings; other granting roles work site-wide.
* TICKET_PHOTOS: which ticket events' photos a viewer who may not see a complaint's content
  (a technician on a complaint) still sees.

Everything else (lists ordering own buildings first, the steward's building set) is derived
from these in the helpers below.
"""
from dataclasses import dataclass
from datetime import date
from typing import Callable

from flask import g, has_request_context
from sqlalchemy import case

from ..extensions import db
from . import hooks
from .roles import Role
from .timefmt import site_today

PHONE, ID = "phone", "id"
SORT_LABELS = {PHONE: "电话", ID: "身份证号"}

FIELD_ROLES: dict[str, frozenset[str]] = {
    PHONE: frozenset({Role.STEWARD, Role.FRONT_DESK, Role.SUPERVISOR, Role.MANAGER, Role.FINANCE, Role.ADMIN}),
    ID: frozenset({Role.FRONT_DESK, Role.SUPERVISOR, Role.MANAGER, Role.ADMIN}),
}

BUILDING_BOUND: frozenset[str] = frozenset({Role.STEWARD})


def _model(path: str):
    module, name = path.rsplit(".", 1)
    mod = __import__(f"propsvc.{module}", fromlist=[name])
    return getattr(mod, name)


def _unit(obj):
    return obj.unit if getattr(obj, "unit_id", None) else None


def _person_units(p):
    return [o.unit for o in p.occupancies if o.until is None or o.until >= site_today()] or \
        [o.unit for o in p.occupancies]


def _ticket_buildings(t):
    u = _unit(t)
    return [u.building_id] if u else ([t.building_id] if t.building_id else [])


@dataclass(frozen=True)
class Revealable:
    label: str                                 # what the record is, for the audit page
    model: str                                 # "area.models.Class"
    fields: dict[str, tuple[str, str]]         # attribute -> (sort, label)
    subject: Callable                          # whose record: a name
    units: Callable                            # -> list[Unit] (for the audit's unit and [D2])
    community: Callable = lambda o: o.community_id
    buildings: Callable | None = None          # -> list[building id]; default from units
    roles: dict | None = None                  # sort -> roles, where this area is narrower than FIELD_ROLES

    def roles_for(self, sort: str) -> frozenset[str]:
        return frozenset(str(r) for r in (self.roles or {}).get(sort, FIELD_ROLES[sort]))

    def load(self, ident: int):
        return db.session.get(_model(self.model), ident)

    def building_ids(self, obj) -> list[int]:
        if self.buildings is not None:
            return self.buildings(obj)
        return [u.building_id for u in self.units(obj) if u is not None]


_DESK = frozenset({Role.FRONT_DESK, Role.SUPERVISOR, Role.MANAGER})

REVEAL: dict[str, Revealable] = {
    "person": Revealable("住户", "registry.models.Person",
                         {"phone": (PHONE, "电话"), "phone2": (PHONE, "电话2"), "id_number": (ID, "身份证号")},
                         subject=lambda p: p.name, units=_person_units),
    "visitor": Revealable("访客", "frontdesk.models.Visit",
                          {"phone": (PHONE, "电话"), "id_number": (ID, "身份证号")},
                          subject=lambda v: v.visitor_name, units=lambda v: [_unit(v)],
                          roles={PHONE: _DESK, ID: _DESK}),
    "worker": Revealable("装修工人", "renovation.models.Worker",
                         {"phone": (PHONE, "电话"), "id_number": (ID, "身份证号")},
                         subject=lambda w: w.name, units=lambda w: [w.renovation.unit],
                         community=lambda w: w.renovation.community_id),
    "renovation": Revealable("装修负责人", "renovation.models.Renovation",
                             {"lead_phone": (PHONE, "电话"), "lead_id_number": (ID, "身份证号")},
                             subject=lambda r: r.lead_name, units=lambda r: [_unit(r)]),
    "slip": Revealable("放行条携物人", "slips.models.ReleaseSlip",
                       {"carrier_phone": (PHONE, "电话"), "carrier_id_number": (ID, "身份证号")},
                       subject=lambda s: s.carrier_name, units=lambda s: [_unit(s)],
                       roles={PHONE: _DESK | {Role.STEWARD, Role.ADMIN}}),
    "parcel": Revealable("快递收件人", "errands.models.Parcel", {"recipient_phone": (PHONE, "电话")},
                         subject=lambda p: p.recipient_name, units=lambda p: [_unit(p)],
                         roles={PHONE: _DESK | {Role.STEWARD}}),
    "mail": Revealable("信件收件人", "errands.models.MailItem", {"recipient_phone": (PHONE, "电话")},
                       subject=lambda m: m.recipient_name, units=lambda m: [_unit(m)],
                       roles={PHONE: _DESK | {Role.STEWARD}}),
    "ticket": Revealable("报事人", "tickets.models.Ticket", {"reporter_phone": (PHONE, "电话")},
                         subject=lambda t: t.reporter_name or "报事人", units=lambda t: [_unit(t)],
                         buildings=_ticket_buildings),
}

# Ticket events whose photos stay with those who see a complaint's content [T9]: the intake's
# photos show the complaint, notes/memos/contacts are internal unless marked 业主可见.
TICKET_CONFIDENTIAL_EVENTS = frozenset({"ticket.created", "ticket.note", "ticket.escalated", "ticket.contacted"})


def ticket_event_hidden(confidential: bool, action: str, data: dict | None) -> bool:
    """Whether an event's text and photos are hidden from a viewer; `confidential`: the viewer
    sees the complaint's content (tickets.services.sees_confidential)."""
    return not confidential and not (data or {}).get("public") and action in TICKET_CONFIDENTIAL_EVENTS


# --- [D2]: the buildings a building-bound user works in today ---------------------------

def assigned_building_ids(user, community_id: int, day: date | None = None) -> set[int]:
    """Own buildings plus those covered on `day` (default: site today): the union of the
    answers to core.hooks.ASSIGNED_BUILDINGS (auth: own; privacy: covers). Cached per request."""
    day = day or site_today()
    key = (user.id, community_id, day)
    cache = g.setdefault("_assigned_buildings", {}) if has_request_context() else {}
    if key not in cache:
        cache[key] = set().union(*hooks.answers(hooks.ASSIGNED_BUILDINGS, user, community_id, day))
    return cache[key]


def building_bound(user, granting_roles: frozenset[str]) -> bool:
    """True when every role of `user` among `granting_roles` is limited to assigned buildings."""
    granting = user.roles & granting_roles
    return bool(granting) and granting <= BUILDING_BOUND


class RevealRefused(PermissionError):
    """Why a reveal is not allowed (Chinese, shown to the user)."""


def check_reveal(user, kind: str, obj, attr: str, community_id: int, day: date | None = None) -> tuple[str, str]:
    """(sort, field label) when `user` may see `obj.attr` in full; else RevealRefused."""
    rule = REVEAL.get(kind)
    if rule is None or attr not in rule.fields or obj is None or rule.community(obj) != community_id:
        raise LookupError(kind)
    sort, label = rule.fields[attr]
    granting = rule.roles_for(sort)
    if not (user.roles & granting):
        raise RevealRefused(f"您的岗位不能查看完整的{SORT_LABELS[sort]}。")
    if building_bound(user, granting):
        buildings = set(rule.building_ids(obj))
        if buildings and not (buildings & assigned_building_ids(user, community_id, day)):
            raise RevealRefused("这不是您分管的楼栋，不能查看完整号码；如需代班，请主管设置代班。")
    return sort, label


def may_reveal(user, kind: str, obj, attr: str, community_id: int, day: date | None = None) -> bool:
    try:
        check_reveal(user, kind, obj, attr, community_id, day)
    except (RevealRefused, LookupError):
        return False
    return True


def own_first(user, building_column, community_id: int):
    """An ORDER BY term putting a building-bound user's own (and covered) buildings first; a
    constant for everyone else (their order is unchanged)."""
    if not user.has_role(*BUILDING_BOUND):
        return case((building_column.is_(None), 0), else_=0)
    ids = assigned_building_ids(user, community_id)
    if not ids:
        return case((building_column.is_(None), 1), else_=1)
    return case((building_column.in_(ids), 0), else_=1)


def own_buildings_first(user, buildings, community_id: int) -> list:
    """`buildings` (Building objects) with a building-bound user's own and covered ones first,
    each group keeping its order."""
    if not user.has_role(*BUILDING_BOUND):
        return list(buildings)
    ids = assigned_building_ids(user, community_id)
    return sorted(buildings, key=lambda b: b.id not in ids)
