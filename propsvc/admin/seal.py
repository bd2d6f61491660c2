"""Admin page: the community's seal (印章与签章行). Its text prints in the generated red seal of
permits, passes, extensions and release slips; the signature line under it (e.g.
某某物业服务中心（盖章）) names the same issuer. Managers and admins of the community."""
from flask import flash, g, redirect, url_for
from flask_login import current_user

from ..core.access import allow
from ..core.roles import USER_ADMINS
from ..core.web import render_page
from ..extensions import db
from ..registry import services
from ..registry.models import Community
from .forms import SealForm
from .views import bp


def _page(form: SealForm, community: Community, status: int = 200):
    return render_page("admin/seal.html", block="content", status=status, form=form, community=community)


@bp.route("/seal", methods=["GET", "POST"])
@allow(*USER_ADMINS)
def seal():
    community = db.session.get(Community, g.community.id)
    form = SealForm(data={"stamp_name": community.seal_text, "sign_label": community.sign_label or ""})
    if not form.is_submitted():
        return _page(form, community)
    form = SealForm()
    if not form.validate():
        return _page(form, community, 422)
    changes = services.save_seal(community, current_user, stamp_name=form.stamp_name.data,
                                 sign_label=form.sign_label.data)
    db.session.commit()
    if changes:
        flash("已保存印章：" + "，".join(f"{services.SEAL_FIELDS[k]} “{v['old'] or '（空）'}” → “{v['new'] or '（空）'}”"
                                       for k, v in changes.items()) + "。之后批准的文件按新印章打印。", "ok")
    else:
        flash("印章没有改动。", "ok")
    return redirect(url_for("admin.seal"), 303)
