"""Fees routes [D4]. Who may use what:
- finance, supervisor, manager: everything — items and settings, monthly bills, the arrears
  import, payments and reversals, the arrears list and its XLSX export;
- steward: the arrears list of their buildings, a unit's fee page (read), the daily collection
  round and its contact records (only in their own or covered buildings).
Each POST: validate the form → one service call → one commit; bad input: the message next to
its field with a 422 (409 for a receipt number used before), nothing saved."""
import io

from flask import abort, flash, g, redirect, render_template, request, send_file, url_for
from flask_login import current_user
from markupsafe import Markup

from ..core import idempotency
from ..core.access import allow
from ..core.roles import Role
from ..core.timefmt import site_today
from ..core.web import render_page
from ..extensions import db
from . import forms, importer, services
from .blueprint import bp
from .models import CONTACT_METHODS, METHODS, RESULTS
from .money import cn_upper, yuan

OFFICE = (Role.FINANCE, Role.SUPERVISOR, Role.MANAGER)
VIEWERS = (*OFFICE, Role.STEWARD)
COLLECTORS = (Role.STEWARD, Role.SUPERVISOR, Role.MANAGER)


def _common() -> dict:
    return {"yuan": yuan, "methods": METHODS, "contact_methods": CONTACT_METHODS, "results": RESULTS}


def _first_error(form) -> str:
    return next((e for errs in form.errors.values() for e in errs), "请检查填写的内容。")


def _step(form, act, page, default_field: str, fields: dict | None = None):
    """The shape of the POSTs here: validate the form → one service call `act(form)` returning
    (message, where to go) → commit, flash and 303 there; or rollback and `page(status, form)`
    again with the refusal under its field (FeeError.field, through `fields` when the form names
    it otherwise; else `default_field`) and the error's status (422, 409 for a clash; 404 is
    a plain not-found)."""
    status = 422
    if form.validate():
        try:
            message, where = act(form)
            db.session.commit()
        except services.FeeError as e:
            db.session.rollback()
            if e.status == 404:
                abort(404)
            name = (fields or {}).get(e.field, e.field) or default_field
            target = getattr(form, name, None) or getattr(form, default_field)
            target.errors = [*target.errors, str(e)]
            status = e.status
        else:
            flash(message, "ok")
            return redirect(where, 303)
    return page(status, form)


# --- overview: bills of a month, items, settings ---------------------------------------------

def _index_page(status=200, gen=None, item_form=None, settings_form=None):
    cid, today = g.community.id, site_today()
    period = services.period_of(today)
    billed, paid = services.collection_rate(cid, period)
    s = services.settings_for(cid)
    gen = gen or forms.GenerateForm(formdata=None, period=period)
    settings_form = settings_form or forms.SettingsForm(formdata=None, daily_round=s.daily_round,
                                                        target_pct=s.target_pct)
    return render_page("fees/index.html", status=status, period=period, billed=billed, paid=paid,
                       rate=services.pct(paid, billed), target=s.target_pct, items=services.items(cid),
                       gen=gen, item_form=item_form or forms.ItemForm(formdata=None),
                       settings_form=settings_form, receipts=services.receipts_on(cid, today), **_common())


@bp.get("")
@allow(*OFFICE)
def index():
    return _index_page()


@bp.post("/generate")
@allow(*OFFICE)
def generate():
    def act(f):
        result = services.generate_month(g.community.id, services.parse_period(f.period.data), current_user)
        return result.summary, url_for("fees.index")
    return _step(forms.GenerateForm(), act, lambda status, f: _index_page(status, gen=f), "period")


@bp.post("/items")
@allow(*OFFICE)
def item_save():
    def act(f):
        services.save_item(g.community.id, current_user, item_id=request.args.get("item_id", type=int),
                           name=f.name.data, kind=f.kind.data, rate_fen=f.rate.fen, active=f.active.data)
        return "收费项目已保存。", url_for("fees.index")
    return _step(forms.ItemForm(), act, lambda status, f: _index_page(status, item_form=f), "name")


@bp.post("/settings")
@allow(Role.SUPERVISOR, Role.MANAGER)
def settings():
    def act(f):
        services.save_settings(g.community.id, current_user, daily_round=f.daily_round.data,
                               target_pct=f.target_pct.data)
        return "设置已保存。", url_for("fees.index")
    return _step(forms.SettingsForm(), act, lambda status, f: _index_page(status, settings_form=f), "daily_round")


# --- the arrears import ----------------------------------------------------------------------

@bp.route("/import", methods=["GET", "POST"])
@allow(*OFFICE)
def import_arrears():
    form = forms.ImportForm()
    result, status = None, 200
    if request.method == "POST":
        upload = form.file.data
        if not upload or not getattr(upload, "filename", ""):
            form.file.errors = ["请选择要导入的 CSV 或 XLSX 文件。"]
            status = 422
        else:
            result = importer.import_arrears(g.community.id, upload.filename, upload.read(), current_user)
            if result.ok:
                db.session.commit()
                flash(result.summary, "ok")
                return redirect(url_for("fees.arrears_list"), 303)
            db.session.rollback()
            status = 422
    return render_page("fees/import.html", status=status, form=form, result=result, columns=importer.COLUMNS)


@bp.get("/import/example.csv")
@allow(*OFFICE)
def import_example():
    return send_file(io.BytesIO(importer.example_csv()), mimetype="text/csv", as_attachment=True,
                     download_name="欠费导入模板.csv")


# --- a unit's fees: bills, payments, contacts; payments and reversals --------------------------

def _unit_or_404(unit_id: int):
    unit = services.load_unit(g.community.id, unit_id)
    if unit is None:
        abort(404)
    return unit


def _unit_page(unit, status=200, pay_form=None):
    today = site_today()
    if pay_form is None:
        pay_form = forms.PaymentForm(formdata=None, paid_on=today)
    return render_page("fees/unit.html", status=status, unit=unit, bills=services.unit_bills(unit.id),
                       due=services.unit_due(unit.id), credit=services.unit_credit(unit.id),
                       payments=services.payments_of(unit.id), contacts=services.contacts_of(unit.id),
                       pay_form=pay_form, reverse_form=forms.ReverseForm(formdata=None), cn_upper=cn_upper,
                       receipt_of=services.receipt_of,
                       **_common())


@bp.get("/units/<id:unit_id>")
@allow(*VIEWERS)
def unit(unit_id: int):
    return _unit_page(_unit_or_404(unit_id))


def _payment_repeat(key):
    p = services.find_payment_by_key(key)
    return url_for("fees.unit", unit_id=p.unit_id) if p else None


@bp.post("/units/<id:unit_id>/pay")
@allow(*OFFICE)
@idempotency.on_repeat(_payment_repeat)
def pay(unit_id: int):
    u = _unit_or_404(unit_id)

    def act(f):
        bill_ids = [int(x) for x in request.form.getlist("bill") if x.isdigit() and len(x) < 10]
        p = services.record_payment(g.community.id, u, current_user, receipt_no=f.receipt_no.data,
                                    method=f.method.data, paid_on=f.paid_on.data, amount_fen=f.amount.fen,
                                    bill_ids=bill_ids or None, client_key=idempotency.current_key())
        msg = f"已收款 {yuan(p.amount_fen)} 元（收据 {p.receipt_no}）。"
        if p.credit_fen:
            msg += f"超出欠费的 {yuan(p.credit_fen)} 元已记为预存余额，下次出账时自动冲抵。"
        return msg, url_for("fees.unit", unit_id=u.id)
    return _step(forms.PaymentForm(), act, lambda status, f: _unit_page(u, status, pay_form=f), "amount",
                 {"bills": "amount"})


@bp.post("/payments/<id:payment_id>/reverse")
@allow(Role.FINANCE, Role.MANAGER)
def reverse(payment_id: int):
    p = services.get_payment(g.community.id, payment_id)
    if p is None:
        abort(404)
    form = forms.ReverseForm()
    if form.validate():
        try:
            services.reverse_payment(p, current_user, form.reason.data)
            db.session.commit()
        except services.FeeError as e:
            db.session.rollback()
            flash(str(e), "error")
            return redirect(url_for("fees.unit", unit_id=p.unit_id), 303)
        flash(f"收据 {p.receipt_no} 已冲正。", "ok")
    else:
        flash(_first_error(form), "error")
    return redirect(url_for("fees.unit", unit_id=p.unit_id), 303)


# --- the arrears list and its export ---------------------------------------------------------

def _arrears_rows():
    cid, today = g.community.id, site_today()
    mine = services.steward_buildings(current_user, cid, today)
    building = request.args.get("building", type=int)
    scope = mine
    if building is not None:
        scope = {building} if mine is None or building in mine else set()
    rows = services.arrears(cid, today, scope)
    sort = request.args.get("sort", "amount")
    return services.sort_arrears(rows, sort), sort, building, mine


@bp.get("/arrears")
@allow(*VIEWERS)
def arrears_list():
    rows, sort, building, mine = _arrears_rows()
    from ..registry.models import Building
    from sqlalchemy import select

    buildings = list(db.session.scalars(select(Building).where(Building.community_id == g.community.id)
                                        .order_by(Building.sort_key, Building.number)))
    if mine is not None:
        buildings = [b for b in buildings if b.id in mine]
    return render_page("fees/arrears.html", block="results", rows=rows, sort=sort, building=building,
                       buildings=buildings, total=sum(r.due_fen for r in rows),
                       buckets=services.bucket_totals(rows), **_common())


@bp.get("/arrears.xlsx")
@allow(*VIEWERS)
def arrears_xlsx():
    rows, _sort, _b, _m = _arrears_rows()
    data = importer.arrears_xlsx(rows)
    return send_file(io.BytesIO(data), as_attachment=True, download_name=f"欠费清单-{site_today():%Y%m%d}.xlsx",
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


# --- 催缴通知单: a batch per building or for a selection ------------------------------------------

def _buildings_for_user():
    from sqlalchemy import select

    from ..registry.models import Building

    mine = services.steward_buildings(current_user, g.community.id, site_today())
    rows = list(db.session.scalars(select(Building).where(Building.community_id == g.community.id)
                                   .order_by(Building.sort_key, Building.number)))
    return [b for b in rows if mine is None or b.id in mine], mine


@bp.route("/notices", methods=["GET", "POST"])
@allow(*VIEWERS)
def notices():
    form = forms.NoticeForm()
    buildings, mine = _buildings_for_user()
    status = 200
    if request.method == "POST":
        status = 422
        if form.validate():
            unit_ids = [int(x) for x in request.form.getlist("unit") if x.isdigit()]
            b = form.building.data
            if b is not None:
                if b not in {x.id for x in buildings}:
                    abort(404)
                unit_ids = services.units_of_building(g.community.id, b)
            if mine is not None:
                allowed = {a.unit_id for a in services.arrears(g.community.id, site_today(), mine)}
                unit_ids = [u for u in unit_ids if u in allowed]
            try:
                docs = services.issue_notices(g.community.id, unit_ids, current_user)
                db.session.commit()
            except services.FeeError as e:
                db.session.rollback()
                form.building.errors = [str(e)]
            else:
                flash(f"已生成 {len(docs)} 份催缴通知单（{docs[0].serial} 至 {docs[-1].serial}）。", "ok")
                return redirect(url_for("fees.notices_pdf", first=docs[0].id, last=docs[-1].id), 303)
    return render_page("fees/notices.html", status=status, form=form, buildings=buildings)


@bp.get("/notices.pdf")
@allow(*VIEWERS)
def notices_pdf():
    """The batch issued by one POST (its documents' id range) as one PDF; a steward gets only the
    notices of units in their buildings."""
    first, last = request.args.get("first", type=int), request.args.get("last", type=int)
    if first is None or last is None or not 0 < first <= last < 2**31 or last - first >= services.MAX_NOTICES * 4:
        abort(404)
    _b, mine = _buildings_for_user()
    docs = services.notice_batch(g.community.id, first, last, mine)
    if not docs:
        abort(404)
    resp = send_file(io.BytesIO(services.notices_pdf(docs)), mimetype="application/pdf",
                     download_name=f"催缴通知单-{docs[0].serial}.pdf")
    resp.headers["Cache-Control"] = "no-store"
    return resp


# --- the daily collection round ----------------------------------------------------------------

def _contact_repeat(key):
    c = services.find_contact_by_key(key)
    return url_for("fees.round") if c else None


def _round_page(form, status=200, error=None, error_unit=None):
    """今日催费: the steward's round of today with its progress. Commits nothing: a refused
    contact writes nothing (its one-time key stays usable for the corrected resend; and
    core.idempotency gives a refused request's key back in any case)."""
    day = site_today()
    lines = services.round_lines(current_user, g.community.id, day)
    return render_page("fees/round.html", block="content", status=status, lines=lines,
                       progress=services.progress_of(lines), day=day, form=form, error=error, error_unit=error_unit,
                       **_common())


@bp.get("/round")
@allow(*COLLECTORS)
def round():  # noqa: A001 - the route's name
    resp = _round_page(forms.ContactForm(formdata=None))
    db.session.commit()  # the round is drawn at first sight and kept
    return resp


@bp.post("/units/<id:unit_id>/contact")
@allow(*COLLECTORS)
@idempotency.on_repeat(_contact_repeat)
def contact(unit_id: int):
    u = _unit_or_404(unit_id)
    form = forms.ContactForm()
    if form.validate():
        try:
            services.record_contact(g.community.id, u, current_user, method=form.method.data, result=form.result.data,
                                    promised_on=form.promised_on.data, note=form.note.data,
                                    client_key=idempotency.current_key())
            db.session.commit()
        except services.FeeError as e:
            db.session.rollback()
            message, status = str(e), e.status  # 403: a unit outside the steward's buildings, said so
        else:
            flash(f"{u.label}：已记录。", "ok")
            return redirect(request.form.get("next") if request.form.get("next", "").startswith("/fees/")
                            else url_for("fees.round"), 303)
    else:
        message, status = _first_error(form), 422
    return _round_page(form, status, message, u.id)


# --- panels for 今日 and the briefing (core.hooks) ----------------------------------------------

def today_panel(user, community_id: int, day=None):
    """TODAY_PANELS: the steward's 今日催费 on 今日 (counts and the first lines)."""
    if not user.has_role(Role.STEWARD):
        return []
    day = day or site_today()
    drawn_before = services.has_round(user, day)
    lines = services.round_lines(user, community_id, day)
    if not lines:
        return []
    if not drawn_before:
        db.session.commit()  # drawn at first sight and kept, as on 今日催费 itself (services.round_for)
    return [Markup(render_template("fees/_today.html", lines=lines, progress=services.progress_of(lines), **_common()))]


def analysis_panel(community_id: int):
    """ANALYSIS_PANELS: the collection rate by building and month (last six months), as
    inline SVG bars drawn on the server."""
    periods = services.last_periods(site_today(), 6)
    data = services.rate_by_building_month(community_id, periods)
    if not data:
        return []
    return [Markup(render_template("fees/_analysis.html", periods=periods, data=data, pct=services.pct, **_common()))]


# --- paid repairs (issue 19 item 7) ---------------------------------------------------------------

PRICE_SETTERS = OFFICE
QUOTERS = (Role.STEWARD, Role.SUPERVISOR, Role.TECHNICIAN)
REPAIR_VIEWERS = (*OFFICE, Role.STEWARD, Role.TECHNICIAN)
CONSENT_TAKERS = (Role.STEWARD, Role.SUPERVISOR, Role.FRONT_DESK, Role.TECHNICIAN)
CHARGERS = (Role.STEWARD, Role.SUPERVISOR, Role.MANAGER)


@bp.route("/repairs/prices", methods=["GET", "POST"])
@allow(*PRICE_SETTERS)
def repair_prices():
    def page(status, f):
        return render_page("fees/repair_prices.html", status=status, form=f,
                           prices=services.repair_prices(g.community.id), **_common())

    def act(f):
        services.save_repair_price(g.community.id, current_user, name=f.name.data, kind=f.kind.data,
                                   unit_name=f.unit_name.data, price_fen=f.price.fen)
        return "价目已保存。", url_for("fees.repair_prices")
    form = forms.RepairPriceForm()
    if request.method == "GET":
        return page(200, form)
    return _step(form, act, page, "name")


def _repair_page(ticket_id: int, status=200, line_form=None, consent_form=None, error=None):
    facts = services.ticket_facts(g.community.id, ticket_id, current_user)
    if facts is None:  # not in this community, or a ticket the user may not open
        abort(404)
    prices = services.repair_prices(g.community.id, active_only=True)
    line_form = line_form or forms.RepairLineForm(formdata=None)
    line_form.price_id.choices = [(p.id, f"{p.name}（{'材料' if p.kind == 'material' else '人工'} {yuan(p.price_fen)} 元/{p.unit_name}）")
                                  for p in prices]
    return render_page("fees/repair.html", status=status, facts=facts, ticket_id=ticket_id,
                       q=services.quote_for(ticket_id), line_form=line_form,
                       consent_form=consent_form or forms.ConsentForm(formdata=None),
                       charge_form=forms.ChargeForm(formdata=None), error=error, **_common())


@bp.get("/repairs/<id:ticket_id>")
@allow(*REPAIR_VIEWERS)
def repair(ticket_id: int):
    return _repair_page(ticket_id)


@bp.post("/repairs/<id:ticket_id>/lines")
@allow(*QUOTERS)
def repair_line(ticket_id: int):
    form = forms.RepairLineForm()
    form.price_id.choices = [(p.id, p.name) for p in services.repair_prices(g.community.id, active_only=True)]

    def act(f):
        services.add_repair_line(g.community.id, ticket_id, current_user, price_id=f.price_id.data, qty=f.qty.data)
        return "已加入报价。", url_for("fees.repair", ticket_id=ticket_id)
    return _step(form, act, lambda status, f: _repair_page(ticket_id, status, line_form=f), "price_id")


def _store_signature(value: str) -> str:
    """A PNG data URL from the signature pad → its stored path (photos.signatures: checked,
    cropped, a blank pad refused); refuses anything else at the field "signature"."""
    from ..photos import signatures

    try:
        png = signatures.decode(value)
    except signatures.SignatureError as e:
        raise services.FeeError("请在签字板上签字，或选择纸质签字。" if e.blank else "签名无效，请重新签字。",
                                "signature") from None
    return signatures.store_png(png, f"c{g.community.id}/repairs")


@bp.post("/repairs/<id:ticket_id>/consent")
@allow(*CONSENT_TAKERS)
def repair_consent(ticket_id: int):
    def act(f):
        sig = _store_signature(f.signature.data) if f.method.data == "pad" and f.signature.data else None
        services.consent_repair(g.community.id, ticket_id, current_user, method=f.method.data, name=f.name.data,
                                signature_path=sig)
        return "业主已签字确认报价，可以开工。", url_for("fees.repair", ticket_id=ticket_id)
    return _step(forms.ConsentForm(), act, lambda status, f: _repair_page(ticket_id, status, consent_form=f), "name")


@bp.post("/repairs/<id:ticket_id>/charge")
@allow(*CHARGERS)
def repair_charge(ticket_id: int):
    if services.ticket_facts(g.community.id, ticket_id, current_user) is None:
        abort(404)
    try:
        q = services.charge_repair(g.community.id, ticket_id, current_user)
        db.session.commit()
    except services.FeeError as e:
        db.session.rollback()
        return _repair_page(ticket_id, e.status, error=str(e))
    if q.credit_applied_fen >= q.total_fen:
        flash(f"维修费 {yuan(q.total_fen)} 元已计入该户账单，并已从预存余额全额冲抵，无需再缴。", "ok")
    elif q.credit_applied_fen:
        flash(f"维修费 {yuan(q.total_fen)} 元已计入该户账单，预存余额冲抵 {yuan(q.credit_applied_fen)} 元，"
              "其余请业主到财务室缴纳。", "ok")
    else:
        flash(f"维修费 {yuan(q.total_fen)} 元已计入该户账单，请业主到财务室缴纳。", "ok")
    return redirect(url_for("fees.repair", ticket_id=ticket_id), 303)


def ticket_panel(ticket_id: int, kind: str, unit_id):
    """TICKET_PANELS: a repair inside a home links to its paid-repair quote (with its total)."""
    from ..core.access import can

    if kind != "repair" or not unit_id or not can("fees.repair"):
        return []
    q = services.quote_for(ticket_id)
    return [Markup(render_template("fees/_ticket_panel.html", ticket_id=ticket_id, q=q, **_common()))]
