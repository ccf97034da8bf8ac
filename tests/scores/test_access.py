"""Who may see and change scorers and sheets: readers see, editors act, county limits hold."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from ballot.accounts.models import Office, Role
from ballot.accounts.services import create_user
from ballot.assessments.services import get_or_create_assessment
from ballot.db import get_session
from ballot.scores.models import Scorer
from tests.conftest import PASSWORD, csrf_token, make_user, sign_in
from tests.scores.conftest import add_scorer, new_scorer, phone, submit


def _scorer_id(app) -> int:  # type: ignore[no-untyped-def]
    with app.app_context():
        return get_session().scalar(select(Scorer.id))


def test_anonymous_visitor_is_sent_to_sign_in(app, client, roster):
    aid = roster.assessment_id
    for response in (client.get(f"/assessments/{aid}/scorers"),
                     client.post(f"/assessments/{aid}/lock",
                                 data={"csrf_token": csrf_token(client, "/sign-in")}),
                     client.get("/sheets")):
        assert response.status_code == 302
        assert "/sign-in" in response.headers["Location"]


@pytest.mark.parametrize("role", [Role.OBSERVER, Role.REVIEWER, Role.SCORER])
def test_non_editors_are_refused_staff_actions(app, team, roster, role):
    aid = roster.assessment_id
    new_scorer(team, aid, "city_leader", "赵市长")
    scorer_id = _scorer_id(app)
    options = {"office": Office.ORGANIZATION} if role == Role.REVIEWER else {}
    make_user(app, "someone", role, display_name="某人", **options)
    client = app.test_client()
    sign_in(client, "someone")
    page = client.get(f"/assessments/{aid}/scorers")
    if role == Role.SCORER:
        assert page.status_code == 403
    else:
        assert page.status_code == 200 and "添加评分人" not in page.get_data(as_text=True)
    token = csrf_token(client, "/sign-in")
    for path, data in [
        (f"/assessments/{aid}/scorers", {"kind": "city_leader", "name": "钱市长"}),
        (f"/assessments/{aid}/scorers/{scorer_id}/link", {}),
        (f"/assessments/{aid}/scorers/{scorer_id}/paper", {"score": "90"}),
        (f"/assessments/{aid}/scorers/{scorer_id}/withdraw", {"reason": "x"}),
        (f"/assessments/{aid}/lock", {}),
        (f"/assessments/{aid}/unlock", {"reason": "x"}),
    ]:
        assert client.post(path, data={"csrf_token": token, **data}).status_code == 403, path
    assert client.get(f"/assessments/{aid}/scorers/{scorer_id}/paper").status_code == 403
    with app.app_context():
        assert get_session().scalar(select(Scorer).where(Scorer.id == scorer_id)).signed_at is None


def test_team_limited_to_another_county_is_refused(app, team, roster):
    aid = roster.assessment_id
    with app.app_context():
        db = get_session()
        other = get_or_create_assessment(db, "宕昌县", 2026).county
        create_user(db, "team2", PASSWORD, Role.TEAM, display_name="考核组乙", counties=[other])
        db.commit()
    client = app.test_client()
    sign_in(client, "team2")
    assert client.get(f"/assessments/{aid}/scorers").status_code == 403
    refused = client.post(f"/assessments/{aid}/scorers", data={
        "csrf_token": csrf_token(client, "/home"), "kind": "city_leader", "name": "赵市长"})
    assert refused.status_code == 403
    with app.app_context():
        assert get_session().scalar(select(Scorer.id)) is None


def test_scorer_account_opens_its_sheet_after_signing_in(app, team, roster):
    aid = roster.assessment_id
    make_user(app, "zhao", Role.SCORER, display_name="赵市长")
    unknown = add_scorer(team, aid, "city_leader", "赵市长", username="nobody")
    assert unknown.status_code == 422 and "没有名为“nobody”的评分人账号" in unknown.get_data(
        as_text=True)
    assert add_scorer(team, aid, "city_leader", "赵市长", username="zhao").status_code == 200
    scorer_id = _scorer_id(app)
    client = app.test_client()
    sign_in(client, "zhao")
    listing = client.get("/sheets").get_data(as_text=True)
    assert "武都区 2026" in listing and "尚未提交" in listing
    opened = client.get(f"/sheets/{scorer_id}")
    assert opened.status_code == 303 and opened.headers["Location"].endswith("/sheet")
    assert submit(client, {"score": "88"}, "赵市长").status_code == 303
    assert "已提交" in client.get("/sheets").get_data(as_text=True)
    # Another scorer account cannot open it.
    make_user(app, "qian", Role.SCORER, display_name="钱市长")
    other = app.test_client()
    sign_in(other, "qian")
    assert other.get(f"/sheets/{scorer_id}").status_code == 404
    assert other.get("/sheet").status_code == 400


def test_a_link_needs_no_account(app, team, roster):
    leader = phone(app, new_scorer(team, roster.assessment_id, "city_leader", "赵市长"))
    assert leader.get("/sheet").status_code == 200
