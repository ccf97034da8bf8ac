"""Walk the whole URL map: nothing but the voter, score-sheet and sign-in pages answers without
an account, and each role is refused what is not its own."""

from __future__ import annotations

import pytest
from flask import Flask
from werkzeug.routing import IntegerConverter

from ballot.accounts.models import Office, Role
from tests.conftest import csrf_token, make_user, sign_in

#: Endpoints anyone may reach: the anonymous voter, the scorer's personal link, sign-in, and
#: the public box page the team hands out after close (its download included).
PUBLIC_PREFIXES = ("voting.",)
PUBLIC = {"static", "accounts.sign_in", "accounts.sign_out", "box.public_page",
          "box.public_download", "scores.open_sheet", "scores.sheet"}
SAMPLE_ARGS = {"int": 1, "default": "x", "path": "x"}


def _urls(app: Flask):  # type: ignore[no-untyped-def]
    """(endpoint, method, url) for every rule, with sample values for its arguments."""
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            values = {}
            for name, converter in rule._converters.items():
                values[name] = 1 if isinstance(converter, IntegerConverter) else (
                    "xlsx" if name == "fmt" else "x")
            url = rule.build(values, append_unknown=False)[1]  # type: ignore[index]
            for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
                yield rule.endpoint, method, url


def _public(endpoint: str) -> bool:
    return endpoint in PUBLIC or endpoint.startswith(PUBLIC_PREFIXES)


def test_every_staff_page_redirects_an_anonymous_visitor_to_sign_in(app, client):
    token = csrf_token(client, "/sign-in")
    checked = 0
    for endpoint, method, url in _urls(app):
        if _public(endpoint):
            continue
        response = client.open(url, method=method, data={"csrf_token": token})
        assert response.status_code in (302, 303), (endpoint, method, url, response.status_code)
        assert response.headers["Location"].startswith("/sign-in"), (endpoint, url)
        checked += 1
    assert checked >= 8


def test_every_staff_view_declares_its_roles(app):
    """Every non-public view goes through @require, so the access rules are in one place."""
    for endpoint, view in app.view_functions.items():
        if _public(endpoint):
            continue
        assert hasattr(view, "required_roles"), f"{endpoint} has no @require"


@pytest.mark.parametrize("role", [r for r in Role])
def test_each_role_is_refused_what_is_not_its_own(app, role):
    options = {"office": Office.ORGANIZATION} if role == Role.REVIEWER else {}
    make_user(app, f"user-{role.value}", role, **options)
    client = app.test_client()
    assert sign_in(client, f"user-{role.value}").status_code == 303
    token = csrf_token(client, "/sign-in")
    refused = allowed = 0
    for endpoint, method, url in _urls(app):
        if _public(endpoint):
            continue
        roles = app.view_functions[endpoint].required_roles  # type: ignore[attr-defined]
        response = client.open(url, method=method, data={"csrf_token": token})
        if roles and role not in roles:
            assert response.status_code == 403, (role, endpoint, method, url,
                                                  response.status_code)
            refused += 1
        else:
            # Its own page: never refused for its role (the sample ids may not exist: 404).
            assert response.status_code != 403 or endpoint == "accounts.sign_out", (
                role, endpoint, url)
            assert response.status_code < 500, (role, endpoint, url)
            allowed += 1
    assert allowed >= 1
    if role != Role.ADMIN:
        assert refused >= 1


def test_sign_in_is_rate_limited_and_says_so(app, client):
    make_user(app, "victim", Role.TEAM)
    for _ in range(5):
        assert sign_in(client, "victim", "wrong password!").status_code == 401
    limited = sign_in(client, "victim")  # even the right password, for a while
    assert limited.status_code == 429
    assert "15 分钟" in limited.get_data(as_text=True)


def test_a_failed_sign_in_is_counted_though_its_request_writes_nothing_else(app, client):
    from ballot.accounts.models import LoginAttempt
    from ballot.audit.models import AuditEntry
    from ballot.db import get_session

    make_user(app, "victim", Role.TEAM)
    for _ in range(4):
        assert sign_in(client, "victim", "wrong password!").status_code == 401
    with app.app_context():
        db = get_session()
        assert db.query(LoginAttempt).filter_by(username="victim").count() == 4
        assert db.query(AuditEntry).count() == 0
    assert sign_in(client, "victim").status_code == 303  # the fifth try still may
    with app.app_context():
        db = get_session()
        assert db.query(LoginAttempt).filter_by(username="victim").count() == 0
        assert [e.action for e in db.query(AuditEntry)] == ["account.sign_in"]


def test_session_ends_after_idle_time(app, client):
    make_user(app, "idle", Role.TEAM)
    assert sign_in(client, "idle").status_code == 303
    assert client.get("/home").status_code == 200
    with client.session_transaction() as session:
        session["seen"] = session["seen"] - 31 * 60
    response = client.get("/home")
    assert response.status_code == 302 and response.headers["Location"].startswith("/sign-in")


def test_passwords_are_stored_only_as_hashes(app):
    make_user(app, "hashed", Role.ADMIN)
    from sqlalchemy import text

    from ballot.db import get_session

    with app.app_context():
        stored = get_session().execute(
            text("SELECT password_hash FROM user_account WHERE username = 'hashed'")).scalar_one()
    assert "correct horse battery" not in stored and stored.startswith(("scrypt:", "pbkdf2:"))
