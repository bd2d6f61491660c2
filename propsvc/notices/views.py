"""Notice routes [F2]: the lists (current, upcoming, past), publishing and correcting (supervisor,
manager), one notice with early withdrawal, and the A4 PDF for the notice boards.

Each POST (its one-time key claimed by core.idempotency first): validate the form → one service call → one commit (or
rollback and the page again with the message next to the field: 422 bad input, 409 a step
out of order)."""
from flask import flash, g, make_response, redirect, request, url_for
from flask_login import current_user
from sqlalchemy import select

from ..core import idempotency
from ..core.access import allow, get_or_404
from ..core.roles import Role
from ..core.timefmt import site_today
from ..core.web import render_page
from ..documents.pdf import render_pdf
from ..documents.seal import seal_markup
from ..extensions import db
from ..registry.models import Building
from . import services
from .blueprint import bp
from .forms import NoticeEditForm, NoticeForm, WithdrawForm
from .models import NOTICE_STATUS_LABELS, Notice

PUBLISHERS = (Role.SUPERVISOR, Role.MANAGER)


def _buildings() -> list[Building]:
    return list(db.session.scalars(select(Building).where(Building.community_id == g.community.id)
                                   .order_by(Building.sort_key, Building.number)))


def _show(form, e: services.NoticeError) -> None:
    """The service's message next to the field it concerns."""
    field = getattr(form, e.field)
    field.errors = [*field.errors, str(e)]


@bp.get("")
@allow()
def index():
    which = request.args.get("list", "current")
    if which not in services.LISTS:
        which = "current"
    today = site_today()
    return render_page("notices/index.html", block="results", which=which, lists=services.LISTS,
                       items=services.listing(g.community.id, which, today),
                       counts=services.counts(g.community.id, today), today=today,
                       status_labels=NOTICE_STATUS_LABELS, limit=services.LIST_LIMIT)


def _published(key: str) -> str | None:
    """A double tap of 发布: to the notice the first one published."""
    done = services.by_client_key(key)
    return url_for("notices.detail", notice_id=done.id) if done is not None else None


def _to_notice(_key: str) -> str:
    return url_for("notices.detail", notice_id=request.view_args["notice_id"])


@bp.route("/new", methods=["GET", "POST"])
@allow(*PUBLISHERS)
@idempotency.on_repeat(_published)
def new():
    today = site_today()
    form = NoticeForm(buildings=_buildings())
    if request.method == "GET":
        form.valid_from.data = form.valid_from.data or today
    status = 200
    if request.method == "POST":
        status = 422
        if form.validate():
            try:
                n = services.publish(g.community.id, current_user._get_current_object(), title=form.title.data,
                                     body=form.body.data, kind=form.kind.data, building_ids=form.building_ids.data,
                                     valid_from=form.valid_from.data, valid_until=form.valid_until.data,
                                     client_key=idempotency.current_key(), today=today)
            except services.NoticeError as e:
                db.session.rollback()
                _show(form, e)
            else:
                db.session.commit()
                flash("公告已发布。" if n.valid_from <= today else f"公告已发布，将于{n.valid_from.isoformat()}开始展示。",
                      "ok")
                return redirect(url_for("notices.detail", notice_id=n.id), 303)
    return render_page("notices/new.html", block="content", status=status, form=form, today=today, n=None)


@bp.route("/<id:notice_id>/edit", methods=["GET", "POST"])
@allow(*PUBLISHERS)
@idempotency.on_repeat(_to_notice)
def edit(notice_id: int):
    n = get_or_404(Notice, notice_id)
    today = site_today()
    back = redirect(url_for("notices.detail", notice_id=n.id), 303)
    if request.method == "GET":
        if not services.changeable(n, today):
            flash("已撤回或已结束的公告不能修改。", "notice")
            return back
        form = NoticeEditForm(formdata=None, obj=n, buildings=_buildings())
        form.building_ids.data = [b.id for b in n.buildings]
        form.based_on.data = services.version(n)
        return render_page("notices/new.html", block="content", form=form, today=today, n=n)
    form = NoticeEditForm(buildings=_buildings())
    status = 422
    if form.validate():
        try:
            changed = services.revise(n, current_user._get_current_object(), title=form.title.data,
                                      body=form.body.data, kind=form.kind.data, building_ids=form.building_ids.data,
                                      valid_from=form.valid_from.data, valid_until=form.valid_until.data,
                                      based_on=form.based_on.data, today=today)
        except services.NoticeError as e:
            db.session.rollback()
            n = get_or_404(Notice, notice_id)
            status = e.status
            _show(form, e)
        else:
            db.session.commit()
            flash("公告已修改。" if changed else "内容没有变化，未修改。", "ok" if changed else "notice")
            return back
    return render_page("notices/new.html", block="content", status=status, form=form, today=today, n=n)


def _detail(n: Notice, form=None, status: int = 200):
    today = site_today()
    return render_page("notices/detail.html", block="content", status=status, n=n, today=today,
                       state=n.status(today), status_labels=NOTICE_STATUS_LABELS,
                       changeable=services.changeable(n, today),
                       paragraphs=services.paragraphs(n.body), form=form or WithdrawForm(formdata=None),
                       revisions=services.revisions(n))


@bp.get("/<id:notice_id>")
@allow()
def detail(notice_id: int):
    return _detail(get_or_404(Notice, notice_id))


@bp.post("/<id:notice_id>/withdraw")
@allow(*PUBLISHERS)
def withdraw(notice_id: int):
    n = get_or_404(Notice, notice_id)
    form = WithdrawForm()
    if not form.validate():
        return _detail(n, form, 422)
    try:
        services.withdraw(n, current_user._get_current_object(), form.reason.data)
    except services.NoticeError as e:
        db.session.rollback()
        if e.status == 409 and n.withdrawn_at is not None:  # a double tap: the first one did it
            return redirect(url_for("notices.detail", notice_id=n.id), 303)
        _show(form, e)
        return _detail(n, form, e.status)
    db.session.commit()
    flash("公告已撤回，不再展示。", "ok")
    return redirect(url_for("notices.detail", notice_id=n.id), 303)


@bp.get("/<id:notice_id>.pdf")
@allow()
def pdf(notice_id: int):
    n = get_or_404(Notice, notice_id)
    data = services.print_data(n, g.community)
    seal = "" if data["withdrawn"] else seal_markup(data["stamp_name"], data["stamp_image"],
                                                    fallback_name=data["community"])
    body = render_pdf("notices/notice_pdf.html", page_size="A4", n=data, seal=seal,
                      watermark={"main": "已撤回", "sub": "作废"} if data["withdrawn"] else None)
    resp = make_response(body)
    resp.mimetype = "application/pdf"
    resp.headers["Content-Disposition"] = f'inline; filename="notice-{n.id}.pdf"'
    return resp
