"""[T9] Users and departments in the app: managers and admins create, edit, deactivate, reset
passwords and PINs; a technician needs a department; `flask create-user` takes --department and
--buildings."""
import pytest
from sqlalchemy import select

from conftest import login, post
from propsvc.auth.models import Department, User
from propsvc.core.models import Event
from propsvc.extensions import db


@pytest.fixture
def site(app, make):
    c = make.community("东湖花园")
    other = make.community("西湖花园")
    buildings = {n: make.building(c, number=str(n)) for n in (1, 2, 3, 6)}
    far = make.building(other, number="9")
    users = {r: make.user(r, communities=[c]) for r in ("admin", "manager", "supervisor", "steward", "front_desk")}
    stranger = make.user("steward", communities=[other], username="west_steward")
    with app.app_context():
        eng = db.session.scalar(select(Department.id).where(Department.code == "engineering"))
    return {"community": c, "other": other, "buildings": buildings, "far": far, "users": users,
            "stranger": stranger, "eng": eng}


def signed_in(app, user):
    client = app.test_client()
    assert login(client, user.username).status_code == 303
    return client


def get_user(app, username):
    with app.app_context():
        u = db.session.scalar(select(User).where(User.username == username))
        if u is None:
            return None
        out = {"id": u.id, "name": u.name, "roles": u.roles, "department": u.department.code if u.department else None,
               "communities": sorted(u.community_ids), "buildings": sorted(b.number for b in u.buildings),
               "active": u.active}
        db.session.remove()
        return out


def new_user_form(site, **kw):
    data = {"username": "li_si", "name": "李四", "phone": "", "roles": ["technician"],
            "department_id": str(site["eng"]), "community_ids": [str(site["community"].id)],
            "password": "first-pass-1", "pin": ""}
    data.update(kw)
    return data


@pytest.mark.parametrize("role", ["supervisor", "steward", "front_desk"])
def test_t9_only_managers_and_admins_manage_accounts(app, site, role):
    client = signed_in(app, site["users"][role])
    assert client.get("/admin/users").status_code == 403
    assert post(client, "/admin/users/new", new_user_form(site)).status_code == 403
    assert post(client, f"/admin/users/{site['users']['steward'].id}/deactivate").status_code == 403
    assert get_user(app, "li_si") is None


def test_t9_admin_lists_the_community_staff_only(app, site):
    admin = signed_in(app, site["users"]["admin"])
    html = admin.get("/admin/users").get_data(as_text=True)
    for u in site["users"].values():
        assert u.username in html
    assert "west_steward" not in html
    assert admin.get(f"/admin/users/{site['stranger'].id}").status_code == 404
    assert post(admin, f"/admin/users/{site['stranger'].id}/deactivate").status_code == 404
    assert get_user(app, "west_steward")["active"]


def test_t9_admin_creates_a_technician_with_a_department(app, site):
    admin = signed_in(app, site["users"]["admin"])
    page = admin.get("/admin/users/new")
    assert page.status_code == 200 and "工程部" in page.get_data(as_text=True)
    resp = post(admin, "/admin/users/new", new_user_form(site))
    assert resp.status_code == 303
    made = get_user(app, "li_si")
    assert made["roles"] == {"technician"} and made["department"] == "engineering"
    assert made["communities"] == [site["community"].id]
    assert login(app.test_client(), "li_si", "first-pass-1").status_code == 303
    # A double submit makes nothing twice.
    again = post(admin, "/admin/users/new", new_user_form(site))
    assert again.status_code == 422 and "用户名已存在" in again.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(db.func.count(Event.id)).where(Event.action == "user.created",
                                                                       Event.object_id == made["id"])) == 1


def test_t9_a_technician_without_a_department_is_refused(app, site):
    admin = signed_in(app, site["users"]["admin"])
    resp = post(admin, "/admin/users/new", new_user_form(site, department_id="0"))
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422 and "工程/保洁人员必须属于一个部门" in html
    assert get_user(app, "li_si") is None
    # Nor can an existing account become one without a department.
    steward = site["users"]["steward"]
    resp = post(admin, f"/admin/users/{steward.id}", {"name": steward.name, "roles": ["technician"],
                                                      "department_id": "0",
                                                      "community_ids": [str(site["community"].id)]})
    assert resp.status_code == 422 and "工程/保洁人员必须属于一个部门" in resp.get_data(as_text=True)
    assert get_user(app, steward.username)["roles"] == {"steward"}


def test_t9_bad_account_input_is_told_next_to_the_field(app, site):
    admin = signed_in(app, site["users"]["admin"])
    cases = [
        ({"username": "李四"}, "用户名为2到32位"),
        ({"password": "short"}, "密码至少8位"),
        ({"pin": "12ab"}, "PIN 为4到6位数字"),
        ({"roles": []}, "请至少选择一个角色"),
        ({"roles": ["steward"], "department_id": "0", "building_ids": [str(site["far"].id)]}, "所选项不在可选范围内"),
    ]
    for change, message in cases:
        resp = post(admin, "/admin/users/new", new_user_form(site, **change))
        assert resp.status_code == 422, change
        html = resp.get_data(as_text=True)
        assert message in html, (change, message)
    assert get_user(app, "li_si") is None


def test_t9_admin_edits_roles_department_and_a_stewards_buildings(app, site):
    admin = signed_in(app, site["users"]["admin"])
    steward = site["users"]["steward"]
    b = site["buildings"]
    resp = post(admin, f"/admin/users/{steward.id}", {
        "name": "王管家", "phone": "13900001111", "roles": ["steward", "front_desk"], "department_id": "0",
        "community_ids": [str(site["community"].id)], "building_ids": [str(b[1].id), str(b[2].id), str(b[3].id)]})
    assert resp.status_code == 303
    got = get_user(app, steward.username)
    assert got["name"] == "王管家" and got["roles"] == {"steward", "front_desk"}
    assert got["buildings"] == ["1", "2", "3"]
    page = admin.get(f"/admin/users/{steward.id}").get_data(as_text=True)
    assert "已保存" in page
    with app.app_context():
        ev = db.session.scalar(select(Event).where(Event.action == "user.updated"))
        assert ev.data["changes"]["name"] == [steward.name, "王管家"]


def test_t9_a_manager_cannot_make_or_change_an_admin(app, site):
    manager = signed_in(app, site["users"]["manager"])
    resp = post(manager, "/admin/users/new", new_user_form(site, roles=["admin"], department_id="0"))
    assert resp.status_code == 422 and "只有系统管理员" in resp.get_data(as_text=True)
    admin_user = site["users"]["admin"]
    assert post(manager, f"/admin/users/{admin_user.id}/deactivate").status_code == 303
    assert get_user(app, admin_user.username)["active"]
    assert post(manager, f"/admin/users/{admin_user.id}/password", {"pw-password": "taken-over-1"}).status_code == 422
    assert login(app.test_client(), admin_user.username).status_code == 303
    # ... but manages everyone else.
    assert post(manager, "/admin/users/new", new_user_form(site)).status_code == 303


def test_t9_deactivate_and_activate_again(app, site):
    admin = signed_in(app, site["users"]["admin"])
    steward = site["users"]["steward"]
    assert post(admin, f"/admin/users/{steward.id}/deactivate").status_code == 303
    assert not get_user(app, steward.username)["active"]
    assert login(app.test_client(), steward.username).status_code == 401
    assert post(admin, f"/admin/users/{steward.id}/activate").status_code == 303
    assert login(app.test_client(), steward.username).status_code == 303
    # Nobody deactivates their own account.
    me = site["users"]["admin"]
    resp = post(admin, f"/admin/users/{me.id}/deactivate", follow_redirects=True)
    assert "不能停用自己的账号" in resp.get_data(as_text=True) and get_user(app, me.username)["active"]
    with app.app_context():
        actions = [e.action for e in db.session.scalars(select(Event).where(Event.action.like("user.%activated")).order_by(Event.id))]
    assert actions == ["user.deactivated", "user.activated"]


def test_t9_admin_resets_password_and_pin_ending_sessions_and_lockout(app, site):
    admin = signed_in(app, site["users"]["admin"])
    desk = site["users"]["front_desk"]
    victim = signed_in(app, desk)
    for _ in range(5):
        login(app.test_client(), desk.username, "wrong-password")
    assert "已锁定" in admin.get(f"/admin/users/{desk.id}").get_data(as_text=True)
    bad = post(admin, f"/admin/users/{desk.id}/password", {"pw-password": "short"})
    assert bad.status_code == 422 and "密码至少8位" in bad.get_data(as_text=True)
    assert post(admin, f"/admin/users/{desk.id}/password", {"pw-password": "reset-pass-22"}).status_code == 303
    assert victim.get("/").status_code == 302
    assert login(app.test_client(), desk.username, "reset-pass-22").status_code == 303  # unlocked too
    assert post(admin, f"/admin/users/{desk.id}/pin", {"pin-pin": "86420"}).status_code == 303
    with app.app_context():
        reasons = [e.data["reason"] for e in db.session.scalars(
            select(Event).where(Event.action == "auth.sign_out").order_by(Event.id))]
    assert reasons == ["password_reset", "pin_reset"]


def test_t9_departments_list_and_create(app, site):
    admin = signed_in(app, site["users"]["admin"])
    html = admin.get("/admin/departments").get_data(as_text=True)
    assert "工程部" in html and "engineering" in html
    assert post(admin, "/admin/departments", {"name": "绿化部", "code": "greening"}).status_code == 303
    dup = post(admin, "/admin/departments", {"name": "绿化部", "code": "greening2"})
    assert dup.status_code == 422 and "该部门名称已存在" in dup.get_data(as_text=True)
    bad = post(admin, "/admin/departments", {"name": "保安部", "code": "保安"})
    assert bad.status_code == 422 and "部门代码为" in bad.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(db.func.count(Department.id)).where(Department.code.like("green%"))) == 1


# --- flask create-user ---------------------------------------------------------------------------

def run(app, *args):
    return app.test_cli_runner().invoke(args=["create-user", *args, "--password", "cli-pass-123"])


def test_t9_create_user_with_department_and_buildings(app, site):
    result = run(app, "--username", "zhao", "--name", "赵工", "--role", "technician", "--department", "工程部",
                 "--community", "东湖花园")
    assert result.exit_code == 0, result.output
    assert get_user(app, "zhao")["department"] == "engineering"
    result = run(app, "--username", "qian", "--name", "钱管家", "--role", "steward", "--community", "东湖花园",
                 "--buildings", "1,2, 3", "--department", "service")
    assert result.exit_code == 0, result.output
    got = get_user(app, "qian")
    assert got["buildings"] == ["1", "2", "3"] and got["department"] == "service"
    assert login(app.test_client(), "qian", "cli-pass-123").status_code == 303


def test_t9_create_user_refuses_a_technician_without_department_and_bad_flags(app, site):
    cases = [
        (["--username", "sun", "--name", "孙工", "--role", "technician", "--community", "东湖花园"],
         "工程/保洁人员必须属于一个部门"),
        (["--username", "sun", "--name", "孙工", "--role", "technician", "--department", "木工部",
          "--community", "东湖花园"], "没有部门"),
        (["--username", "sun", "--name", "孙管家", "--role", "steward", "--community", "东湖花园",
          "--buildings", "1,7"], "没有7栋"),
        (["--username", "sun", "--name", "孙管家", "--role", "steward", "--community", "东湖花园",
          "--community", "西湖花园", "--buildings", "1"], "恰好一个 --community"),
    ]
    for args, message in cases:
        result = run(app, *args)
        assert result.exit_code != 0 and message in result.output, (args, result.output)
    assert get_user(app, "sun") is None
