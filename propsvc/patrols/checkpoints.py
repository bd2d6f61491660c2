"""Checkpoints: places a supervisor marks with a printed QR; a steward on patrol scans it to
show they were there (the scan itself is patrols.checkpoint in runs.py)."""
import secrets

from flask import abort, flash, g, make_response, redirect, request, url_for
from sqlalchemy import select
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length

from ..core.access import allow, get_or_404
from ..core.forms import Form, record_id
from ..core.roles import Role
from ..core.services import record
from ..core.web import render_page
from ..documents import render_pdf
from ..extensions import db
from .blueprint import bp
from .models import Checkpoint

ADMINS = (Role.SUPERVISOR, Role.MANAGER, Role.ADMIN)


class CheckpointForm(Form):
    name = StringField("名称", validators=[DataRequired("请填写巡查点名称"), Length(max=64, message="名称最多64字")],
                       render_kw={"placeholder": "如：3栋大堂、北门岗亭、中心花园"})
    building_id = SelectField("所在楼栋", coerce=record_id, default=0)


def _form() -> CheckpointForm:
    form = CheckpointForm()
    form.building_id.choices = [(0, "不在楼栋内（园区区域）")] + [(b.id, b.label) for b in g.community.buildings]
    return form


def _page(form: CheckpointForm, status: int = 200):
    points = list(db.session.scalars(select(Checkpoint).where(Checkpoint.community_id == g.community.id)
                                     .order_by(Checkpoint.active.desc(), Checkpoint.name)))
    return render_page("patrols/checkpoints.html", status=status, form=form, points=points)


@bp.route("/checkpoints", methods=["GET", "POST"])
@allow(*ADMINS)
def checkpoints():
    form = _form()
    if request.method == "POST":
        if not form.validate_on_submit():
            return _page(form, 422)
        building_id = form.building_id.data or None
        if building_id and building_id not in {b.id for b in g.community.buildings}:
            abort(400)
        cp = Checkpoint(community_id=g.community.id, name=form.name.data.strip(), building_id=building_id,
                        token=secrets.token_urlsafe(12))
        db.session.add(cp)
        db.session.flush()
        record("checkpoint.created", cp, name=cp.name)
        db.session.commit()
        flash(f"已添加巡查点“{cp.name}”，请打印二维码张贴。", "ok")
        return redirect(url_for("patrols.checkpoints"), 303)
    return _page(form)


def _load(checkpoint_id: int) -> Checkpoint:
    cp = get_or_404(Checkpoint, checkpoint_id)
    return cp


@bp.post("/checkpoints/<id:checkpoint_id>/active")
@allow(*ADMINS)
def checkpoint_active(checkpoint_id: int):
    cp = _load(checkpoint_id)
    if not Form().validate_on_submit():
        abort(400)
    cp.active = not cp.active
    record("checkpoint.enabled" if cp.active else "checkpoint.disabled", cp)
    db.session.commit()
    return redirect(url_for("patrols.checkpoints"), 303)


@bp.get("/checkpoints/<id:checkpoint_id>/qr.pdf")
@allow(*ADMINS)
def checkpoint_pdf(checkpoint_id: int):
    """An A6 sheet to print and post at the place: its name and the QR the phone scans."""
    cp = _load(checkpoint_id)
    data = {"community": g.community.name, "name": cp.name,
            "url": url_for("patrols.checkpoint", token=cp.token, _external=True)}
    resp = make_response(render_pdf("patrols/checkpoint_pdf.html", page_size="A6", cp=data))
    resp.mimetype = "application/pdf"
    resp.headers["Content-Disposition"] = f'inline; filename="checkpoint-{cp.id}.pdf"'
    resp.headers["Cache-Control"] = "no-store"
    return resp
