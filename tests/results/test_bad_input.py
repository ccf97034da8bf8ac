"""Bad input to the results pages' POSTs (decisions, last year's grades, A15 steps, amendments):
a clear message in the visitor's language, a 4xx page, and nothing written."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from ballot.assessments.models import Assessment, Member, Stage
from ballot.audit.models import AuditEntry
from ballot.db import get_session
from ballot.results import approval
from ballot.results.approval import ApprovalError
from ballot.results.models import Amendment, ApprovalStep, Decision, ResultSnapshot
from tests.conftest import csrf_token, sign_in
from tests.results.conftest import World, account, approve, resolve

#: A 5,000-digit number: Python's int() refuses it, the database could not hold it.
HUGE = "9" * 5000
TOO_LONG = "长" * 2001


def _written(app: Flask) -> tuple[int, ...]:
    """How many rows of everything the results pages write, and the members' last-year grades."""
    with app.app_context():
        db = get_session()
        counts = tuple(db.scalar(select(func.count()).select_from(model)) or 0
                       for model in (Decision, ApprovalStep, Amendment, ResultSnapshot,
                                     AuditEntry))
        grades = tuple(g or "" for g in db.scalars(
            select(Member.previous_grade).order_by(Member.id)))
        stages = tuple(str(s) for s in db.scalars(select(Assessment.stage).order_by(Assessment.id)))
    return (*counts, hash(grades), hash(stages))


def _client(app: Flask, name: str) -> FlaskClient:
    client = app.test_client()
    assert sign_in(client, name).status_code == 303
    return client


@pytest.fixture
def team(app: Flask, world: World) -> FlaskClient:
    return _client(app, "team1")


def _refused(response, status: int, message: str) -> None:  # type: ignore[no-untyped-def]
    page = response.get_data(as_text=True)
    assert response.status_code == status, page[:500]
    assert message in page
    assert HUGE not in page and TOO_LONG not in page  # cut short in the message


@pytest.mark.parametrize("change, message", [
    ({"member_id": HUGE}, "成员：请选择成员。"),
    ({"member_id": "-3"}, "成员：请选择成员。"),
    ({"member_id": ""}, "成员：请选择成员。"),
    ({"kind": "bonus"}, "决定类型：无效的选项“bonus”。"),
    ({"kind": ""}, "决定类型：请选择。"),
    ({"grade": "perfect"}, "等次：无效的选项“perfect”。"),
    ({"veto_area": HUGE}, "否决领域：无效的选项“99999999999999999999…”。"),
    ({"basis": "luck", "kind": "promotion"}, "提拔依据：无效的选项“luck”。"),
    ({"reason": TOO_LONG}, "理由：最多 2000 个字，收到 2001 个。"),
    ({"facts": TOO_LONG}, "事实：最多 2000 个字，收到 2001 个。"),
])
def test_a_bad_decision_form_writes_nothing(app, world, team, change, message):
    url = f"/assessments/{world.assessment_id}/results"
    before = _written(app)
    form = {"csrf_token": csrf_token(team, url), "member_id": world.members["李秀兰"],
            "kind": "tie", "grade": "excellent", "reason": "分管工作成效更突出", **change}
    _refused(team.post(url + "/decisions", data=form), 400, message)
    assert _written(app) == before


@pytest.mark.parametrize("field, value, message", [
    (f"previous_{HUGE}", "excellent", "成员：本次考核中没有“99999999999999999999…”这名成员。"),
    ("previous_999999", "excellent", "成员：本次考核中没有“999999”这名成员。"),
    (None, "gold", "上年等次：无效的选项“gold”。"),
    (None, HUGE, "上年等次：无效的选项“99999999999999999999…”。"),
])
def test_bad_previous_grades_write_nothing(app, world, team, field, value, message):
    url = f"/assessments/{world.assessment_id}/results"
    before = _written(app)
    form = {"csrf_token": csrf_token(team, url), f"previous_{world.members['张明远']}": "competent",
            field or f"previous_{world.members['周强']}": value}
    _refused(team.post(url + "/previous-grades", data=form), 400, message)
    assert _written(app) == before


@pytest.mark.parametrize("form, message", [
    ({"action": "dance"}, "操作：无效的选项“dance”。"),
    ({"action": HUGE}, "操作：无效的选项“99999999999999999999…”。"),
    ({}, "操作：请选择。"),
    ({"action": "sign_off", "comment": TOO_LONG}, "意见：最多 2000 个字，收到 2001 个。"),
])
def test_a_bad_approval_step_writes_nothing(app, world, form, message):
    with app.app_context():
        db = get_session()
        assessment = db.get_one(Assessment, world.assessment_id)
        resolve(db, assessment, account(db, world.accounts.team))
        assessment.inputs_locked = True
        approval.propose(db, assessment, account(db, world.accounts.team))
        db.commit()
    org = _client(app, "org1")
    url = f"/assessments/{world.assessment_id}/approval"
    before = _written(app)
    _refused(org.post(url, data={"csrf_token": csrf_token(org, url), **form}), 400, message)
    assert _written(app) == before


@pytest.mark.parametrize("change, message", [
    ({"member_id": HUGE}, "成员：请选择成员。"),
    ({"member_id": "abc"}, "成员：请选择成员。"),
    ({"grade": "gold"}, "新等次：无效的选项“gold”。"),
    ({"description": TOO_LONG}, "更正内容：最多 2000 个字，收到 2001 个。"),
    ({"reason": TOO_LONG}, "理由：最多 2000 个字，收到 2001 个。"),
])
def test_a_bad_amendment_writes_nothing(app, world, team, change, message):
    with app.app_context():
        db = get_session()
        assessment = db.get_one(Assessment, world.assessment_id)
        resolve(db, assessment, account(db, world.accounts.team))
        approve(db, assessment, world.accounts)
        db.commit()
    url = f"/assessments/{world.assessment_id}/approval"
    before = _written(app)
    form = {"csrf_token": csrf_token(team, url), "member_id": world.members["周强"],
            "grade": "competent", "description": "复核后更正", "reason": "申诉成立", **change}
    _refused(team.post(f"/assessments/{world.assessment_id}/amendments", data=form), 400,
             message)
    assert _written(app) == before


def test_an_english_visitor_reads_the_refusal_in_english(app, world, team):
    team.get("/lang/en")
    url = f"/assessments/{world.assessment_id}/results"
    before = _written(app)
    response = team.post(url + "/decisions", data={
        "csrf_token": csrf_token(team, url), "member_id": world.members["李秀兰"],
        "kind": "bonus", "reason": "r"})
    assert response.status_code == 400
    assert "Decision type: not one of the choices" in response.get_data(as_text=True)
    assert _written(app) == before


def test_a_move_outside_the_a15_chain_is_refused(app, world):
    """``check_move`` holds every stage change to ``Stage.may_move_to``."""
    with app.app_context():
        db = get_session()
        assessment = db.get_one(Assessment, world.assessment_id)
        assert approval.check_move(assessment, Stage.REVIEW) is Stage.SETUP
        for stage, target in ((Stage.SETUP, Stage.APPROVED), (Stage.APPROVED, Stage.SETUP),
                              (Stage.REVIEW, Stage.APPROVAL)):
            assessment.stage = stage
            with pytest.raises(ApprovalError, match="审批流程不能从") as refused:
                approval.check_move(assessment, target)
            assert refused.value.status == 409 and assessment.stage == stage
        db.rollback()
