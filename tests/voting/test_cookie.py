"""The voter's session cookie is signed, not encrypted: whoever holds it can read it. It never
shows the slip's code, and after the vote it holds no credential at all, only the tracker."""

from __future__ import annotations

import re

import pytest
from flask.sessions import session_json_serializer
from flask.testing import FlaskClient
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import select

from ballot.db import get_session
from ballot.evaluations.models import Ballot
from tests.conftest import csrf_token, vote

TRACKER = re.compile(r"^[2-9A-HJ-NP-Z]{5}-[2-9A-HJ-NP-Z]{5}$")

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def readable(client: FlaskClient) -> tuple[str, dict[str, object]]:
    """The session cookie as anyone holding it reads it, without the server's key: the raw
    value, and what itsdangerous decodes from it (the signature left unchecked)."""
    cookie = client.get_cookie("session")
    assert cookie is not None
    signature_checked, payload = URLSafeTimedSerializer(
        "not the server's key", salt="cookie-session", serializer=session_json_serializer,
    ).loads_unsafe(cookie.value)
    assert not signature_checked and isinstance(payload, dict)
    return cookie.value, payload


def forms_of(code: str) -> list[str]:
    """The code as printed, in lower case and grouped with dashes."""
    dashed = "-".join(code[i:i + 4] for i in range(0, len(code), 4))
    return [code, code.lower(), dashed, dashed.lower()]


def test_the_cookie_after_opening_a_slip_does_not_show_its_code(app, make_evaluation):
    setup = make_evaluation()
    code = setup.credentials[0]
    phone = app.test_client()
    assert phone.get(f"/s/{code}").status_code == 303
    for step in ("opened", "ballot loaded"):
        raw, payload = readable(phone)
        for form in forms_of(code):
            assert form not in raw and form not in repr(payload), (step, form)
        assert set(payload) <= {"slip", "csrf_token", "lang"} and "slip" in payload
        phone.get("/ballot")
    # The sealed code still works: the ballot opens and the vote goes through.
    assert "测评票" in phone.get("/ballot").get_data(as_text=True)
    assert vote(phone, code, {setup.member_ids[0]: "competent"}).status_code == 303


def test_after_the_vote_the_cookie_holds_the_tracker_and_no_credential(app, make_evaluation):
    setup = make_evaluation()
    code = setup.credentials[0]
    phone = app.test_client()
    assert vote(phone, code, {setup.member_ids[0]: "excellent"}).status_code == 303
    raw, payload = readable(phone)
    assert set(payload) == {"csrf_token", "voted"}  # no sealed slip, nothing else
    evaluation_id, tracker = payload["voted"]  # type: ignore[misc]
    assert evaluation_id == setup.evaluation_id and TRACKER.match(tracker)
    for form in forms_of(code):
        assert form not in raw and form not in repr(payload)
    with app.app_context():
        stored = get_session().scalars(select(Ballot.tracker)).all()
    assert stored == [tracker]
    page = phone.get("/thanks").get_data(as_text=True)
    assert f'<strong id="tracker">{tracker}</strong>' in page
    assert "核对公布的票箱" in page and "不透露您的任何选择" in page
    phone.get("/lang/en")
    page = phone.get("/thanks").get_data(as_text=True)
    assert tracker in page and "published ballot box" in page and "nothing about your choices" in page


def test_a_repeat_confirm_after_the_vote_is_told_the_slip_is_used(app, make_evaluation):
    setup = make_evaluation()
    a = setup.member_ids[0]
    phone = app.test_client()
    assert phone.get(f"/s/{setup.credentials[0]}").status_code == 303
    form = {"csrf_token": csrf_token(phone), f"m{a}": "excellent"}
    assert phone.post("/ballot/confirm", data=form).status_code == 303
    for path in ("/ballot/confirm", "/ballot"):  # the back button, then submit again
        again = phone.post(path, data=form)
        assert again.status_code == 409 and "已使用" in again.get_data(as_text=True), path
    assert phone.get("/ballot").status_code == 409
    # The tracker stays for the thanks page.
    assert TRACKER.match(readable(phone)[1]["voted"][1])  # type: ignore[index]
    with app.app_context():
        assert len(get_session().scalars(select(Ballot.id)).all()) == 1


def test_a_code_in_clear_in_the_cookie_is_not_a_slip(app, make_evaluation):
    """A cookie from before the code was sealed, or one written by hand: asked to scan again."""
    setup = make_evaluation()
    phone = app.test_client()
    with phone.session_transaction() as session:
        session["slip"] = setup.credentials[0]
    response = phone.get("/ballot")
    assert response.status_code == 400 and "扫描" in response.get_data(as_text=True)
