"""Renovation route: the community's renovation settings (装修设置) — the deposit and card fee
per worker paid to finance [R5] and the default renovation period [R1]. The site manager (or
an admin) changes them; finance sees them. Changes apply to later registrations and
applications; each save records the old and new values."""
from flask import flash, g, redirect, url_for
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from ..core.access import allow
from ..core.roles import Role
from ..core.web import render_page
from ..extensions import db
from . import forms, services
from .pass_services import yuan
from .blueprint import bp

EDITORS = (Role.MANAGER, Role.ADMIN)
READERS = (*EDITORS, Role.FINANCE)


def _page(form: forms.SettingsForm, status: int = 200, error: str | None = None):
    can_edit = current_user.has_role(*EDITORS)
    return render_page("renovation/settings.html", block="content", status=status, form=form, can_edit=can_edit,
                       current=services.settings_for(g.community.id), error=error)


def _shown(key: str, text: str) -> str:
    return f"{text} 个月" if key == "default_months" else f"{yuan(text)} 元"


@bp.get("/settings")
@allow(*READERS)
def settings():
    return _page(forms.SettingsForm(obj=services.settings_for(g.community.id)))


@bp.post("/settings")
@allow(*EDITORS)
def settings_save():
    form = forms.SettingsForm()
    if not form.validate_on_submit():
        return _page(form, 422)
    try:
        changes = services.save_settings(g.community.id, current_user, deposit=form.deposit.data,
                                         card_fee=form.card_fee.data, default_months=form.default_months.data)
        db.session.commit()
    except IntegrityError:  # two first saves at once: the other one created the row
        db.session.rollback()
        return _page(form, 409, "设置刚被他人修改，请核对后再保存。")
    if changes:
        flash("已保存装修设置：" + "，".join(
            f"{services.SETTINGS_LABELS[k]} {_shown(k, v['old'])} → {_shown(k, v['new'])}"
            for k, v in changes.items()) + "。", "ok")
    else:
        flash("设置没有改动。", "ok")
    return redirect(url_for("renovation.settings"), 303)
