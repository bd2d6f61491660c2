"""Handover routes [H1]-[H4]: batches, the buyers' list, the arrival desk, a unit's card (owner
file, stations, 交房/拒收) and each station's live waiting list.

Who may use what:
- supervisor, manager: open a batch, edit its stations, import the sales office's list.
- front desk, steward, supervisor, manager (the handover team): the batch, the arrival desk
  (identity [H1]), the owner file [H2], the stations, 交房 and 拒收.
- finance: the batch and the fees station (they take the money at 收费处).
- the 委托书 and member photos: the handover team only (personal data [T9]).

Each POST: load the record of this community → validate the form → one service call → one
commit. Bad input: the message next to its field with a 422; a step no longer possible: 409."""
import hashlib

from flask import abort, current_app, flash, g, redirect, request, url_for
from flask_login import current_user
from sqlalchemy import select

from ..core.access import allow
from ..core.roles import Role
from ..core.web import render_page
from ..extensions import db
from ..registry.models import Building
from . import forms, services
from .blueprint import bp
from .models import CARD_STATE_LABELS, CardState

LEADS = (Role.SUPERVISOR, Role.MANAGER)
TEAM = (Role.FRONT_DESK, Role.STEWARD, Role.SUPERVISOR, Role.MANAGER)
VIEWERS = (*TEAM, Role.FINANCE)


def _batch(batch_id: int):
    b = services.get_batch(g.community.id, batch_id)
    if b is None:
        abort(404)
    return b


def _card(handover_id: int):
    c = services.get_card(g.community.id, handover_id)
    if c is None:
        abort(404)
    return c


def _field_error(form, e: services.HandoverError, default: str):
    f = getattr(form, e.field or default, None) or getattr(form, default)
    f.errors = list(f.errors or []) + [str(e)]


def _buildings():
    return list(db.session.scalars(select(Building).where(Building.community_id == g.community.id)
                                   .order_by(Building.sort_key, Building.number)))


# --- batches ---------------------------------------------------------------------------------

@bp.get("")
@allow(*VIEWERS)
def index():
    return render_page("handover/index.html", batches=services.batches(g.community.id), counts=services.counts)


@bp.route("/batches/new", methods=["GET", "POST"])
@allow(*LEADS)
def batch_new():
    form = forms.BatchForm()
    form.building_ids.choices = [(b.id, b.label) for b in _buildings()]
    status = 200
    if request.method == "POST":
        status = 422
        if form.validate():
            try:
                names, staff = _parse_stations(form.stations.data or "")
                batch = services.create_batch(g.community.id, form.name.data, form.building_ids.data, form.day_list,
                                              form.opens.data, form.closes.data, current_user,
                                              stations=names, staff=staff, items=form.item_names())
                db.session.commit()
            except services.HandoverError as e:
                db.session.rollback()
                _field_error(form, e, "name")
            else:
                flash(f"已建立交房批次“{batch.name}”。下一步：导入售房部的交房名单。", "ok")
                return redirect(url_for("handover.batch", batch_id=batch.id), 303)
    return render_page("handover/batch_new.html", status=status, form=form)


@bp.get("/batches/<id:batch_id>")
@allow(*VIEWERS)
def batch(batch_id: int):
    b = _batch(batch_id)
    state = request.args.get("state", "")
    cards = [c for c in b.cards if not state or c.state == state]
    return render_page("handover/batch.html", block="cards", batch=b, cards=cards, state=state,
                       counts=services.counts(b), states=CARD_STATE_LABELS, import_form=forms.ImportForm(),
                       stations_form=forms.StationsForm(stations=_stations_text(b)),
                       staff_names=_staff_names(b))


def _staff_names(b) -> dict:
    from ..auth.models import User

    ids = {i for s in b.stations for i in s.get("staff_ids", [])}
    return {u.id: u.name for u in db.session.scalars(select(User).where(User.id.in_(ids or [0])))}


@bp.post("/batches/<id:batch_id>/import")
@allow(*LEADS)
def batch_import(batch_id: int):
    b = _batch(batch_id)
    form = forms.ImportForm()
    result = None
    status = 422
    if form.validate():
        upload = form.file.data
        result = services.import_buyers(b, upload.filename, upload.read(), current_user)
        if result.ok:
            db.session.commit()
            flash(result.summary, "ok")
            return redirect(url_for("handover.batch", batch_id=b.id), 303)
        db.session.rollback()
    return render_page("handover/batch.html", status=status, batch=b, cards=b.cards, state="",
                       counts=services.counts(b), states=CARD_STATE_LABELS, import_form=form, result=result,
                       stations_form=forms.StationsForm(stations=_stations_text(b)),
                       staff_names=_staff_names(b))


@bp.post("/batches/<id:batch_id>/stations")
@allow(*LEADS)
def batch_stations(batch_id: int):
    """The stations, one per line in the owner's order; who staffs one after a colon:
    收费处：周财务、黄前台 (names of this community's staff)."""
    b = _batch(batch_id)
    form = forms.StationsForm()
    if form.validate():
        try:
            names, staff = _parse_stations(form.stations.data)
            services.update_stations(b, names, staff, current_user)
            db.session.commit()
        except services.HandoverError as e:
            db.session.rollback()
            form.stations.errors = [str(e)]
        else:
            flash("工作组已更新。", "ok")
            return redirect(url_for("handover.batch", batch_id=b.id), 303)
    return render_page("handover/batch.html", status=422, batch=b, cards=b.cards, state="",
                       counts=services.counts(b), states=CARD_STATE_LABELS, import_form=forms.ImportForm(),
                       stations_form=form, staff_names=_staff_names(b))


def _parse_stations(text: str) -> tuple[list[str], dict[str, list[int]]]:
    import re

    from ..auth.models import User, user_community

    people = {u.name: u.id for u in db.session.scalars(select(User).join(
        user_community, user_community.c.user_id == User.id).where(user_community.c.community_id == g.community.id,
                                                                   User.active.is_(True)))}
    names, staff = [], {}
    for line in text.splitlines():
        name, _, who = line.replace(":", "：").partition("：")
        name = name.strip()
        if not name:
            continue
        ids = []
        for person in (p for p in re.split(r"[、,，\s]+", who) if p):
            if person not in people:
                raise services.HandoverError(f"找不到本小区的员工“{person[:20]}”（{name}）。", 422, "stations")
            ids.append(people[person])
        names.append(name)
        staff[name] = ids
    return names, staff


def _stations_text(b) -> str:
    names = _staff_names(b)
    return "\n".join(s["name"] + ("：" + "、".join(names.get(i, "") for i in s.get("staff_ids", []))
                                  if s.get("staff_ids") else "") for s in b.stations)


# --- arrival [H1] ----------------------------------------------------------------------------

@bp.route("/batches/<id:batch_id>/arrive", methods=["GET", "POST"])
@allow(*TEAM)
def arrive(batch_id: int):
    b = _batch(batch_id)
    slip = services.normalize_slip(request.values.get("slip_no") or request.args.get("slip"))
    form = forms.ArrivalForm()
    card, lookup_error, status = None, None, 200
    if slip:
        try:
            card = services.find_by_slip(b, slip)
        except services.HandoverError as e:
            lookup_error, status = str(e), e.status
    if card is not None:
        form.slip_no.data = card.slip_no
        form.owner_name.choices = [("", "请选择")] + [(x["name"], x["name"]) for x in card.buyers]
    if request.method == "POST" and card is not None:
        status = 422
        if form.validate():
            a = services.Arrival(came_as=form.came_as.data, id_number=form.id_number.data or "",
                                 owner_name=form.owner_name.data or "", agent_name=form.agent_name.data or "",
                                 agent_relation=form.agent_relation.data or "", poa_photo=form.poa_photo.data)
            try:
                services.arrive(card, a, current_user)
                db.session.commit()
            except services.HandoverError as e:
                db.session.rollback()
                # The refusal and its reason are kept (an Event), whatever else was undone.
                services.record_refusal(services.get_card(g.community.id, card.id), a.came_as, str(e), current_user)
                db.session.commit()
                card = services.get_card(g.community.id, card.id)
                _field_error(form, e, "id_number")
                status = e.status
            else:
                flash(f"{card.unit.label} 身份核对通过，请建立业主档案。", "ok")
                return redirect(url_for("handover.card", handover_id=card.id), 303)
    elif request.method == "POST" and not lookup_error:
        status = 422
    return render_page("handover/arrive.html", block="found", status=status, batch=b, card=card, slip=slip,
                       lookup_error=lookup_error, form=form)


# --- a unit's card ---------------------------------------------------------------------------

def _card_page(card, status=200, **ctx):
    ctx.setdefault("file_form", _file_form(card))
    ctx.setdefault("station_form", forms.StationForm())
    ctx.setdefault("refuse_form", forms.RefuseForm())
    ctx.setdefault("confirm_form", forms.ConfirmForm())
    ctx.setdefault("defect_form", _defect_form(card))
    ctx.setdefault("sign_form", forms.InspectionSignForm())
    from .documents import card_documents, file_contents

    ctx.setdefault("documents", card_documents(card))
    ctx.setdefault("contents", file_contents(card))
    return render_page("handover/card.html", status=status, card=card, batch=card.batch,
                       left=services.stations_left(card), meters=services.METERS,
                       id_types=services.ID_TYPES, **ctx)


def _defect_form(card, form=None):
    form = form or forms.DefectForm()
    checklist = card.batch.checklist or {}
    form.room.choices = [("", "请选择")] + [(r, r) for r in checklist.get("rooms", services.DEFAULT_ROOMS)]
    form.item.choices = [("", "请选择")] + [(i, i) for i in checklist.get("items", services.DEFAULT_CHECK_ITEMS)]
    return form


def _file_form(card):
    form = forms.OwnerFileForm()
    if request.method == "GET" and card.buyers and not form.phone1.data:
        form.phone1.data = card.buyers[0].get("phone")
    return form


@bp.get("/cards/<id:handover_id>")
@allow(*VIEWERS)
def card(handover_id: int):
    return _card_page(_card(handover_id))


@bp.post("/cards/<id:handover_id>/file")
@allow(*TEAM)
def card_file(handover_id: int):
    c = _card(handover_id)
    form = forms.OwnerFileForm()
    if form.validate():
        f = services.OwnerFile(
            phones=[form.phone1.data, form.phone2.data, form.phone3.data],
            members=[{"name": m.form.name.data, "relation": m.form.relation.data, "id_type": m.form.id_type.data,
                      "id_number": m.form.id_number.data, "photo": m.form.photo.data} for m in form.members],
            emergency_name=form.emergency_name.data, emergency_phone=form.emergency_phone.data,
            signature=form.signature.data, vehicles=form.vehicles.data or "")
        try:
            services.save_owner_file(c, f, current_user)
            db.session.commit()
        except services.HandoverError as e:
            db.session.rollback()
            c = _card(handover_id)
            target = {"phones": "phone2", "members": "emergency_name"}.get(e.field or "", e.field)
            _field_error(form, services.HandoverError(str(e), e.status, target), "phone2")
            return _card_page(c, status=e.status, file_form=form)
        flash("业主档案已建立，住户已登记到房屋档案。", "ok")
        return redirect(url_for("handover.card", handover_id=c.id), 303)
    return _card_page(c, status=422, file_form=form)


@bp.post("/cards/<id:handover_id>/stations/<station>")
@allow(*VIEWERS)
def card_station(handover_id: int, station: str):
    c = _card(handover_id)
    if station == "fees" and not current_user.has_role(*TEAM, Role.FINANCE):
        abort(403)
    if station != "fees" and not current_user.has_role(*TEAM):
        abort(403)
    form = forms.StationForm()
    if form.validate():
        f = services.StationFacts(
            due=form.due.data, paid=form.paid.data, receipt=form.receipt.data or "", door_keys=form.door_keys.data,
            mailbox_keys=form.mailbox_keys.data,
            readings={k: getattr(form, k).data for k, _ in services.METERS},
            photos={k: getattr(form, f"{k}_photo").data for k, _ in services.METERS},
            wechat_steward=form.wechat_steward.data or "", signature=form.signature.data or "")
        try:
            services.complete_station(c, station, f, current_user)
            db.session.commit()
        except services.HandoverError as e:
            db.session.rollback()
            c = _card(handover_id)
            if e.status == 404:
                abort(404)
            if e.field and hasattr(form, e.field):
                getattr(form, e.field).errors = [str(e)]
            return _card_page(c, status=e.status, station_form=form, station_error=str(e), open_station=station)
        back = request.form.get("back")
        name = (c.batch.station(station) or {}).get("name", "")
        flash(f"{c.unit.label}：{name}已办结。", "ok")
        if back == "station":
            return redirect(url_for("handover.station", batch_id=c.batch_id, station=station), 303)
        return redirect(url_for("handover.card", handover_id=c.id), 303)
    return _card_page(c, status=422, station_form=form, open_station=station)


@bp.post("/cards/<id:handover_id>/hand-over")
@allow(*TEAM)
def card_hand_over(handover_id: int):
    c = _card(handover_id)
    form = forms.ConfirmForm()
    if form.validate():
        try:
            services.hand_over(c, current_user)
            db.session.commit()
        except services.HandoverError as e:
            db.session.rollback()
            return _card_page(_card(handover_id), status=e.status, hand_over_error=str(e))
        flash(f"{c.unit.label} 已交房。", "ok")
        return redirect(url_for("handover.card", handover_id=c.id), 303)
    return _card_page(c, status=422)


@bp.post("/cards/<id:handover_id>/refuse")
@allow(*TEAM)
def card_refuse(handover_id: int):
    c = _card(handover_id)
    form = forms.RefuseForm()
    if form.validate():
        try:
            services.refuse(c, form.reason.data, current_user)
            db.session.commit()
        except services.HandoverError as e:
            db.session.rollback()
            return _card_page(_card(handover_id), status=e.status, refuse_form=form, hand_over_error=str(e))
        flash(f"{c.unit.label} 业主拒收，已记录原因，请跟进。", "ok")
        return redirect(url_for("handover.card", handover_id=c.id), 303)
    return _card_page(c, status=422, refuse_form=form)


@bp.post("/cards/<id:handover_id>/defects")
@allow(*TEAM)
def card_defect(handover_id: int):
    c = _card(handover_id)
    form = _defect_form(c, forms.DefectForm())
    if form.validate():
        d = services.DefectIn(room=form.room.data, item=form.item.data, category=form.category.data,
                              location=form.location.data, note=form.note.data or "", photos=form.photos.data or [])
        try:
            defect = services.add_defect(c, d, current_user)
            db.session.commit()
        except services.HandoverError as e:
            db.session.rollback()
            c = _card(handover_id)
            form = _defect_form(c, form)
            _field_error(form, e, "location")
            return _card_page(c, status=e.status, defect_form=form, open_inspection=True,
                              station_error=str(e) if e.status == 409 else None)
        flash(f"已记录问题（{defect.room}·{defect.item}），已生成返修工单。", "ok")
        return redirect(url_for("handover.card", handover_id=c.id) + "#inspection", 303)
    return _card_page(c, status=422, defect_form=form, open_inspection=True)


@bp.post("/cards/<id:handover_id>/inspection")
@allow(*TEAM)
def card_inspection(handover_id: int):
    c = _card(handover_id)
    form = forms.InspectionSignForm()
    if form.validate():
        try:
            services.sign_inspection(c, form.signature.data, current_user)
            db.session.commit()
        except services.HandoverError as e:
            db.session.rollback()
            if e.status == 404:
                abort(404)
            form.signature.errors = [str(e)]
            return _card_page(_card(handover_id), status=e.status, sign_form=form, open_inspection=True)
        flash("验房记录已由业主签字，验房处已办结。", "ok")
        return redirect(url_for("handover.card", handover_id=c.id), 303)
    return _card_page(c, status=422, sign_form=form, open_inspection=True)


@bp.get("/cards/<id:handover_id>/photo/<id:no>")
@allow(*TEAM)
def card_photo(handover_id: int, no: int):
    """Photo `no` of the card (1-based, n = no - 1): the signed 委托书 (n=0), the owner's
    signature (n=1), a meter photo (10+i) or a member's photo (20+i)."""
    from ..photos.services import photo_response

    n = no - 1
    c = _card(handover_id)
    path = None
    if n == 0:
        path = c.poa_photo
    elif n == 1:
        path = c.file_signature
    elif 10 <= n < 20:
        meters = (c.keys or {}).get("meters", [])
        path = meters[n - 10].get("photo") if n - 10 < len(meters) else None
    elif 20 <= n < 40:
        path = c.members[n - 20].get("photo") if n - 20 < len(c.members or []) else None
    elif n == 2:
        path = (c.inspection or {}).get("signature")
    elif n >= 100:  # defect photos: 100 + 10 * defect index + photo index
        i, j = divmod(n - 100, 10)
        photos = c.defects[i].photos if i < len(c.defects) else []
        path = photos[j]["path"] if j < len(photos) else None
    resp = photo_response(path)
    if path and path.endswith(".png"):
        resp.mimetype = "image/png"
    return resp


# --- a station's live waiting list -----------------------------------------------------------

@bp.get("/batches/<id:batch_id>/stations/<station>")
@allow(*VIEWERS)
def station(batch_id: int, station: str):
    """Who waits at this station, in arrival order; the list polls every 5 s and is answered
    304 when nothing changed (the dispatch queue's pattern)."""
    b = _batch(batch_id)
    st = b.station(station)
    if st is None:
        abort(404)
    version = services.queue_version(b)
    etag = hashlib.blake2b(f"{version}|{current_user.id}|{station}".encode(), digest_size=12).hexdigest()
    if request.headers.get("X-Poll") and request.if_none_match.contains_weak(etag):
        resp = current_app.response_class(status=304)
        resp.headers["ETag"] = f'W/"{etag}"'
        return resp
    cards = services.waiting(b, station)
    resp = render_page("handover/station.html", block="waiting", batch=b, station=st, cards=cards,
                       form=forms.StationForm(), meters=services.METERS)
    resp.headers["ETag"] = f'W/"{etag}"'
    resp.headers["Cache-Control"] = "private, no-cache"
    return resp


# --- the end of the day and of the batch -----------------------------------------------------

def _summary_day(b):
    from ..core.timefmt import parse_iso_day, site_today

    value = request.args.get("day", "")
    if value == "all":
        return None
    return parse_iso_day(value) or site_today()


@bp.get("/batches/<id:batch_id>/summary")
@allow(*VIEWERS)
def summary(batch_id: int):
    from .summary import summarize

    b = _batch(batch_id)
    day = _summary_day(b)
    return render_page("handover/summary.html", batch=b, s=summarize(b, day), day=day)


@bp.get("/batches/<id:batch_id>/summary.pdf")
@allow(*VIEWERS)
def summary_pdf(batch_id: int):
    from flask import make_response

    from ..documents.pdf import render_pdf
    from .summary import summarize

    b = _batch(batch_id)
    s = summarize(b, _summary_day(b))
    resp = make_response(render_pdf("handover/summary_pdf.html", page_size="A4", s=s, community=g.community.name))
    resp.mimetype = "application/pdf"
    resp.headers["Content-Disposition"] = f'inline; filename="handover-summary-{s["day"] or "batch"}.pdf"'
    resp.headers["Cache-Control"] = "no-store"
    return resp


# --- appointments per half-day -----------------------------------------------------------------

def _appointment_day(b):
    from ..core.timefmt import parse_iso_day

    day = parse_iso_day(request.args.get("day", ""))
    if day is None or day.isoformat() not in b.days:
        day = b.first_day
    return day


@bp.get("/batches/<id:batch_id>/appointments")
@allow(*VIEWERS)
def appointments(batch_id: int):
    b = _batch(batch_id)
    day = _appointment_day(b)
    return render_page("handover/appointments.html", batch=b, day=day.isoformat() if day else "",
                       halves=services.appointments(b, day) if day else [])


@bp.get("/batches/<id:batch_id>/appointments.pdf")
@allow(*VIEWERS)
def appointments_pdf(batch_id: int):
    from flask import make_response

    from ..documents.pdf import render_pdf
    from ..registry.masking import mask_phone

    b = _batch(batch_id)
    day = _appointment_day(b)
    halves = [(label, [{"unit": c.unit.label, "buyers": c.buyer_names, "slip": c.slip_no,
                        "phone": mask_phone((c.buyers or [{}])[0].get("phone")), "state": c.state_label}
                       for c in cards]) for label, cards in (services.appointments(b, day) if day else [])]
    resp = make_response(render_pdf("handover/appointments_pdf.html", page_size="A4", batch=b.name,
                                    day=day.isoformat() if day else "", halves=halves, community=g.community.name))
    resp.mimetype = "application/pdf"
    resp.headers["Content-Disposition"] = f'inline; filename="handover-appointments-{day}.pdf"'
    resp.headers["Cache-Control"] = "no-store"
    return resp
