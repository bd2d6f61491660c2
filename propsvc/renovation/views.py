"""Renovation routes: the list, the application (装修申请表), its page with approval, rejection
and finishing, the first-renovation inspection [R2], extensions [R6] and attachment photos.

The page's steps (approve, reject, finish, extensions) are declarations run by core.steps:
load the renovation of this community → validate the step's form → (its one-time key claimed by
core.idempotency first) → one service call → one commit, or the page again with the message:
409 for a step out of order, 422 for bad input."""
from flask import abort, flash, g, redirect, request, send_file, url_for
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from ..auth.services import history
from ..core import idempotency
from ..core.access import allow
from ..core.roles import Role
from ..core.steps import StepPage
from ..core.timefmt import site_today
from ..core.web import intake_block, intake_form, render_page
from ..extensions import db
from ..photos.services import PhotoError, delete_photo, open_photo, save_photo
from ..registry import services as registry
from . import forms, services
from .blueprint import bp
from .models import Extension, ExtensionState, Renovation, RenovationState

VIEWERS = (Role.FRONT_DESK, Role.STEWARD, Role.SUPERVISOR, Role.MANAGER, Role.FINANCE, Role.ADMIN, Role.TECHNICIAN)
INTAKE = (Role.FRONT_DESK, Role.STEWARD, Role.SUPERVISOR)
INSPECTORS = (Role.STEWARD, Role.SUPERVISOR)
FINISHERS = (Role.STEWARD, Role.SUPERVISOR, Role.MANAGER)
def load(renovation_id: int, lock: bool = False) -> Renovation:
    r = services.get_renovation(g.community.id, renovation_id, lock=lock)
    if r is None:
        abort(404)
    return r


def _photo_folder() -> str:
    return f"c{g.community.id}/renovations"


# --- the list ------------------------------------------------------------------------------

@bp.get("")
@allow(*VIEWERS)
def index():
    which = request.args.get("state", "open")
    if which not in services.LIST_FILTERS:
        which = "open"
    today = site_today()
    items = services.listing(g.community.id, which, today, current_user)
    return render_page("renovation/index.html", block="results", items=items, which=which,
                       filters=services.LIST_FILTERS, today=today, is_overdue=services.is_overdue,
                       limit=services.LIST_LIMIT)


# --- the application -----------------------------------------------------------------------

def _application_context(form, error: str | None = None) -> dict:
    found = registry.unit_lookup(g.community.id, form.unit_id.data, form.unit_q.data)
    unit, options, search_error = found.unit, found.options, found.error
    if unit is not None and request.method == "GET":
        form.first_renovation.data = not services.ever_approved(unit.id)  # [R2] default
    if unit is not None and form.unit_id.data != str(unit.id):
        form.unit_id.data = str(unit.id)
    return {
        "form": form, "unit": unit, "options": options, "search_error": search_error, "error": error,
        "owners": services.owners_of(unit) if unit else [],
        "pending": services.open_renovation_for_unit(unit.id) if unit else None,
        "months": services.settings_for(g.community.id).default_months or 3,
    }


def _save_photos(files, folder: str) -> list:
    stored = []
    try:
        for f in files:
            stored.append(save_photo(f, folder=folder))
    except PhotoError:
        for s in stored:
            delete_photo(s)
        raise
    return stored


def _applied(key: str) -> str | None:
    """A resubmitted application: to the renovation the first one recorded."""
    done = services.find_by_client_key(key)
    return url_for("renovation.show", renovation_id=done.id) if done is not None else None


def _to_renovation(_key: str) -> str:
    """A repeated step: back to the renovation's page (it shows what the first one did)."""
    return url_for("renovation.show", renovation_id=request.view_args["renovation_id"])


@bp.route("/new", methods=["GET", "POST"])
@allow(*INTAKE)
@idempotency.on_repeat(_applied)
def new():
    form = intake_form(forms.ApplicationForm)
    error, status = None, 422
    if request.method == "POST" and form.validate():
        files = [f for f in (form.photos.data or []) if getattr(f, "filename", "")]
        try:
            stored = _save_photos(files, _photo_folder())
        except PhotoError as e:
            form.photos.errors = [str(e)]
        else:
            try:
                r = services.apply(g.community.id, services.Application(
                    unit_id=form.unit_id.data, applicant_name=form.applicant_name.data or "",
                    applicant_role=form.applicant_role.data, lead_company=form.lead_company.data,
                    lead_name=form.lead_name.data, lead_phone=form.lead_phone.data,
                    lead_id_number=form.lead_id_number.data, scope=form.scope.data,
                    starts_on=form.starts_on.data, ends_on=form.ends_on.data,
                    first_renovation=bool(form.first_renovation.data), client_key=idempotency.current_key(),
                    attachments=[{"path": s.path, "thumb": s.thumb_path} for s in stored]), current_user)
                db.session.commit()
            except services.RenovationError as e:
                db.session.rollback()
                for s in stored:
                    delete_photo(s)
                error, status = str(e), e.status
            else:
                flash(f"已登记 {r.unit.label} 的装修申请，待经理审批。", "ok")
                return redirect(url_for("renovation.show", renovation_id=r.id), 303)
    status = status if request.method == "POST" else 200
    return render_page("renovation/new.html", block=intake_block(), status=status, **_application_context(form, error))


# --- the renovation page -------------------------------------------------------------------

STEP_FORMS = {
    "approve": forms.NoteForm, "reject": forms.ReasonForm, "finish": forms.NoteForm, "extend": forms.ExtensionForm,
    "review": forms.DecisionForm, "decide": forms.DecisionForm, "fee": forms.FeeForm,
}


def _page(r: Renovation, status: int = 200, error: str | None = None, failed: str | None = None,
          failed_form=None):
    today = site_today()
    events, users = history("renovation", r.id)
    docs = services.document_statuses(r, today)
    return render_page(
        "renovation/show.html", block="content", status=status, r=r, renovation=r, unit=r.unit,
        owners=services.owners_of(r.unit), events=events, users=users, labels=services.EVENT_LABELS,
        docs=docs, documents_ready=services.documents_available(),
        inspection=services.inspection_of(r), points=services.INSPECTION_POINTS,
        attachments=services.attachments(r), open_ext=services.open_extension(r),
        ext_label=services.extension_label, ext_applied=services.extension_applied,
        overdue=services.is_overdue(r, today), today=today, error=error, forms=STEPS.forms_for(failed, failed_form),
        failed=failed, roles=services.APPLICANT_ROLES, ExtensionState=ExtensionState, RenovationState=RenovationState)


# The renovation page's steps (core.steps): load it locked, validate the step's form, one
# service call, commit; or the page again with the message.
STEPS = StepPage(load=load, forms=STEP_FORMS, page=_page, refusal=services.RenovationError,
                 show_url=lambda r: url_for("renovation.show", renovation_id=r.id))


@bp.get("/<id:renovation_id>")
@allow(*VIEWERS)
def show(renovation_id: int):
    return _page(load(renovation_id))


@bp.post("/<id:renovation_id>/approve")
@allow(Role.MANAGER)
@STEPS.step("approve", done="已批准；房屋状态改为装修中。")
def approve(r, _form):
    doc = services.approve(r, current_user)
    return f"已批准，发放装修许可证 {doc.serial}；房屋状态改为装修中。" if doc else None


@bp.post("/<id:renovation_id>/reject")
@allow(Role.MANAGER)
@STEPS.step("reject", done="已驳回装修申请并记录原因，业主可修改后重新申请。")
def reject(r, f):
    services.reject(r, current_user, f.reason.data)


@bp.post("/<id:renovation_id>/finish")
@allow(*FINISHERS)
@STEPS.step("finish", done="已登记完工，装修到此结束。")
def finish(r, f):
    status = services.finish(r, current_user, f.note.data)
    return f"已登记完工，房屋状态改为{r.unit.status_label}。" if status else None


# --- extensions [R6] -----------------------------------------------------------------------

@bp.post("/<id:renovation_id>/extensions")
@allow(*INTAKE)
@STEPS.step("extend", done="已登记延期申请，待工程主管审核。")
def extend(r, f):
    services.request_extension(r, current_user, name=f.requester_name.data, role=f.requester_role.data,
                               reason=f.reason.data, new_end=f.new_end.data, fee=f.fee.data or 0)


def _extension(r: Renovation, extension_id: int) -> Extension:
    for ext in r.extensions:
        if ext.id == extension_id:
            return ext
    abort(404)


def _moved(r: Renovation, ext: Extension) -> str:
    if services.extension_applied(ext):
        return f"完工日期已延至 {r.ends_on.isoformat()}。"
    return f"已批准；待财务收取延期费用 {ext.fee} 元后生效。"


@bp.post("/<id:renovation_id>/extensions/<id:extension_id>/review")
@allow(Role.SUPERVISOR)
@STEPS.step("review", done="已审核，待经理审批。")
def extension_review(r, f, extension_id: int):
    agree = f.decision.data == "agree"
    services.review_extension(r, _extension(r, extension_id), current_user, agree=agree, note=f.note.data)
    return "工程审核通过，待经理审批。" if agree else "工程审核不同意，延期申请已退回。"


@bp.post("/<id:renovation_id>/extensions/<id:extension_id>/approve")
@allow(Role.MANAGER)
@STEPS.step("decide", done="已审批，结果已记入延期申请。")
def extension_approve(r, f, extension_id: int):
    ext = _extension(r, extension_id)
    agree = f.decision.data == "agree"
    services.approve_extension(r, ext, current_user, agree=agree, note=f.note.data)
    return _moved(r, ext) if agree else "经理不同意延期，申请已退回。"


@bp.post("/<id:renovation_id>/extensions/<id:extension_id>/fee")
@allow(Role.FINANCE)
@STEPS.step("fee", done="已收取延期费用，待经理审批后生效。")
def extension_fee(r, f, extension_id: int):
    ext = _extension(r, extension_id)
    services.pay_extension_fee(r, ext, current_user, f.receipt_no.data)
    return f"已收取延期费用 {ext.fee} 元（收据号 {ext.fee_receipt_no}）。" + (
        _moved(r, ext) if services.extension_applied(ext) else "待经理审批后生效。")


# --- the first-renovation inspection [R2] --------------------------------------------------

def _inspection_page(r: Renovation, form, status: int = 200, error: str | None = None):
    return render_page("renovation/inspection.html", block="content", status=status, r=r, unit=r.unit, form=form,
                       points=services.INSPECTION_POINTS, inspection=services.inspection_of(r),
                       neighbours=services.neighbours(r), owners=services.owners_of(r.unit), error=error)


@bp.route("/<id:renovation_id>/inspection", methods=["GET", "POST"])
@allow(*INSPECTORS)
@idempotency.on_repeat(_to_renovation)
def inspect(renovation_id: int):
    r = load(renovation_id, lock=request.method == "POST")
    form = forms.InspectionForm()
    if request.method == "GET":
        return _inspection_page(r, form)
    if not form.validate_on_submit():
        return _inspection_page(r, form, 422)
    if services.inspection_of(r) is not None or r.state not in services.OPEN_STATES:
        msg = ("该装修已登记首次装修检查，不能重复登记。" if services.inspection_of(r) is not None
               else f"该装修当前为“{r.state_label}”，不能再登记首次装修检查。")
        return _inspection_page(r, form, 409, msg)
    files = {k: form[f"{k}_photo"].data for k in services.INSPECTION_POINTS}
    files = {k: f for k, f in files.items() if getattr(f, "filename", "")}
    points = {k: services.PointResult(ok={"ok": True, "defect": False}.get(form[f"{k}_result"].data),
                                      note=form[f"{k}_note"].data or "", photo="pending" if k in files else None)
              for k in services.INSPECTION_POINTS}
    problems = services.inspection_problems(points, form.rules_told.data, form.neighbours_told.data)
    if problems:
        for name, msg in problems.items():
            form[name].errors = [msg]
        return _inspection_page(r, form, 422, "检查记录不完整，请按提示补充。")
    stored = {}
    try:
        for k, f in files.items():
            s = save_photo(f, folder=_photo_folder())
            stored[k] = s
            points[k].photo, points[k].thumb = s.path, s.thumb_path
    except PhotoError as e:
        for s in stored.values():
            delete_photo(s)
        form[f"{k}_photo"].errors = [str(e)]
        return _inspection_page(r, form, 422)
    try:
        services.record_inspection(r, current_user, points, True, True)
        db.session.commit()
    except (services.RenovationError, IntegrityError) as e:
        db.session.rollback()
        for s in stored.values():
            delete_photo(s)
        msg = str(e) if isinstance(e, services.RenovationError) else "该装修已登记首次装修检查，不能重复登记。"
        return _inspection_page(load(renovation_id), form, getattr(e, "status", 409), msg)
    flash("已保存首次装修检查记录。", "ok")
    return redirect(url_for("renovation.show", renovation_id=r.id), 303)


# --- photos --------------------------------------------------------------------------------

@bp.get("/<id:renovation_id>/photo")
@allow(*VIEWERS)
def photo(renovation_id: int):
    """An attachment or inspection photo of this renovation (only paths it recorded)."""
    r = load(renovation_id)
    path = request.args.get("path", "")
    known = {}
    for a in services.attachments(r):
        known[a.get("path")] = a
    ins = services.inspection_of(r)
    for v in (ins.results.values() if ins else []):
        if v.get("photo"):
            known[v["photo"]] = {"path": v["photo"], "thumb": v.get("thumb")}
    entry = known.get(path)
    if not path or entry is None:
        abort(404)
    rel = entry.get("thumb") if request.args.get("thumb") and entry.get("thumb") else entry["path"]
    try:
        full = open_photo(rel)
    except FileNotFoundError:
        abort(404)
    resp = send_file(full, mimetype="image/jpeg", max_age=0)
    resp.headers["Cache-Control"] = "private, max-age=86400"
    return resp

