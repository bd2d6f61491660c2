"""Renovation routes: workers and their passes [R3]–[R5]. The front desk (or a steward or
supervisor) registers a worker with a one-inch photo; finance takes the deposit and card fee
and the pass is issued; the pass card prints as a PDF; finance takes it back and refunds the
deposit. The rules are in pass_services."""
from flask import abort, flash, g, make_response, redirect, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..core import idempotency
from ..core.access import allow, get_or_404
from ..core.forms import Form
from ..core.roles import Role
from ..core.timefmt import site_today
from ..core.web import local_next, render_error, render_page
from ..extensions import db
from ..photos.services import PhotoError, delete_photo, photo_response, save_photo
from . import pass_forms, pass_services as ps
from .blueprint import bp
from .models import Renovation, RenovationState, Worker

REGISTRARS = (Role.FRONT_DESK, Role.STEWARD, Role.SUPERVISOR)
VIEWERS = (Role.FRONT_DESK, Role.STEWARD, Role.SUPERVISOR, Role.MANAGER, Role.FINANCE)
PRINTERS = VIEWERS
PHOTO_VIEWERS = VIEWERS + (Role.GUARD,)
MAX_LISTED = 200


@bp.app_template_global()
def worker_rows(r: Renovation) -> list[ps.WorkerRow]:
    """For templates/renovation/_workers.html, which gets only `r`."""
    return ps.worker_rows(r)


@bp.app_template_global()
def worker_amounts(community_id: int):
    return ps.amounts(community_id)


bp.add_app_template_filter(ps.yuan, "yuan")


def _next() -> str | None:
    """The form's `next` when it is a path on this site."""

    return local_next()


def load_renovation(renovation_id: int) -> Renovation:
    r = get_or_404(Renovation, renovation_id)
    return r


def load_worker(worker_id: int) -> Worker:
    w = get_or_404(Worker, worker_id, community_of=lambda o: o.renovation.community_id)
    return w


def _workers_page(r: Renovation, status: int = 200, error: str | None = None):
    return render_page("renovation/workers.html", status=status, r=r, error=error)


# --- the list of a renovation's workers, and finance's list -----------------------------

@bp.get("/<id:renovation_id>/workers")
@allow(*VIEWERS)
def workers(renovation_id: int):
    return _workers_page(load_renovation(renovation_id))


@bp.get("/workers")
@allow(*VIEWERS)
def worker_list():
    """Workers of this community awaiting the fees, and the passes out (finance's desk)."""
    rows = db.session.scalars(
        select(Worker).join(Renovation, Worker.renovation_id == Renovation.id)
        .where(Renovation.community_id == g.community.id, Worker.returned_at.is_(None),
               Renovation.state == RenovationState.APPROVED)
        .options(selectinload(Worker.renovation).selectinload(Renovation.unit))
        .order_by(Worker.paid_at.is_not(None), Worker.id.desc()).limit(MAX_LISTED)).all()
    out = ps.rows_for(list(rows))
    return render_page("renovation/worker_list.html", rows=out, unpaid=[x for x in out if x.state == "unpaid"],
                       out_now=[x for x in out if x.state != "unpaid"])


# --- registering a worker [R3][R4] -----------------------------------------------------

def _worker_form(r: Renovation) -> pass_forms.WorkerForm:
    form = pass_forms.WorkerForm()
    if request.method == "GET":
        form.valid_until.data = r.ends_on
    return form


def _new_page(r: Renovation, form, status: int = 200, refused: str | None = None):
    return render_page("renovation/worker_new.html", status=status, r=r, form=form, refused=refused,
                       today=site_today(), amounts=ps.amounts(r.community_id), trades=pass_forms.TRADES)


def _to_workers(_key: str) -> str:
    """A double tap of 登记: the first one registered; to the renovation's workers."""
    return url_for("renovation.workers", renovation_id=request.view_args["renovation_id"])


@bp.route("/<id:renovation_id>/workers/new", methods=["GET", "POST"])
@allow(*REGISTRARS)
@idempotency.on_repeat(_to_workers)
def worker_new(renovation_id: int):
    r = load_renovation(renovation_id)
    form = _worker_form(r)
    try:
        ps._check_open(r, site_today())
    except ps.PassError as e:  # [R3][R4] no pass without an approved renovation in its period
        return _new_page(r, form, 409, refused=str(e))
    if request.method == "GET":
        return _new_page(r, form)
    if not form.validate_on_submit():
        return _new_page(r, form, 422)
    reg = ps.Registration(applicant_name=form.applicant_name.data, applicant_role=form.applicant_role.data,
                          name=form.name.data, id_number=form.id_number.data, phone=form.phone.data,
                          trade=form.trade.data, valid_until=form.valid_until.data)
    stored = None
    try:
        ps.check_registration(r, reg)  # before the photo is stored
        stored = save_photo(form.photo.data, folder=f"c{r.community_id}/workers")
        w = ps.register_worker(r, reg, stored, current_user._get_current_object())
        db.session.commit()
    except PhotoError as e:
        db.session.rollback()
        form.photo.errors = [str(e)]
        return _new_page(r, form, 422)
    except ps.PassError as e:
        db.session.rollback()
        if stored is not None:
            delete_photo(stored)
        target = form[e.field] if e.field in form._fields else form.name
        target.errors = list(target.errors) + [str(e)]
        return _new_page(r, form, 422)
    except BaseException:
        db.session.rollback()
        if stored is not None:
            delete_photo(stored)
        raise
    flash(f"已登记 {w.name}。请到财务缴纳押金 {ps.yuan(w.deposit)} 元和工本费 {ps.yuan(w.card_fee)} 元"
          f"（共 {ps.yuan(w.deposit + w.card_fee)} 元），缴费后发证。", "ok")
    return redirect(url_for("renovation.workers", renovation_id=r.id), 303)


# --- fees, the pass and its return [R5] ------------------------------------------------

def _back(w: Worker):
    return redirect(_next() or url_for("renovation.workers", renovation_id=w.renovation_id), 303)


@bp.post("/workers/<id:worker_id>/pay")
@allow(Role.FINANCE)
def worker_pay(worker_id: int):
    """Finance records the deposit and card fee with the receipt number; then the pass is issued."""
    w = load_worker(worker_id)
    form = pass_forms.PayForm()
    if not form.validate_on_submit():
        return _workers_page(w.renovation, 422, error=(form.receipt_no.errors or ["请求无效，请刷新页面后重试。"])[0])
    if w.paid_at is not None and (w.receipt_no or "").upper() == "".join(form.receipt_no.data.split()).upper():
        return _back(w)  # the same payment sent twice
    try:
        doc = ps.pay_and_issue(w, form.receipt_no.data, current_user._get_current_object())
        db.session.commit()
    except ps.PassError as e:
        db.session.rollback()
        return _workers_page(load_worker(worker_id).renovation, 409, error=str(e))
    flash(f"已收取 {w.name} 的押金和工本费（收据 {w.receipt_no} 已办），出入证 {doc.serial} 已发。", "ok")
    return _back(w)


@bp.context_processor
def _pass_helpers():
    return {"passes_to_extend": ps.passes_to_extend}


@bp.post("/<id:renovation_id>/workers/extend")
@allow(Role.FRONT_DESK, Role.SUPERVISOR, Role.MANAGER, Role.FINANCE)
def workers_extend(renovation_id: int):
    """[R6] After an extension: new passes valid until the renovation's new end."""
    r = load_renovation(renovation_id)
    if not Form().validate_on_submit():
        abort(400)
    try:
        issued = ps.extend_passes(r, current_user._get_current_object())
        db.session.commit()
    except ps.PassError as e:
        db.session.rollback()
        return _workers_page(load_renovation(renovation_id), 409, error=str(e))
    flash(f"已为 {len(issued)} 人换发出入证，有效期至 {r.ends_on.isoformat()}。" if issued else "没有需要延期的出入证。",
          "ok")
    return redirect(url_for("renovation.workers", renovation_id=r.id), 303)


@bp.post("/workers/<id:worker_id>/return")
@allow(Role.FINANCE)
def worker_return(worker_id: int):
    """The pass comes back: the deposit refund is recorded and the pass revoked (已退证)."""
    w = load_worker(worker_id)
    form = pass_forms.ReturnForm()
    if not form.validate_on_submit():
        return _workers_page(w.renovation, 422,
                             error=(form.refund_receipt_no.errors or ["请求无效，请刷新页面后重试。"])[0])
    if w.returned_at is not None and (w.refund_receipt_no or "").upper() == \
            "".join(form.refund_receipt_no.data.split()).upper():
        return _back(w)  # sent twice
    try:
        ps.return_pass(w, form.refund_receipt_no.data, current_user._get_current_object())
        db.session.commit()
    except ps.PassError as e:
        db.session.rollback()
        return _workers_page(load_worker(worker_id).renovation, 409, error=str(e))
    flash(f"{w.name} 的出入证已退还，退押金 {ps.yuan(w.deposit)} 元（收据 {w.refund_receipt_no}）。", "ok")
    return _back(w)


NAME_EDITORS = (Role.FRONT_DESK, Role.SUPERVISOR)


@bp.post("/workers/<id:worker_id>/name")
@allow(*NAME_EDITORS)
def worker_name(worker_id: int):
    """更正姓名: the record is corrected and a pass in force is reissued with the new name (the
    old card verifies 已被取代 and names the new one)."""
    w = load_worker(worker_id)
    form = pass_forms.WorkerNameForm()
    if not form.validate_on_submit():
        return _workers_page(w.renovation, 422, error=(form.name.errors or ["请求无效，请刷新页面后重试。"])[0])
    try:
        before = w.name
        doc = ps.correct_name(w, form.name.data, current_user._get_current_object())
        db.session.commit()
    except ps.PassError as e:
        db.session.rollback()
        return _workers_page(load_worker(worker_id).renovation, 409 if e.field is None else 422, error=str(e))
    flash(f"已将“{before}”更正为“{w.name}”。" + (f"出入证已换发，新编号 {doc.serial}，请收回旧证。" if doc is not None else ""),
          "ok")
    return _back(w)


@bp.get("/workers/<id:worker_id>/pass.pdf")
@allow(*PRINTERS)
def worker_pass_pdf(worker_id: int):
    """The pass card (card size, photo, name, unit, valid until, QR), only once issued."""
    w = load_worker(worker_id)
    if w.paid_at is None:
        return render_error(409, ps.MSG_NOT_PAID)
    doc = ps.pass_of(w)
    if doc is None:
        return render_error(409, ps.MSG_NOT_PAID)
    if w.returned_at is not None:
        return render_error(409, ps.MSG_RETURNED)
    resp = make_response(ps._docs().pdf(doc))
    resp.mimetype = "application/pdf"
    resp.headers["Content-Disposition"] = f'inline; filename="pass-{doc.serial}.pdf"'
    resp.headers["Cache-Control"] = "no-store"
    return resp


@bp.get("/workers/<id:worker_id>/photo")
@allow(*PHOTO_VIEWERS)
def worker_photo(worker_id: int):
    """The worker's one-inch photo (the small copy; ?size=full for the stored one), to staff
    and guards of this community only."""
    w = load_worker(worker_id)
    path = w.photo_path if request.args.get("size") == "full" else (w.thumb_path or w.photo_path)
    return photo_response(path)
