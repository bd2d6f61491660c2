"""Admin pages: staff accounts (create, edit, deactivate, reset password and PIN, 全部下线) and
departments. Managers and admins; only an admin makes or changes an admin account. Accounts
are listed per community: those working in the current one, and those in none yet."""
from flask import abort, flash, g, redirect, request, url_for
from flask_login import current_user
from sqlalchemy import select

from ..auth import services, sessions
from ..auth.models import Department, User, user_community
from ..core.access import allow
from ..core.roles import ROLE_LABELS, USER_ADMINS
from ..core.web import render_page
from ..extensions import db
from ..registry.models import Building, Community
from .forms import DepartmentForm, NewUserForm, PlainForm, ResetPasswordForm, ResetPinForm, UserForm
from .views import bp


def _scope_communities() -> list[Community]:
    return sorted(current_user.communities, key=lambda c: c.id)


def _user_or_404(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None or (user.communities and g.community.id not in user.community_ids):
        abort(404)
    return user


def _choices(form: UserForm) -> None:
    communities = _scope_communities()
    several = len(communities) > 1
    form.department_id.choices = [(0, "（无）")] + [
        (d.id, d.name) for d in db.session.scalars(select(Department).order_by(Department.id))]
    form.community_ids.choices = [(c.id, c.name) for c in communities]
    buildings = db.session.scalars(select(Building).where(Building.community_id.in_([c.id for c in communities]))
                                   .order_by(Building.community_id, Building.sort_key, Building.number))
    form.building_ids.choices = [(b.id, f"{b.community.name} {b.label}" if several else b.label) for b in buildings]


def _chosen(form: UserForm):
    """The form's department, communities and buildings as rows (ids come from the choices)."""
    department = db.session.get(Department, form.department_id.data) if form.department_id.data else None
    communities = [db.session.get(Community, i) for i in form.community_ids.data or []]
    buildings = [db.session.get(Building, i) for i in form.building_ids.data or []]
    community_ids = {c.id for c in communities}
    if any(b.community_id not in community_ids for b in buildings):
        raise services.AuthError("所选楼栋不在该员工的小区内：请同时选择楼栋所在的小区。")
    return department, communities, buildings


def _field_for(form, message: str):
    """Which field a service's refusal belongs next to."""
    if message == services.TECHNICIAN_NEEDS_DEPARTMENT:
        return form.department_id
    if "楼栋" in message:
        return form.building_ids
    if "用户名" in message and hasattr(form, "username"):
        return form.username
    if "密码" in message and hasattr(form, "password"):
        return form.password
    if "PIN" in message and hasattr(form, "pin"):
        return form.pin
    return form.roles


@bp.get("/users")
@allow(*USER_ADMINS)
def users():
    in_none = ~select(user_community.c.user_id).where(user_community.c.user_id == User.id).exists()
    in_this = select(user_community.c.user_id).where(user_community.c.user_id == User.id,
                                                     user_community.c.community_id == g.community.id).exists()
    rows = list(db.session.scalars(select(User).where(in_this | in_none).order_by(User.active.desc(), User.username)))
    return render_page("admin/users.html", users=rows, open_counts=sessions.count_open(u.id for u in rows),
                       role_labels=ROLE_LABELS)


@bp.route("/users/new", methods=["GET", "POST"])
@allow(*USER_ADMINS)
def user_new():
    form = NewUserForm()
    _choices(form)
    if request.method == "GET":
        form.community_ids.data = [g.community.id]
    if form.validate_on_submit():
        try:
            department, communities, buildings = _chosen(form)
            user = services.admin_create_user(
                current_user, username=form.username.data, name=form.name.data, phone=form.phone.data,
                password=form.password.data, pin=form.pin.data, roles=form.roles.data, department=department,
                communities=communities, buildings=buildings)
        except services.AuthError as e:
            db.session.rollback()
            _field_for(form, str(e)).errors.append(str(e))
        else:
            db.session.commit()
            flash(f"已创建员工账号 {user.username}（{user.name}）。请把用户名和初始密码当面交给本人。", "success")
            return redirect(url_for("admin.user_edit", user_id=user.id), 303)
    return render_page("admin/user_new.html", status=422 if form.is_submitted() else 200, form=form)


def _edit_page(user: User, status: int = 200, **forms):
    if "form" not in forms:
        form = UserForm(obj=user)
        _choices(form)
        form.roles.data = sorted(user.roles)
        form.department_id.data = user.department_id or 0
        form.community_ids.data = sorted(user.community_ids)
        form.building_ids.data = sorted(b.id for b in user.buildings)
        forms["form"] = form
    forms.setdefault("password_form", ResetPasswordForm(prefix="pw"))
    forms.setdefault("pin_form", ResetPinForm(prefix="pin"))
    return render_page("admin/user_edit.html", status=status, user=user, plain=PlainForm(),
                       open_sessions=sessions.open_sessions(user.id), locked=services.is_locked(user), **forms)


@bp.route("/users/<id:user_id>", methods=["GET", "POST"])
@allow(*USER_ADMINS)
def user_edit(user_id: int):
    user = _user_or_404(user_id)
    if request.method == "GET":
        return _edit_page(user)
    form = UserForm()
    _choices(form)
    if form.validate_on_submit():
        try:
            department, communities, buildings = _chosen(form)
            services.admin_update_user(current_user, user, name=form.name.data, phone=form.phone.data,
                                       roles=form.roles.data, department=department, communities=communities,
                                       buildings=buildings, scope_community_ids={c.id for c in _scope_communities()})
        except services.AuthError as e:
            db.session.rollback()
            user = _user_or_404(user_id)
            _field_for(form, str(e)).errors.append(str(e))
        else:
            db.session.commit()
            flash(f"已保存 {user.name}（{user.username}）的账号资料，立即生效。", "success")
            return redirect(url_for("admin.user_edit", user_id=user.id), 303)
    return _edit_page(user, status=422, form=form)


def _act(user_id: int, fn, done: str):
    """Run a button's action on an account; a refusal is shown on the account's page."""
    if not PlainForm().validate_on_submit():
        abort(400)
    user = _user_or_404(user_id)
    try:
        fn(user)
    except services.AuthError as e:
        db.session.rollback()
        flash(str(e), "error")
        return redirect(url_for("admin.user_edit", user_id=user_id), 303)
    db.session.commit()
    flash(done, "success")
    return redirect(url_for("admin.user_edit", user_id=user_id), 303)


@bp.post("/users/<id:user_id>/deactivate")
@allow(*USER_ADMINS)
def user_deactivate(user_id: int):
    return _act(user_id, lambda u: services.set_active(current_user, u, False),
                "账号已停用：该员工的所有登录已结束，不能再登录。")


@bp.post("/users/<id:user_id>/activate")
@allow(*USER_ADMINS)
def user_activate(user_id: int):
    return _act(user_id, lambda u: services.set_active(current_user, u, True), "账号已启用，可以重新登录。")


@bp.post("/users/<id:user_id>/sessions/end")
@allow(*USER_ADMINS)
def user_end_sessions(user_id: int):
    return _act(user_id, lambda u: services.end_all_sessions(current_user, u),
                "已全部下线：该员工在所有设备上的登录都已结束。")


@bp.post("/users/<id:user_id>/password")
@allow(*USER_ADMINS)
def user_reset_password(user_id: int):
    return _reset(user_id, ResetPasswordForm(prefix="pw"), "password", "password_form",
                  "密码已重置（账户锁定也已解除），该员工的所有登录已结束。请把新密码当面交给本人。")


@bp.post("/users/<id:user_id>/pin")
@allow(*USER_ADMINS)
def user_reset_pin(user_id: int):
    return _reset(user_id, ResetPinForm(prefix="pin"), "pin", "pin_form", "PIN 已重置，该员工的所有登录已结束。")


def _reset(user_id: int, form, field: str, form_name: str, done: str):
    """Reset a password or PIN (`field`) from its form; the edit page again with the error."""
    user = _user_or_404(user_id)
    if form.validate_on_submit():
        try:
            services.reset_secret(current_user, user.id, **{field: form[field].data})
        except services.AuthError as e:
            db.session.rollback()
            form[field].errors.append(str(e))
        else:
            db.session.commit()
            flash(done, "success")
            return redirect(url_for("admin.user_edit", user_id=user_id), 303)
    return _edit_page(_user_or_404(user_id), status=422, **{form_name: form})


@bp.route("/departments", methods=["GET", "POST"])
@allow(*USER_ADMINS)
def departments():
    form = DepartmentForm()
    if form.validate_on_submit():
        try:
            dept = services.create_department(form.code.data, form.name.data)
        except services.AuthError as e:
            db.session.rollback()
            (form.code if "代码" in str(e) else form.name).errors.append(str(e))
        else:
            db.session.commit()
            flash(f"已添加部门：{dept.name}。", "success")
            return redirect(url_for("admin.departments"), 303)
    rows = list(db.session.scalars(select(Department).order_by(Department.id)))
    counts = {d.id: db.session.scalar(select(db.func.count(User.id)).where(User.department_id == d.id,
                                                                           User.active.is_(True)))
              for d in rows}
    return render_page("admin/departments.html", status=422 if form.is_submitted() else 200,
                       form=form, departments=rows, counts=counts)
