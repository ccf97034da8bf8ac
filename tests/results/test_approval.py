"""The A15 chain: propose, three offices, leading group, Party committee; returns; locking;
amendments after approval."""

from __future__ import annotations

import json

import pytest
from flask import Flask
from sqlalchemy import func, select

from ballot.assessments.models import Assessment
from ballot.assessments.services import LockedError, ensure_inputs_open
from ballot.audit.models import AuditEntry
from ballot.audit.services import verify_chain
from ballot.db import get_session
from ballot.evaluations.models import VoteTally
from ballot.results import approval
from ballot.results.approval import ApprovalError
from ballot.results.models import Amendment, ApprovalStep, ResultSnapshot
from ballot.results.services import (
    approved_figures,
    figures_for,
    record_decision,
    set_previous_grades,
)
from tests.conftest import csrf_token, sign_in
from tests.results.conftest import World, account, approve, resolve


@pytest.fixture
def ctx(app: Flask, world: World):  # type: ignore[no-untyped-def]
    with app.app_context():
        db = get_session()
        yield db, db.get(Assessment, world.assessment_id), world


def _user(db, world, name):  # type: ignore[no-untyped-def]
    return account(db, getattr(world.accounts, name))


def _count(db, model) -> int:  # type: ignore[no-untyped-def]
    return db.scalar(select(func.count()).select_from(model))


def test_propose_needs_locked_inputs_and_every_member_graded(ctx):
    db, assessment, world = ctx
    team = _user(db, world, "team")
    with pytest.raises(ApprovalError, match="录入尚未锁定"):
        approval.propose(db, assessment, team)
    assessment.inputs_locked = True
    with pytest.raises(ApprovalError, match="李秀兰、陈国华、吴芳"):
        approval.propose(db, assessment, team)
    with pytest.raises(ApprovalError) as refused:
        approval.propose(db, assessment, _user(db, world, "organization"))
    assert refused.value.status == 403
    assert assessment.stage == "setup" and _count(db, ResultSnapshot) == 0
    db.rollback()


def test_full_chain_with_a_return_and_a_new_proposal(ctx):
    db, assessment, world = ctx
    team = _user(db, world, "team")
    resolve(db, assessment, team)
    assessment.inputs_locked = True
    first = approval.propose(db, assessment, team, "第一次建议")
    assert assessment.stage == "review"
    snapshot = json.loads(db.get(ResultSnapshot, first.snapshot_id).payload)
    grades = {m["name"]: m["grade"] for m in snapshot["members"]}
    assert grades["李秀兰"] == "excellent" and grades["陈国华"] == "competent"
    assert snapshot["members"][0]["components"]["H"] == {"score": "98.00", "weighted": "9.80"}
    assert [d["kind"] for d in snapshot["members"][1]["decisions"]] == ["tie"]
    approval.act(db, assessment, _user(db, world, "organization"), "sign_off", "同意")
    assert approval.waiting_for(db, assessment) == ["supervision", "poverty"]
    with pytest.raises(ApprovalError, match="退回必须写明意见"):
        approval.act(db, assessment, _user(db, world, "supervision"), "return", " ")
    approval.act(db, assessment, _user(db, world, "supervision"), "return", "同分二人请再研究")
    assert assessment.stage == "setup" and approval.waiting_for(db, assessment) == ["team"]
    # the team changes its tie decision and proposes again
    record_decision(db, assessment, world.members["李秀兰"], "tie", actor=team,
                    grade="competent", reason="按督考办意见重新研究")
    record_decision(db, assessment, world.members["陈国华"], "tie", actor=team,
                    grade="excellent", reason="按督考办意见重新研究")
    second = approval.propose(db, assessment, team, "第二次建议")
    # the organization department's sign-off was for the first proposal: it no longer counts
    assert approval.signed_off(db, assessment) == set()
    for office in ("organization", "supervision"):
        approval.act(db, assessment, _user(db, world, office), "sign_off", "")
    assert assessment.stage == "review"
    approval.act(db, assessment, _user(db, world, "poverty"), "sign_off", "同意")
    assert assessment.stage == "deliberation"
    approval.act(db, assessment, _user(db, world, "leading_group"), "deliberate", "审议通过")
    assert assessment.stage == "approval"
    step = approval.act(db, assessment, _user(db, world, "party_committee"), "approve", "审定")
    assert assessment.stage == "approved" and step.snapshot_id == second.snapshot_id
    figures = approved_figures(db, assessment)
    assert {m["name"]: m["grade"] for m in figures["members"]}["陈国华"] == "excellent"
    trail = [(s.action, s.office) for s in approval.trail(db, assessment)]
    assert trail == [("propose", None), ("sign_off", "organization"),
                     ("return", "supervision"), ("propose", None),
                     ("sign_off", "organization"), ("sign_off", "supervision"),
                     ("sign_off", "poverty"), ("deliberate", "leading_group"),
                     ("approve", "party_committee")]
    actions = list(db.scalars(select(AuditEntry.action).where(
        AuditEntry.action.like("approval.%")).order_by(AuditEntry.id)))
    assert actions == ["approval." + action for action, _office in trail]
    returned = db.scalar(select(AuditEntry).where(AuditEntry.action == "approval.return"))
    assert json.loads(returned.before) == {"stage": "review"}
    assert json.loads(returned.after)["comment"] == "同分二人请再研究"
    assert verify_chain(db) == []
    db.commit()


@pytest.mark.parametrize("stage, office, action, status", [
    ("review", "party_committee", "approve", 409),
    ("review", "leading_group", "deliberate", 409),
    ("review", "team", "sign_off", 403),
    ("review", "admin", "approve", 403),
    ("review", "organization", "approve", 403),
    ("review", "organization", "deliberate", 403),
    ("review", "team", "propose", 409),
    ("review", "organization", "dance", 400),
    ("deliberation", "organization", "sign_off", 409),
    ("deliberation", "party_committee", "approve", 409),
    ("approval", "leading_group", "deliberate", 409),
    ("setup", "organization", "sign_off", 409),
    ("approved", "party_committee", "approve", 409),
    ("approved", "supervision", "return", 409),
])
def test_wrong_office_or_stage_is_refused_and_nothing_changes(ctx, stage, office, action,
                                                                status):
    db, assessment, world = ctx
    assessment.stage = stage
    db.flush()
    steps, entries = _count(db, ApprovalStep), _count(db, AuditEntry)
    with pytest.raises(ApprovalError) as refused:
        approval.act(db, assessment, _user(db, world, office), action, "意见")
    assert refused.value.status == status and str(refused.value)
    assert assessment.stage == stage
    assert (_count(db, ApprovalStep), _count(db, AuditEntry)) == (steps, entries)
    db.rollback()


def test_an_office_cannot_sign_off_twice(ctx):
    db, assessment, world = ctx
    resolve(db, assessment, _user(db, world, "team"))
    assessment.inputs_locked = True
    approval.propose(db, assessment, _user(db, world, "team"))
    approval.act(db, assessment, _user(db, world, "organization"), "sign_off")
    with pytest.raises(ApprovalError, match="已经审核同意"):
        approval.act(db, assessment, _user(db, world, "organization"), "sign_off")
    db.rollback()


def test_everything_locked_after_approval_then_an_amendment(ctx):
    db, assessment, world = ctx
    team = _user(db, world, "team")
    resolve(db, assessment, team)
    with pytest.raises(ApprovalError, match="尚未审定"):
        approval.amend(db, assessment, team, world.members["周强"], "competent", "改", "理由")
    approve(db, assessment, world.accounts)
    with pytest.raises(LockedError, match="更正"):
        record_decision(db, assessment, world.members["吴芳"], "missing_input", actor=team,
                        grade="excellent", reason="理由")
    with pytest.raises(LockedError):
        ensure_inputs_open(assessment)
    with pytest.raises(LockedError):
        set_previous_grades(db, assessment, {world.members["吴芳"]: "excellent"}, team)
    # the approved figures are frozen: a later change to the votes does not move them
    tally = db.scalars(select(VoteTally).where(VoteTally.member_id == world.members["周强"])).first()
    tally.excellent = 10
    db.flush()
    figures, frozen = figures_for(db, assessment)
    zhou = next(m for m in figures["members"] if m["name"] == "周强")
    assert frozen and zhou["composite"] == "78.80" and zhou["grade"] == "basically_competent"
    # an amendment needs a reason, a new grade, and respects the quota
    with pytest.raises(ApprovalError, match="理由"):
        approval.amend(db, assessment, team, world.members["周强"], "competent", "复核", " ")
    with pytest.raises(ApprovalError, match="优秀名额不足"):
        approval.amend(db, assessment, team, world.members["周强"], "excellent", "复核", "申诉")
    with pytest.raises(ApprovalError) as refused:
        approval.amend(db, assessment, _user(db, world, "party_committee"),
                       world.members["周强"], "competent", "复核", "申诉")
    assert refused.value.status == 403
    amendment = approval.amend(db, assessment, team, world.members["周强"], "competent",
                               "复核民主测评原始票后更正等次", "本人申诉经核实成立")
    assert (amendment.grade_before, amendment.grade_after) == ("basically_competent", "competent")
    figures = approved_figures(db, assessment)
    zhou = next(m for m in figures["members"] if m["name"] == "周强")
    assert zhou["grade"] == "competent" and "amended" in zhou["flags"]
    assert "admonition" not in zhou["flags"]
    assert figures["amendments"][0]["reason"] == "本人申诉经核实成立"
    assert amendment.snapshot_id == db.scalar(select(func.max(ResultSnapshot.id)))
    entry = db.scalar(select(AuditEntry).where(AuditEntry.action == "amendment.record"))
    assert json.loads(entry.before) == {"grade": "basically_competent"}
    assert _count(db, Amendment) == 1
    db.commit()


def _signed_in(app, name):  # type: ignore[no-untyped-def]
    client = app.test_client()
    assert sign_in(client, name).status_code == 303
    return client


def test_chain_through_the_pages(app, world):
    with app.app_context():
        db = get_session()
        assessment = db.get(Assessment, world.assessment_id)
        resolve(db, assessment, account(db, world.accounts.team))
        assessment.inputs_locked = True
        db.commit()
    url = f"/assessments/{world.assessment_id}/approval"
    team = _signed_in(app, "team1")
    page = team.get(url).get_data(as_text=True)
    assert "提出建议，送三部门审核" in page
    token = csrf_token(team, url)
    assert team.post(url, data={"csrf_token": token, "action": "propose",
                                "comment": "建议"}).status_code == 303
    page = team.get(url).get_data(as_text=True)
    assert "三部门审核中" in page and "市委组织部、市督考办、市扶贫办" in page
    # the Party committee cannot act yet; the observer cannot act at all
    party = _signed_in(app, "party1")
    refused = party.post(url, data={"csrf_token": csrf_token(party, url), "action": "approve"})
    assert refused.status_code == 409 and "现在不是本部门审批的环节" in refused.get_data(
        as_text=True)
    observer = _signed_in(app, "watch1")
    assert observer.post(url, data={"csrf_token": csrf_token(observer, "/home"),
                                    "action": "sign_off"}).status_code == 403
    org = _signed_in(app, "org1")
    org_page = org.get(url).get_data(as_text=True)
    assert "审核同意" in org_page
    no_comment = org.post(url, data={"csrf_token": csrf_token(org, url), "action": "return"})
    assert no_comment.status_code == 400 and "退回必须写明意见" in no_comment.get_data(
        as_text=True)
    for name in ("org1", "sup1", "pov1"):
        client = _signed_in(app, name)
        assert client.post(url, data={"csrf_token": csrf_token(client, url),
                                      "action": "sign_off"}).status_code == 303
    lead = _signed_in(app, "lead1")
    assert lead.post(url, data={"csrf_token": csrf_token(lead, url), "action": "deliberate",
                                "comment": "通过"}).status_code == 303
    assert party.post(url, data={"csrf_token": csrf_token(party, url), "action": "approve",
                                 "comment": "审定"}).status_code == 303
    page = team.get(url).get_data(as_text=True)
    assert "市委已审定" in page and "登记更正" in page
    results = f"/assessments/{world.assessment_id}/results"
    locked = team.post(results + "/decisions", data={
        "csrf_token": csrf_token(team, results), "member_id": world.members["吴芳"],
        "kind": "missing_input", "grade": "competent", "reason": "理由"})
    assert locked.status_code == 409 and "更正" in locked.get_data(as_text=True)
    amended = team.post(f"/assessments/{world.assessment_id}/amendments", data={
        "csrf_token": csrf_token(team, url), "member_id": world.members["周强"],
        "grade": "competent", "description": "复核后更正", "reason": "申诉成立"})
    assert amended.status_code == 303
    for page_url in (url, results):
        html = team.get(page_url).get_data(as_text=True)
        assert "审定后的更正" in html and "申诉成立" in html and "审定后已更正" in html
    no_reason = team.post(f"/assessments/{world.assessment_id}/amendments", data={
        "csrf_token": csrf_token(team, url), "member_id": world.members["孙丽"],
        "grade": "excellent", "description": "x", "reason": ""})
    assert no_reason.status_code == 400
