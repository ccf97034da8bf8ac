"""Bad input on the score pages: every one answers with a clear message in the visitor's
language and a 4xx status (the form again), and stores nothing; a full-width score typed on a
phone is read as ASCII."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from ballot.audit.models import AuditEntry
from ballot.db import get_session
from ballot.errors import Refusal
from ballot.scores.county_services import CountyScoreError
from ballot.scores.models import Scorer
from ballot.scores.reading import ScoreProblem, read_score
from ballot.scores.services import LinkProblem, ScorerError, SheetError
from tests.conftest import csrf_token
from tests.scores.conftest import add_scorer, new_scorer, phone, submit
from tests.scores.test_sheets import heads_form, stored

LONG = "9" * 5000

#: A bad score, and what the sheet says about it.
BAD_SCORES = [
    (LONG, "99999999999999999999… 超出范围"),
    ("1e2", "“1e2”不是有效的数字"),
    ("NaN", "“NaN”不是有效的数字"),
    ("Infinity", "“Infinity”不是有效的数字"),
    ("-1", "-1 超出范围"),
    ("100.001", "100.001 超出范围"),
    ("90.123", "90.123 的小数超过两位"),
    ("+5", "“+5”不是有效的数字"),
    ("٣", "“٣”不是有效的数字"),
    ("", "请填写分数"),
    ("   ", "请填写分数"),
]


def _audit_count(app) -> int:  # type: ignore[no-untyped-def]
    with app.app_context():
        return get_session().scalar(select(func.count(AuditEntry.id)))


def _scorer_id(app, name: str) -> int:  # type: ignore[no-untyped-def]
    with app.app_context():
        return get_session().scalar(select(Scorer.id).where(Scorer.name == name))


@pytest.mark.parametrize("value, message", BAD_SCORES)
def test_a_bad_score_on_the_phone_is_named_and_nothing_is_stored(app, team, roster, value,
                                                                  message):
    leader = phone(app, new_scorer(team, roster.assessment_id, "city_leader", "赵市长"))
    entries = _audit_count(app)
    response = submit(leader, {"score": value}, "赵市长")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in page and 'id="e-score"' in page
    assert "评分表有 1 处需要修改，未保存任何内容" in page
    assert page.count(LONG) <= 1  # shown again in its input at most, never in a message
    assert stored(app, "赵市长") == (None, "link", False, {})
    assert _audit_count(app) == entries


@pytest.mark.parametrize("value, message", BAD_SCORES)
def test_a_bad_score_typed_from_paper_is_named_and_nothing_is_stored(app, team, roster, value,
                                                                     message):
    aid, members = roster.assessment_id, roster.member_ids
    new_scorer(team, aid, "county_head", "孙书记")
    path = f"/assessments/{aid}/scorers/{_scorer_id(app, '孙书记')}/paper"
    entries = _audit_count(app)
    response = team.post(path, data={"csrf_token": csrf_token(team, path),
                                     **heads_form(members, "90", value, "80")})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in page and f'id="e-m{members[1]}"' in page
    assert stored(app, "孙书记") == (None, "link", False, {})
    assert _audit_count(app) == entries


def test_full_width_scores_are_read_as_ascii(app, team, roster):
    aid, members = roster.assessment_id, roster.member_ids
    leader = phone(app, new_scorer(team, aid, "city_leader", "赵市长"))
    assert submit(leader, {"score": "８５．５"}, "赵市长").status_code == 303
    assert stored(app, "赵市长")[3] == {"score": "85.5"}
    new_scorer(team, aid, "county_head", "孙书记")
    path = f"/assessments/{aid}/scorers/{_scorer_id(app, '孙书记')}/paper"
    done = team.post(path, data={"csrf_token": csrf_token(team, path),
                                 **heads_form(members, "１００", "０", "　７７．２５　")})
    assert done.status_code == 303
    assert stored(app, "孙书记")[3] == heads_form(members, "100", "0", "77.25")


def test_an_english_visitor_reads_the_problems_in_english(app, team, roster):
    leader = phone(app, new_scorer(team, roster.assessment_id, "city_leader", "赵市长"))
    assert leader.get("/lang/en").status_code in (302, 303)
    response = submit(leader, {"score": LONG}, "钱市长")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "99999999999999999999… is out of range" in page
    assert "超出范围" not in page
    assert stored(app, "赵市长") == (None, "link", False, {})


def test_a_signature_too_long_or_with_control_characters_is_refused(app, team, roster):
    leader = phone(app, new_scorer(team, roster.assessment_id, "city_leader", "赵市长"))
    for signature, message in [("赵" * 5000, "签名：最多 40 个字，收到 5000 个"),
                               ("赵\t市长", "签名：不能包含换行、制表符等控制字符")]:
        response = submit(leader, {"score": "90"}, signature)
        assert response.status_code == 422
        assert message in response.get_data(as_text=True)
    assert stored(app, "赵市长") == (None, "link", False, {})


@pytest.mark.parametrize("fields, message", [
    ({"name": "赵" * 5000}, "姓名：最多 40 个字，收到 5000 个"),
    ({"name": ""}, "姓名：必须填写"),
    ({"name": "赵\n市长"}, "姓名：不能包含换行、制表符等控制字符"),
    ({"title": "长" * 81}, "职务：最多 80 个字，收到 81 个"),
    ({"kind": "x" * 5000}, "类别：最多 20 个字"),
    ({"kind": "mayor"}, "请选择评分人类别"),
    ({"username": "u" * 5000}, "评分人账号：最多 60 个字"),
])
def test_a_bad_scorer_is_refused_and_nothing_is_added(app, team, roster, fields, message):
    entries = _audit_count(app)
    values = {"kind": "city_leader", "name": "赵市长", **fields}
    response = add_scorer(team, roster.assessment_id, values["kind"], values["name"],
                          values.get("title", ""), values.get("username", ""))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in page and "添加评分人" in page  # the scorers page again
    with app.app_context():
        assert get_session().scalar(select(func.count(Scorer.id))) == 0
    assert _audit_count(app) == entries


def test_a_reason_too_long_is_refused_and_nothing_changes(app, team, roster):
    aid = roster.assessment_id
    new_scorer(team, aid, "city_leader", "赵市长")
    path = f"/assessments/{aid}/scorers/{_scorer_id(app, '赵市长')}/withdraw"
    entries = _audit_count(app)
    response = team.post(path, data={"csrf_token": csrf_token(team, "/home"),
                                     "reason": "误" * 5000})
    assert response.status_code == 422
    assert "原因：最多 500 个字，收到 5000 个" in response.get_data(as_text=True)
    assert stored(app, "赵市长")[2] is False
    assert _audit_count(app) == entries


def test_a_lock_refused_while_an_evaluation_is_open_changes_nothing(app, team, roster):
    from ballot.assessments.models import Assessment
    from ballot.evaluations.models import Evaluation, Kind, State

    aid = roster.assessment_id
    with app.app_context():
        db = get_session()
        db.add(Evaluation(assessment_id=aid, kind=Kind.DEMOCRATIC.value, state=State.OPEN.value))
        db.commit()
    response = team.post(f"/assessments/{aid}/lock", data={"csrf_token": csrf_token(team, "/home")})
    assert response.status_code == 422
    assert "还有进行中的测评" in response.get_data(as_text=True)
    with app.app_context():
        assert get_session().get(Assessment, aid).inputs_locked is False


@pytest.mark.parametrize("text, expected", [
    (LONG, ScoreProblem.OUT_OF_RANGE), ("1e2", ScoreProblem.NOT_A_NUMBER),
    ("NaN", ScoreProblem.NOT_A_NUMBER), ("-1", ScoreProblem.OUT_OF_RANGE),
    ("100.001", ScoreProblem.OUT_OF_RANGE), ("99.999", ScoreProblem.TOO_MANY_DECIMALS),
    ("", ScoreProblem.EMPTY), ("90.", ScoreProblem.NOT_A_NUMBER), (".5", ScoreProblem.NOT_A_NUMBER),
    ("9²", ScoreProblem.NOT_A_NUMBER), ("８５", 85), ("-0", 0), ("100.00", 100),
])
def test_read_score(text, expected):
    assert read_score(text) == expected


def test_the_refusals_are_refusals_with_chinese_messages(app):
    with app.test_request_context():
        refusals = [ScorerError("请填写评分人姓名。"), SheetError({"score": "请填写分数。"}),
                    LinkProblem("withdrawn"), CountyScoreError(["县区名称：不能为空。"])]
        assert all(isinstance(r, Refusal) for r in refusals)
        assert [r.lines() for r in refusals] == [
            ["请填写评分人姓名。"], ["请填写分数。"],
            ["考核组已撤回这份评分表，它不再计入考核结果。如有疑问请联系考核组。"],
            ["县区名称：不能为空。"]]
        assert [LinkProblem(r).status for r in ("unknown", "withdrawn", "no_sheet")] == [
            404, 410, 400]
