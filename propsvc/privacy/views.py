"""The one reveal route for every kind of record, the reveal audit, and cover (代班)."""
from flask import Blueprint, Response, current_app, flash, g, get_template_attribute, redirect, request, session, url_for
from flask_login import current_user

from ..core.access import allow
from ..core.timefmt import site_today
from ..core.web import is_htmx, local_path, render_page
from ..extensions import db
from . import services
from .forms import CoverForm, EndCoverForm, RevealForm

bp = Blueprint("privacy", __name__, url_prefix="/privacy")


def back_url() -> str:
    """Where the no-JS reveal page links back to: the posted `next` when it is on this site."""
    return local_path(request.form.get("next")) or url_for("core.home")


@bp.post("/reveal/<kind>/<id:record_id>/<attr>")
@allow()  # every staff role reaches the route; core.scope decides per role, field and building
def reveal(kind: str, record_id: int, attr: str):
    """Show one confidential field in full, once, with a reason; audited [T9]. The value goes
    only into this response (a fragment swapped in place, or a small page without JS)."""
    form = RevealForm()
    ctx = {"kind": kind, "attr": attr, "back": back_url(), "seconds": current_app.config.get("REVEAL_SECONDS", services.REMASK_SECONDS),
           "reason": form.reason.data or "", "r": None, "obj": None, "error": None, "field_error": False}
    if not form.validate_on_submit():  # CSRF
        ctx["error"] = "页面已过期，请刷新后重试。"
        return render_page("privacy/revealed.html", block="widget", status=400, **ctx)
    try:
        r = services.reveal(current_user, kind, record_id, attr, form.reason.data, community_id=g.community.id,
                            session_id=session.get("sid"))
    except services.RevealError as e:
        db.session.rollback()
        if e.status != 404:
            ctx["obj"] = services.load(kind, record_id, attr, g.community.id)
        ctx.update(error=str(e), field_error=e.field_error)
        return render_page("privacy/revealed.html", block="widget", status=e.status, **ctx)
    db.session.commit()
    ctx.update(r=r, obj=r.obj)
    return render_page("privacy/revealed.html", block="widget", **ctx)


# --- the audit -------------------------------------------------------------------------

@bp.get("/audit")
@allow(*services.AUDIT_ROLES)
def audit():
    f = services.parse_audit_filters(request.args)
    rows = services.audit_rows(g.community.id, f)
    return render_page("privacy/audit.html", block="results", f=f, rows=rows, limit=services.AUDIT_LIMIT,
                       staff=services.audit_staff(g.community.id), record_label=services.record_label,
                       field_label=services.field_label, masked=services.masked_value)


@bp.get("/audit.csv")
@allow(*services.AUDIT_ROLES)
def audit_csv():
    f = services.parse_audit_filters(request.args)
    body = services.audit_csv(services.audit_rows(g.community.id, f, limit=None))
    name = f"reveal-audit-{f.start:%Y%m%d}-{f.end:%Y%m%d}.csv"
    return Response(body.encode("utf-8"), content_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


# --- cover (代班) ----------------------------------------------------------------------

def _cover_page(form: CoverForm | None = None, status: int = 200, error: str | None = None):
    cid = g.community.id
    form = form or CoverForm(formdata=None, starts_on=site_today(), ends_on=site_today())
    choices = [(0, "请选择")] + [(u.id, u.name) for u in services.stewards(cid)]
    form.user_id.choices = form.for_user_id.choices = choices
    return render_page("privacy/covers.html", status=status, form=form, error=error, today=site_today(),
                       covers=services.covers(cid), end_form=EndCoverForm())


@bp.get("/covers")
@allow(*services.COVER_ROLES)
def covers():
    return _cover_page()


@bp.post("/covers")
@allow(*services.COVER_ROLES)
def cover_new():
    form = CoverForm()
    form.user_id.choices = form.for_user_id.choices = [(0, "")] + [(u.id, u.name) for u in services.stewards(g.community.id)]
    if not form.validate_on_submit():
        return _cover_page(form, 422)
    try:
        c = services.grant_cover(current_user, g.community.id, form.user_id.data, form.for_user_id.data,
                                 form.starts_on.data, form.ends_on.data, form.note.data)
    except services.CoverError as e:
        db.session.rollback()
        if e.field:
            getattr(form, e.field).errors = [str(e)]
        return _cover_page(form, 422, None if e.field else str(e))
    db.session.commit()
    flash(f"已设置代班：{c.user.name} 代 {c.for_user.name}，{c.starts_on.isoformat()} 至 {c.ends_on.isoformat()}。", "ok")
    return redirect(url_for("privacy.covers"), 303)


@bp.post("/covers/<id:cover_id>/end")
@allow(*services.COVER_ROLES)
def cover_end(cover_id: int):
    if not EndCoverForm().validate_on_submit():
        return _cover_page(status=400, error="页面已过期，请刷新后重试。")
    try:
        c = services.end_cover(current_user, g.community.id, cover_id)
    except services.CoverError as e:
        db.session.rollback()
        return _cover_page(status=404, error=str(e))
    db.session.commit()
    flash(f"已结束代班：{c.user.name} 不再代 {c.for_user.name} 的楼栋。", "ok")
    return redirect(url_for("privacy.covers"), 303)


def register_template_helpers(app) -> None:
    """The `masked` macro's helpers, as globals (macros imported without context see them)."""
    from urllib.parse import urlsplit

    from ..core import scope

    def may_reveal(kind, obj, attr) -> bool:
        community = getattr(g, "community", None)
        return (community is not None and current_user.is_authenticated
                and scope.may_reveal(current_user, kind, obj, attr, community.id))

    def reveal_back() -> str:
        """Where the no-JS reveal page returns to: this page (a GET), or the page the fragment
        was asked from."""
        if request.method == "GET" and not is_htmx():
            return request.full_path.rstrip("?")
        for value in (request.headers.get("HX-Current-URL"), request.referrer, request.form.get("next")):
            if value:
                parts = urlsplit(value)
                path = parts.path + (f"?{parts.query}" if parts.query else "")
                if local_path(path):
                    return path
        return url_for("core.home")

    def masked(kind, obj, attr, **kw):
        """The `masked` macro of _macros.html, callable from every template and macro."""
        return get_template_attribute("_macros.html", "masked")(kind, obj, attr, **kw)

    app.jinja_env.globals.update(may_reveal=may_reveal, masked_value=services.masked_value, reveal_back=reveal_back,
                                 masked=masked)
