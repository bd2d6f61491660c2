from conftest import login


def test_home_requires_sign_in(client):
    resp = client.get("/")
    assert resp.status_code == 302
    assert "/login" in resp.headers["Location"]


def test_password_sign_in_reaches_home(client, make):
    c = make.community()
    u = make.user("front_desk", communities=[c])
    resp = login(client, u.username)
    assert resp.status_code == 303
    home = client.get("/")
    assert home.status_code == 200
    assert u.name in home.get_data(as_text=True)
