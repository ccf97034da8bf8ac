"""The admin's accounts page: create, disable/enable, reset password, counties; all audited."""

from __future__ import annotations

from ballot.accounts.models import Role, User
from ballot.assessments.services import get_or_create_assessment
from ballot.audit.models import AuditEntry
from ballot.db import get_session
from tests.conftest import PASSWORD, csrf_token, make_user, sign_in


def _admin(app):  # type: ignore[no-untyped-def]
    make_user(app, "root", Role.ADMIN, display_name="管理员")
    client = app.test_client()
    assert sign_in(client, "root").status_code == 303
    return client, csrf_token(client, "/users")


def _user(app, username: str) -> User:
    with app.app_context():
        db = get_session()
        user = db.query(User).filter_by(username=username).one()
        user.counties  # noqa: B018 - load before the session closes
        return user


def test_create_and_sign_in(app) -> None:
    admin, token = _admin(app)
    with app.app_context():
        db = get_session()
        county = get_or_create_assessment(db, "武都区", 2026).county
        db.commit()
        county_id = county.id
    response = admin.post("/users", data={
        "csrf_token": token, "username": "Org1", "display_name": "组织部甲", "role": "reviewer",
        "office": "organization", "counties": [str(county_id)], "password": "long enough pw"})
    assert response.status_code == 303
    page = admin.get("/users").get_data(as_text=True)
    assert "org1" in page and "组织部甲" in page and "市委组织部" in page and "武都区" in page
    created = _user(app, "org1")
    assert created.role == "reviewer" and [c.name for c in created.counties] == ["武都区"]
    assert sign_in(app.test_client(), "org1", "long enough pw").status_code == 303
    with app.app_context():
        entry = get_session().query(AuditEntry).filter_by(action="user.create").one()
        assert "long enough pw" not in entry.after and "scrypt" not in entry.after
        assert entry.actor == "root"


def test_bad_input_changes_nothing(app) -> None:
    admin, token = _admin(app)
    base = {"csrf_token": token, "username": "new1", "role": "team", "password": "long enough pw"}
    for change, message in (({"password": "short"}, "至少 10 个字符"),
                            ({"username": "root"}, "已被使用"),
                            ({"role": "reviewer"}, "部门"),
                            ({"role": "king"}, "king"),
                            ({"counties": ["999"]}, "999")):
        response = admin.post("/users", data={**base, **change})
        assert response.status_code == 400, change
        page = response.get_data(as_text=True)
        assert message in page, change
        assert "long enough pw" not in page
    with app.app_context():
        assert get_session().query(User).count() == 1


def test_disable_enable_reset_and_counties(app) -> None:
    admin, token = _admin(app)
    target = make_user(app, "team9", Role.TEAM)
    other = app.test_client()
    assert sign_in(other, "team9").status_code == 303
    assert admin.post(f"/users/{target}/active", data={"csrf_token": token,
                                                       "active": "0"}).status_code == 303
    assert other.get("/home").status_code == 302  # the open session ends
    assert sign_in(app.test_client(), "team9").status_code != 303
    admin.post(f"/users/{target}/active", data={"csrf_token": token, "active": "1"})
    short = admin.post(f"/users/{target}/password", data={"csrf_token": token, "password": "x"})
    assert short.status_code == 400
    assert admin.post(f"/users/{target}/password", data={
        "csrf_token": token, "password": "a brand new one"}).status_code == 303
    assert sign_in(app.test_client(), "team9", PASSWORD).status_code != 303
    assert sign_in(app.test_client(), "team9", "a brand new one").status_code == 303
    with app.app_context():
        db = get_session()
        county_id = get_or_create_assessment(db, "成县", 2026).county.id
        db.commit()
    admin.post(f"/users/{target}/counties", data={"csrf_token": token,
                                                 "counties": [str(county_id)]})
    assert [c.name for c in _user(app, "team9").counties] == ["成县"]
    admin.post(f"/users/{target}/counties", data={"csrf_token": token})
    assert _user(app, "team9").counties == []
    with app.app_context():
        entries = get_session().query(AuditEntry).filter(
            AuditEntry.target == f"user:{target}", AuditEntry.action.like("user.%")
        ).order_by(AuditEntry.id).all()
        assert [e.action for e in entries] == ["user.disable", "user.enable",
                                               "user.password_reset", "user.counties",
                                               "user.counties"]
        assert all("brand new" not in e.after and "scrypt" not in e.after for e in entries)
    mine = admin.post(f"/users/{_user(app, 'root').id}/active",
                      data={"csrf_token": token, "active": "0"})
    assert mine.status_code == 400 and "不能停用自己" in mine.get_data(as_text=True)


def test_access(app, client, team) -> None:
    assert client.get("/users").status_code == 302
    assert team.get("/users").status_code == 403
    token = csrf_token(team, "/home")
    assert team.post("/users", data={"csrf_token": token, "username": "x1", "role": "admin",
                                     "password": "long enough pw"}).status_code == 403
    assert team.post("/users/1/active", data={"csrf_token": token, "active": "0"}).status_code == 403
    assert app.test_client().post("/users/1/password", data={}).status_code in (302, 400)


def test_a_bad_field_is_refused_with_the_page_and_changes_nothing(app) -> None:
    admin, token = _admin(app)
    target = make_user(app, "team9", Role.TEAM)
    for value in ("yes", "2", "9" * 5000, ""):
        response = admin.post(f"/users/{target}/active", data={"csrf_token": token,
                                                                "active": value})
        assert response.status_code == 400, value
        assert "状态" in response.get_data(as_text=True), value
    assert _user(app, "team9").active
    tab = admin.post("/users", data={"csrf_token": token, "username": "new1", "role": "team",
                                     "display_name": "组织\t部", "password": "long enough pw"})
    assert tab.status_code == 400 and "控制字符" in tab.get_data(as_text=True)
    long_name = admin.post("/users", data={"csrf_token": token, "username": "new1",
                                           "role": "team", "display_name": "名" * 61,
                                           "password": "long enough pw"})
    assert long_name.status_code == 400 and "最多 60 个字" in long_name.get_data(as_text=True)
    with app.app_context():
        db = get_session()
        assert db.query(User).count() == 2
        assert db.query(AuditEntry).filter(AuditEntry.action.like("user.%")).count() == 0
