"""Release-slip routes: the list, registering a slip at the front desk (unit look-up, the
applicant [S2], the carrier, items, the applicant's signature on the kiosk or on paper), its
page with the supervisor's signature, the manager's approval (seal), refusing or cancelling
with a reason, the printed PDF (documents.pdf_view) and the stored signature images.

The guard's side (check and release at the gate) lives on the gate page
(propsvc/renovation/gate.py)."""
from flask import abort, flash, g, make_response, redirect, request, url_for
from jinja2_fragments.flask import render_block
from flask_login import current_user

from ..auth.services import history
from ..core import idempotency
from ..core.access import allow
from ..core.roles import Role
from ..core.steps import StepPage
from ..core.timefmt import site_today
from ..core.web import intake_block, intake_form, render_page
from ..documents import service as docs
from ..extensions import db
from ..photos.services import PhotoError
from ..registry import services as registry
from ..registry.models import OccupantRole
from . import forms, services
from .blueprint import bp
from .models import APPLICANT_ROLES, ReleaseSlip, SlipState

VIEWERS = (Role.FRONT_DESK, Role.STEWARD, Role.SUPERVISOR, Role.MANAGER, Role.GUARD, Role.ADMIN)
INTAKE = (Role.FRONT_DESK, Role.STEWARD, Role.SUPERVISOR)
CANCELLERS = (Role.FRONT_DESK, Role.STEWARD, Role.SUPERVISOR, Role.MANAGER)
DECIDERS = (Role.SUPERVISOR, Role.MANAGER)
# Signatures and consent letters: the staff who register, sign and approve slips.
IMAGE_VIEWERS = (Role.FRONT_DESK, Role.STEWARD, Role.SUPERVISOR, Role.MANAGER, Role.ADMIN)


def load(slip_id: int, lock: bool = False) -> ReleaseSlip:
    s = services.get_slip(g.community.id, slip_id, lock=lock)
    if s is None:
        abort(404)
    return s


# --- the list ------------------------------------------------------------------------------

@bp.get("")
@allow(*VIEWERS)
def index():
    which = request.args.get("state") or ("today" if current_user.has_role(Role.GUARD) else "open")
    if which not in services.LIST_FILTERS:
        which = "open"
    today = site_today()
    return render_page("slips/index.html", block="results", items=services.listing(g.community.id, which, today),
                       which=which, filters=services.LIST_FILTERS, limit=services.LIST_LIMIT, today=today,
                       doc_status=lambda s: docs.status_of(s.document, today) if s.document is not None else None)


# --- registering ---------------------------------------------------------------------------

def _context(form, error: str | None = None) -> dict:
    found = registry.unit_lookup(g.community.id, form.unit_id.data, form.unit_q.data)
    unit, options, search_error = found.unit, found.options, found.error
    if unit is not None:
        form.unit_id.data = unit.id
    if request.method == "GET" and not form.consent_staff.data:
        form.consent_staff.data = current_user.name
    people = {"owner": [], "tenant": []}
    if unit is not None:
        for o in unit.current_occupancies(site_today()):
            if o.role in (OccupantRole.OWNER, OccupantRole.TENANT):
                people[o.role].append(o.person)
    # [S2] The applicant the records name for the chosen role (the owner by default), filled in
    # while the name is blank; static/js/prefill.js does the same when htmx swaps the unit in.
    applicants = services.known_applicants(unit) if unit is not None else {}
    prefilled = None
    if request.method == "GET" and unit is not None and not (form.applicant_name.data or "").strip():
        prefilled = applicants.get(form.applicant_role.data or "owner")
        form.applicant_name.data = prefilled
    return {"form": form, "unit": unit, "options": options, "search_error": search_error, "error": error,
            "owners": people["owner"], "tenants": people["tenant"], "applicants": applicants, "prefilled": prefilled,
            "renovation": services.running_renovation(unit.id) if unit is not None else None,
            **_lines_context(form)}


def _lines_context(form, **more) -> dict:
    """What the item rows and the + 添加一行 button need: the next row's index (after every
    posted one) and number."""
    return {"max_items": services.MAX_ITEMS, "name_max": services.ITEM_NAME_MAX,
            "next_index": form.items.last_index + 1, "next_no": len(form.items.entries) + 1, **more}


def _new_row():
    """GET ?part=row&i=<index>&n=<number>: one blank item row (the page's block item_row) and the
    add button again, out of band, asking for the row after it. Writes nothing."""
    i, n = request.args.get("i", type=int), request.args.get("n", type=int)
    if i is None or not 0 <= i < forms.ROW_INDEX_LIMIT:
        abort(400)
    n = n if n is not None and 1 <= n <= forms.MAX_ROWS else 1
    form = forms.SlipForm(formdata=None)
    form.items.entries, form.items.last_index = [], i - 1
    row = form.items.append_entry()
    ctx = {"form": form, "row": row, "no": n, "focus_row": row.id, **_lines_context(form)}
    ctx["next_no"] = n + 1
    body = render_block("slips/new.html", "item_row", **ctx) + render_block("slips/new.html", "add_line", oob=True,
                                                                           **ctx)
    resp = make_response(body, 200)
    resp.vary.add("HX-Request")
    return resp


def _input(form) -> services.SlipInput:
    photo = form.consent_photo.data if getattr(form.consent_photo.data, "filename", "") else None
    return services.SlipInput(
        unit_id=form.unit_id.data, applicant_role=form.applicant_role.data,
        applicant_name=form.applicant_name.data,
        carrier_name=form.carrier_name.data, carrier_id_number=form.carrier_id_number.data,
        carrier_phone=form.carrier_phone.data, items=form.item_rows(), moving_on=form.moving_on.data,
        vehicle_plate=form.vehicle_plate.data, signature_png=getattr(form, "signature_png", None),
        consent=services.Consent(method=form.consent_method.data or None, owner_name=form.consent_owner.data,
                                 staff_name=form.consent_staff.data),
        consent_png=getattr(form, "consent_png", None), consent_photo=photo, client_key=idempotency.current_key())


def _field_error(form, e: services.SlipError) -> str | None:
    """Put the refusal next to its field; returns it as the page's message too."""
    target = getattr(form, e.field, None) if e.field else None
    if target is not None:
        target.errors = list(target.errors or []) + [str(e)]
    return str(e)


def _registered(key: str) -> str | None:
    """A resubmitted slip form: to the slip the first one registered."""
    done = services.find_by_client_key(key)
    return url_for("slips.detail", slip_id=done.id) if done is not None else None


@bp.route("/new", methods=["GET", "POST"])
@allow(*INTAKE)
@idempotency.on_repeat(_registered)
def new():
    if request.method == "GET" and request.args.get("part") == "row":
        return _new_row()
    form = intake_form(forms.SlipForm)
    error, status, focus_row, note = None, 422, None, None
    if request.method == "POST" and request.form.get("more"):
        # 更多行 (no JavaScript): the form again as typed, with blank rows; nothing is saved
        added = form.items.add_blank(forms.MORE_ROWS)
        status = 200
        if added:
            focus_row = added[0].id
        else:
            note = f"已有{len(form.items.entries)}行，不能再添加；一张放行条最多{services.MAX_ITEMS}项物品。"
    elif request.method == "POST" and form.validate():
        written = []
        try:
            s, written = services.register(g.community.id, _input(form), current_user)
            db.session.commit()
        except (services.SlipError, PhotoError) as e:
            db.session.rollback()
            for rel in written:
                services.remove_file(rel)
            if isinstance(e, PhotoError):
                form.consent_photo.errors = [str(e)]
                error = str(e)
            else:
                error, status = _field_error(form, e), e.status
        else:
            flash(f"已登记放行条 {s.serial}（{s.unit.label}），待值班主管签字。", "ok")
            return redirect(url_for("slips.detail", slip_id=s.id), 303)
    elif request.method == "POST":
        error = "请按提示修改后再提交。"
    status = status if request.method == "POST" else 200
    return render_page("slips/new.html", block=intake_block(), status=status, focus_row=focus_row, lines_note=note,
                       **_context(form, error))


# --- the slip's page -----------------------------------------------------------------------

STEP_FORMS = {"sign": forms.StepForm, "approve": forms.StepForm, "refuse": forms.ReasonForm,
              "cancel": forms.ReasonForm}


def _page(s: ReleaseSlip, status: int = 200, error: str | None = None, failed: str | None = None, failed_form=None):
    events, users = history("releaseslip", s.id)
    doc = services.document_of(s)
    return render_page(
        "slips/detail.html", block="content", status=status, s=s, unit=s.unit, doc=doc,
        doc_status=docs.status_of(doc) if doc is not None else None,
        gate=services.gate_status(s), gate_labels=services.GATE_LABELS, events=events, users=users,
        labels=services.EVENT_LABELS, forms=STEPS.forms_for(failed, failed_form), failed=failed, error=error,
        roles=APPLICANT_ROLES, see_images=current_user.has_role(*IMAGE_VIEWERS), SlipState=SlipState)


# The slip page's steps (core.steps): load it locked, validate the step's form, one service
# call, commit; or the page again with the message.
STEPS = StepPage(load=load, forms=STEP_FORMS, page=_page, refusal=services.SlipError,
                 show_url=lambda s: url_for("slips.detail", slip_id=s.id))


@bp.get("/<id:slip_id>")
@allow(*VIEWERS)
def detail(slip_id: int):
    return _page(load(slip_id))


@bp.post("/<id:slip_id>/sign")
@allow(Role.SUPERVISOR)
@STEPS.step("sign")
def sign(s, _f):
    services.sign(s, current_user)
    return f"已签字，放行条 {s.serial} 待经理审批盖章。"


@bp.post("/<id:slip_id>/approve")
@allow(Role.MANAGER)
@STEPS.step("approve")
def approve(s, _f):
    doc = services.approve(s, current_user)
    return f"已批准并盖章，放行条 {doc.serial} 生效（仅限 {s.moving_on.isoformat()} 当日有效）。"


@bp.post("/<id:slip_id>/refuse")
@allow(*DECIDERS)
@STEPS.step("refuse")
def refuse(s, f):
    services.refuse(s, current_user, f.reason.data)
    return f"已驳回放行条 {s.serial}。"


@bp.post("/<id:slip_id>/cancel")
@allow(*CANCELLERS)
@STEPS.step("cancel")
def cancel(s, f):
    services.cancel(s, current_user, f.reason.data)
    return f"已取消放行条 {s.serial}。"


# --- the stored images ---------------------------------------------------------------------

def _png(rel: str | None):
    from flask import send_file

    from ..photos.services import open_photo

    if not rel:
        abort(404)
    try:
        full = open_photo(rel)
    except FileNotFoundError:
        abort(404)
    mimetype = "image/png" if full.suffix == ".png" else "image/jpeg"
    resp = send_file(full, mimetype=mimetype, max_age=0)
    resp.headers["Cache-Control"] = "private, max-age=86400"
    return resp


@bp.get("/<id:slip_id>/signature")
@allow(*IMAGE_VIEWERS)
def signature(slip_id: int):
    return _png(load(slip_id).signature_path)


@bp.get("/<id:slip_id>/consent")
@allow(*IMAGE_VIEWERS)
def consent(slip_id: int):
    return _png(load(slip_id).consent_path)
