"""The team's decisions: tie at the quota line (A12), veto (A14), missing inputs, A17 mark."""

from __future__ import annotations

import json

import pytest
from flask import Flask
from sqlalchemy import func, select

from ballot.assessments.models import Assessment
from ballot.assessments.services import LockedError
from ballot.audit.models import AuditEntry
from ballot.db import get_session
from ballot.results.models import Decision
from ballot.results.services import DecisionError, record_decision, summarize
from tests.conftest import csrf_token, sign_in
from tests.results.conftest import World, account


def _grades(db, assessment):  # type: ignore[no-untyped-def]
    return {row.member.name: row.grade for row in summarize(db, assessment).rows}


def _decisions(db) -> int:  # type: ignore[no-untyped-def]
    return db.scalar(select(func.count()).select_from(Decision))


@pytest.fixture
def ctx(app: Flask, world: World):  # type: ignore[no-untyped-def]
    with app.app_context():
        db = get_session()
        yield db, db.get(Assessment, world.assessment_id), account(db, world.accounts.team), world


def test_tie_at_quota_resolved_by_the_team_and_audited(ctx):
    db, assessment, team, world = ctx
    ids = world.members
    record_decision(db, assessment, ids["李秀兰"], "tie", actor=team, grade="excellent",
                    reason="分管工作成效更突出")
    record_decision(db, assessment, ids["陈国华"], "tie", actor=team, grade="competent",
                    reason="同分，集体研究")
    summary = summarize(db, assessment)
    rows = {r.member.name: r for r in summary.rows}
    assert rows["李秀兰"].grade == "excellent" and "decided" in rows["李秀兰"].flags
    assert rows["陈国华"].grade == "competent"
    assert summary.excellent_count == 2
    assert [r.member.name for r in summary.undecided] == ["吴芳"]
    entry = db.scalars(select(AuditEntry).where(AuditEntry.action == "decision.record")
                       .order_by(AuditEntry.id)).first()
    assert entry.actor == "team1" and entry.target == f"member:{ids['李秀兰']}"
    assert json.loads(entry.before) == {"decision": None, "grade": None}
    after = json.loads(entry.after)
    assert after["grade"] == "excellent" and after["decision"]["reason"] == "分管工作成效更突出"


def test_excellent_beyond_the_quota_is_refused_and_nothing_recorded(ctx):
    db, assessment, team, world = ctx
    ids = world.members
    record_decision(db, assessment, ids["李秀兰"], "tie", actor=team, grade="excellent",
                    reason="理由")
    before = _decisions(db)
    with pytest.raises(DecisionError, match="优秀名额不足.*可用名额 2 个.*已占 2 个"):
        record_decision(db, assessment, ids["陈国华"], "tie", actor=team, grade="excellent",
                        reason="也想优秀")
    assert _decisions(db) == before
    # a missing-input member cannot be made Excellent past the quota either
    with pytest.raises(DecisionError, match="优秀名额不足"):
        record_decision(db, assessment, ids["吴芳"], "missing_input", actor=team,
                        grade="excellent", reason="理由")
    assert _grades(db, assessment)["陈国华"] is None


@pytest.mark.parametrize("member, kind, grade, reason, message", [
    ("李秀兰", "tie", "excellent", "  ", "必须写明理由"),
    ("赵卫东", "tie", "competent", "理由", "没有处在优秀名额线上"),
    ("李秀兰", "tie", "basically_competent", "理由", "只能定为优秀或称职"),
    ("张明远", "missing_input", "competent", "理由", "不缺少录入"),
    ("吴芳", "missing_input", "", "理由", "请为 吴芳 选择等次"),
    ("吴芳", "missing_input", "perfect", "理由", "无效的等次 perfect"),
    ("张明远", "veto", "", "理由", "没有一票否决可撤销"),
    ("张明远", "promotion", "", "理由", "没有被标记为提拔使用人选"),
    ("张明远", "bonus", "", "理由", "无效的类型 bonus"),
])
def test_bad_decisions_are_refused_with_a_clear_message(ctx, member, kind, grade, reason,
                                                         message):
    db, assessment, team, world = ctx
    with pytest.raises(DecisionError, match=message):
        record_decision(db, assessment, world.members[member], kind, actor=team, grade=grade,
                        reason=reason)
    assert _decisions(db) == 0


def test_a_veto_is_carried_through_and_can_be_withdrawn(ctx):
    db, assessment, team, world = ctx
    ids = world.members
    with pytest.raises(DecisionError, match="事实"):
        record_decision(db, assessment, ids["张明远"], "veto", actor=team,
                        veto_area="work_safety", grade="competent", reason="理由")
    with pytest.raises(DecisionError, match="无效的领域"):
        record_decision(db, assessment, ids["张明远"], "veto", actor=team, veto_area="weather",
                        facts="事实", grade="competent", reason="理由")
    record_decision(db, assessment, ids["张明远"], "veto", actor=team, veto_area="work_safety",
                    facts="分管领域发生较大安全生产事故", grade="competent",
                    reason="负有领导责任")
    rows = {r.member.name: r for r in summarize(db, assessment).rows}
    assert rows["张明远"].grade == "competent"
    assert {"veto", "decided"} <= set(rows["张明远"].flags)
    # the vetoed member leaves the quota: the two members at 90.60 now both fit in 2 places
    assert rows["李秀兰"].grade == rows["陈国华"].grade == "excellent"
    assert rows["赵卫东"].grade == "competent"
    # withdrawing = a new veto decision without an area; the old one stays on record
    record_decision(db, assessment, ids["张明远"], "veto", actor=team, reason="经核实不负责任")
    rows = {r.member.name: r for r in summarize(db, assessment).rows}
    assert rows["张明远"].grade == "excellent" and "veto" not in rows["张明远"].flags
    assert rows["李秀兰"].grade is None
    assert _decisions(db) == 2


def test_missing_input_decided_and_a17_mark(ctx):
    db, assessment, team, world = ctx
    ids = world.members
    record_decision(db, assessment, ids["吴芳"], "missing_input", actor=team,
                    grade="basically_competent", reason="正职评分表缺失，依平时考核")
    row = next(r for r in summarize(db, assessment).rows if r.member.name == "吴芳")
    # a decided Basically competent brings its A19 consequence like a computed one
    assert row.grade == "basically_competent" and {"decided", "admonition"} <= set(row.flags)
    record_decision(db, assessment, ids["孙丽"], "promotion", actor=team, facts="poverty_exit",
                    reason="所在区当年脱贫摘帽")
    row = next(r for r in summarize(db, assessment).rows if r.member.name == "孙丽")
    assert "promotion_candidate" in row.flags and row.grade == "competent"
    record_decision(db, assessment, ids["孙丽"], "promotion", actor=team, reason="撤销标记")
    row = next(r for r in summarize(db, assessment).rows if r.member.name == "孙丽")
    assert "promotion_candidate" not in row.flags


def test_decisions_refused_once_proposed(ctx):
    db, assessment, team, world = ctx
    assessment.stage = "review"
    with pytest.raises(LockedError, match="已提交审批"):
        record_decision(db, assessment, world.members["吴芳"], "missing_input", actor=team,
                        grade="competent", reason="理由")
    assert _decisions(db) == 0
    db.rollback()


def test_decide_through_the_page_shows_history_and_refusals(app, world):
    client = app.test_client()
    sign_in(client, "team1")
    url = f"/assessments/{world.assessment_id}/results"
    token = csrf_token(client, url)
    done = client.post(url + "/decisions", data={
        "csrf_token": token, "member_id": world.members["李秀兰"], "kind": "tie",
        "grade": "excellent", "veto_area": "", "facts": "", "reason": "分管工作成效更突出"})
    assert done.status_code == 303
    page = client.get(url).get_data(as_text=True)
    assert "分管工作成效更突出" in page and "考核组已决定" in page
    refused = client.post(url + "/decisions", data={
        "csrf_token": token, "member_id": world.members["陈国华"], "kind": "tie",
        "grade": "excellent", "reason": "也优秀"})
    assert refused.status_code == 400
    assert "优秀名额不足" in refused.get_data(as_text=True)
    bad = client.post(url + "/decisions", data={"csrf_token": token, "member_id": "x",
                                                 "kind": "tie", "reason": "r"})
    assert bad.status_code == 400 and "请选择成员" in bad.get_data(as_text=True)
    with app.app_context():
        assert _decisions(get_session()) == 1


def test_only_editors_may_decide(app, world):
    url = f"/assessments/{world.assessment_id}/results/decisions"
    form = {"member_id": world.members["吴芳"], "kind": "missing_input", "grade": "competent",
            "reason": "理由"}
    anonymous = app.test_client()
    token = csrf_token(anonymous, "/sign-in")
    assert anonymous.post(url, data={**form, "csrf_token": token}).status_code == 302
    for user in ("watch1", "org1"):
        client = app.test_client()
        sign_in(client, user)
        token = csrf_token(client, "/home")
        assert client.post(url, data={**form, "csrf_token": token}).status_code == 403
    with app.app_context():
        assert _decisions(get_session()) == 0
