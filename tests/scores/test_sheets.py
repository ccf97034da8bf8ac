"""Signed score sheets end to end: the team adds scorers and shows their links once, each scorer
fills form 4 or form 5 on a phone and signs it, corrects it, the team locks the inputs (A8.3,
A8.4); L and H then reach the composite scoring."""

from __future__ import annotations

import json
from decimal import Decimal

from flask import Flask
from sqlalchemy import select

from ballot.assessments.models import Assessment
from ballot.audit.models import AuditEntry
from ballot.db import get_session
from ballot.results.services import build_input
from ballot.scores.models import Scorer
from ballot.scores.services import sheet_scores
from tests.conftest import csrf_token
from tests.scores.conftest import Roster, add_scorer, link_token, new_scorer, phone, submit


def stored(app: Flask, name: str) -> tuple[str | None, str, bool, dict[str, str]]:
    """A scorer's sheet as the database holds it: signature, source, withdrawn, scores."""
    with app.app_context():
        db = get_session()
        scorer = db.scalar(select(Scorer).where(Scorer.name == name))
        assert scorer is not None
        return scorer.signed_name, scorer.source, scorer.withdrawn, sheet_scores(db, scorer)


def audit(app: Flask, action: str) -> list[AuditEntry]:
    with app.app_context():
        db = get_session()
        entries = db.scalars(select(AuditEntry).where(AuditEntry.action == action)
                             .order_by(AuditEntry.id)).all()
        db.expunge_all()
        return list(entries)


def inputs(app: Flask, assessment_id: int):  # type: ignore[no-untyped-def]
    with app.app_context():
        db = get_session()
        return build_input(db, db.get(Assessment, assessment_id))


def heads_form(member_ids: list[int], *scores: str) -> dict[str, str]:
    return {f"m{m}": s for m, s in zip(member_ids, scores, strict=True)}


def test_full_path_from_links_to_locked_sheets(app, team, roster: Roster):
    aid, members = roster.assessment_id, roster.member_ids
    leader = phone(app, new_scorer(team, aid, "city_leader", "赵市长"))
    head1 = phone(app, new_scorer(team, aid, "county_head", "孙书记"))
    head2 = phone(app, new_scorer(team, aid, "county_head", "周县长"))

    page = leader.get("/sheet").get_data(as_text=True)
    assert "市级领导评分表（表4）" in page and 'inputmode="decimal"' in page
    form5 = head1.get("/sheet").get_data(as_text=True)
    assert form5.index("王建国") < form5.index("李秀兰") < form5.index("陈国华")
    assert "分管：财政" in form5 and "常务副县长" in form5

    assert submit(leader, {"score": "92.5"}, "赵市长").status_code == 303
    assert submit(head1, heads_form(members, "90", "85.25", "70"), "孙书记").status_code == 303
    done = submit(head2, heads_form(members, "80", "95", "60.5"), "周县长")
    assert done.status_code == 303
    assert "评分表已提交并签名" in head2.get(done.headers["Location"]).get_data(as_text=True)

    # The head corrects a score before the lock: the new sheet replaces the old one.
    assert submit(head2, heads_form(members, "80", "95", "66"), "周县长").status_code == 303
    assert stored(app, "周县长")[3] == {f"m{members[0]}": "80", f"m{members[1]}": "95",
                                        f"m{members[2]}": "66"}

    tallied = inputs(app, aid)
    assert tallied.L == (Decimal("92.5"),)
    by_id = {m.id: m.H for m in tallied.members}
    assert sorted(by_id[str(members[0])]) == [Decimal("80"), Decimal("90")]
    assert sorted(by_id[str(members[2])]) == [Decimal("66"), Decimal("70")]

    staff = team.get(f"/assessments/{aid}/scorers").get_data(as_text=True)
    assert "周县长 已签名" in staff and "85.25" in staff and "表5应由" not in staff

    phone_token = csrf_token(head2, "/sheet")  # the phone still shows the form
    path = f"/assessments/{aid}/lock"
    assert team.post(path, data={"csrf_token": csrf_token(team, "/home")}).status_code == 303
    refused = head2.post("/sheet", data={"csrf_token": phone_token, "signed_name": "周县长",
                                         **heads_form(members, "1", "1", "1")})
    assert refused.status_code == 409
    assert "已锁定" in refused.get_data(as_text=True)
    assert stored(app, "周县长")[3][f"m{members[2]}"] == "66"

    readonly = head2.get("/sheet").get_data(as_text=True)
    assert "已锁定" in readonly and "66" in readonly and 'name="signed_name"' not in readonly

    submits = audit(app, "sheet.submit")
    assert [e.actor for e in submits] == ["scorer:赵市长", "scorer:孙书记", "scorer:周县长",
                                          "scorer:周县长"]
    correction = submits[-1]
    assert json.loads(correction.before)["scores"][f"m{members[2]}"] == "60.5"
    assert json.loads(correction.after)["scores"][f"m{members[2]}"] == "66"
    assert len(audit(app, "inputs.lock")) == 1
    assert len(audit(app, "scorer.add")) == 3


def test_personal_link_is_shown_once_with_qr_code_and_only_its_hash_kept(app, team, roster):
    response = add_scorer(team, roster.assessment_id, "city_leader", "赵市长", "市委常委")
    page = response.get_data(as_text=True)
    token = link_token(response)
    assert "<svg" in page and "只显示这一次" in page and "市委常委" in page
    assert response.headers["Cache-Control"] == "no-store"
    assert token not in team.get(f"/assessments/{roster.assessment_id}/scorers").get_data(
        as_text=True)
    with app.app_context():
        scorer = get_session().scalar(select(Scorer))
        assert scorer.token_hash and token not in scorer.token_hash


def test_opening_the_link_changes_nothing_and_hides_the_token(app, team, roster):
    token = new_scorer(team, roster.assessment_id, "city_leader", "赵市长")
    client = app.test_client()
    opened = client.get(f"/sheet/{token}")
    assert opened.status_code == 303 and token not in opened.headers["Location"]
    assert stored(app, "赵市长") == (None, "link", False, {})
    assert audit(app, "sheet.submit") == []


def test_warnings_for_missing_heads_and_leaders(app, team, roster):
    aid = roster.assessment_id
    new_scorer(team, aid, "county_head", "孙书记")
    page = team.get(f"/assessments/{aid}/scorers").get_data(as_text=True)
    assert "表5应由县委书记、县长两人评分，现有 1 人" in page
    assert "尚无联系本县的市级领导" in page
    assert "尚未提交" in page


def test_paper_sheet_entered_by_the_team(app, team, roster):
    aid, members = roster.assessment_id, roster.member_ids
    new_scorer(team, aid, "county_head", "孙书记")
    with app.app_context():
        scorer_id = get_session().scalar(select(Scorer.id))
    path = f"/assessments/{aid}/scorers/{scorer_id}/paper"
    form = team.get(path).get_data(as_text=True)
    assert "王建国" in form
    bad = team.post(path, data={"csrf_token": csrf_token(team, path),
                                **heads_form(members, "90", "101", "")})
    assert bad.status_code == 422 and "超出范围" in bad.get_data(as_text=True)
    assert stored(app, "孙书记")[3] == {}
    done = team.post(path, data={"csrf_token": csrf_token(team, path),
                                 **heads_form(members, "90", "88.5", "77")})
    assert done.status_code == 303
    assert stored(app, "孙书记") == ("孙书记", "paper", False, heads_form(members, "90", "88.5",
                                                                            "77"))
    entry = audit(app, "sheet.paper")[0]
    assert entry.actor == "team1" and entry.user_id is not None
    page = team.get(f"/assessments/{aid}/scorers").get_data(as_text=True)
    assert "纸质评分表，由 考核组甲 录入" in page
    assert [m.H for m in inputs(app, aid).members][1] == (Decimal("88.5"),)


def test_withdrawn_scorer_no_longer_counts_and_their_link_says_so(app, team, roster):
    aid = roster.assessment_id
    token = new_scorer(team, aid, "city_leader", "赵市长")
    leader = phone(app, token)
    assert submit(leader, {"score": "90"}, "赵市长").status_code == 303
    assert inputs(app, aid).L == (Decimal("90"),)
    with app.app_context():
        scorer_id = get_session().scalar(select(Scorer.id))
    phone_token = csrf_token(leader, "/sheet")  # the phone still shows the form
    path = f"/assessments/{aid}/scorers/{scorer_id}/withdraw"
    no_reason = team.post(path, data={"csrf_token": csrf_token(team, "/home"), "reason": " "})
    assert no_reason.status_code == 422 and "请填写撤回" in no_reason.get_data(as_text=True)
    assert stored(app, "赵市长")[2] is False
    done = team.post(path, data={"csrf_token": csrf_token(team, "/home"), "reason": "误加"})
    assert done.status_code == 303
    assert stored(app, "赵市长")[2] is True
    assert inputs(app, aid).L == ()
    assert json.loads(audit(app, "scorer.withdraw")[0].after)["reason"] == "误加"
    gone = app.test_client().get(f"/sheet/{token}")
    assert gone.status_code == 410 and "已撤回" in gone.get_data(as_text=True)
    # A phone that opened the link before is told too, and its POST stores nothing.
    late = leader.post("/sheet", data={"csrf_token": phone_token, "score": "10",
                                       "signed_name": "赵市长"})
    assert late.status_code == 410 and "已撤回" in late.get_data(as_text=True)
    assert stored(app, "赵市长")[3] == {"score": "90"}
    assert "已撤回" in team.get(f"/assessments/{aid}/scorers").get_data(as_text=True)


def test_regenerated_link_replaces_the_old_one(app, team, roster):
    aid = roster.assessment_id
    old = new_scorer(team, aid, "city_leader", "赵市长")
    old_phone = phone(app, old)
    with app.app_context():
        scorer_id = get_session().scalar(select(Scorer.id))
    response = team.post(f"/assessments/{aid}/scorers/{scorer_id}/link",
                         data={"csrf_token": csrf_token(team, "/home")})
    assert response.status_code == 200 and "只显示这一次" in response.get_data(as_text=True)
    new = link_token(response)
    assert new != old
    refused = app.test_client().get(f"/sheet/{old}")
    assert refused.status_code == 404 and "评分链接无效" in refused.get_data(as_text=True)
    assert old_phone.get("/sheet").status_code == 404
    assert submit(phone(app, new), {"score": "75"}, "赵市长").status_code == 303
    assert len(audit(app, "scorer.new_link")) == 1


def test_every_bad_score_is_named_and_nothing_is_stored(app, team, roster):
    aid, members = roster.assessment_id, roster.member_ids
    head = phone(app, new_scorer(team, aid, "county_head", "孙书记"))
    cases = {"101": "超出范围", "-1": "超出范围", "90.123": "小数超过两位",
             "abc": "不是有效的数字", "": "请填写分数"}
    for value, message in cases.items():
        response = submit(head, heads_form(members, "88", value, "77.5"), "孙书记")
        page = response.get_data(as_text=True)
        assert response.status_code == 422, value
        assert message in page, value
        assert f'id="e-m{members[1]}"' in page and f'id="e-m{members[0]}"' not in page
        assert 'value="77.5"' in page  # what was typed is kept
    assert stored(app, "孙书记") == (None, "link", False, {})
    assert audit(app, "sheet.submit") == []
    # Full-width digits from a phone keyboard are accepted.
    assert submit(head, heads_form(members, "８８", "90.00", "0"), "孙书记").status_code == 303
    assert stored(app, "孙书记")[3][f"m{members[0]}"] == "88"


def test_signature_must_be_the_scorers_name(app, team, roster):
    leader = phone(app, new_scorer(team, roster.assessment_id, "city_leader", "赵市长"))
    wrong = submit(leader, {"score": "90"}, "张三")
    assert wrong.status_code == 422
    assert "签名“张三”与评分人姓名“赵市长”不一致" in wrong.get_data(as_text=True)
    empty = submit(leader, {"score": "90"}, "")
    assert empty.status_code == 422 and "请签名" in empty.get_data(as_text=True)
    assert stored(app, "赵市长") == (None, "link", False, {})
    assert submit(leader, {"score": "90"}, " 赵 市长 ").status_code == 303


def test_unknown_or_missing_link_gives_a_clear_page(app, roster):
    client = app.test_client()
    unknown = client.get("/sheet/ABCDEFGHJKLMNPQRSTUVWXYZ2345")
    assert unknown.status_code == 404 and "评分链接无效" in unknown.get_data(as_text=True)
    assert client.get("/sheet/not-a-token").status_code == 404
    none = client.get("/sheet")
    assert none.status_code == 400 and "请先打开评分链接" in none.get_data(as_text=True)


def test_tampered_member_field_and_missing_csrf_store_nothing(app, team, roster):
    aid, members = roster.assessment_id, roster.member_ids
    head = phone(app, new_scorer(team, aid, "county_head", "孙书记"))
    tampered = submit(head, {**heads_form(members, "90", "90", "90"), "m999999": "100"}, "孙书记")
    assert tampered.status_code == 422
    assert "不属于本表的成员" in tampered.get_data(as_text=True)
    swapped = submit(head, {f"m{members[0]}": "90", f"m{members[1]}": "90",
                            "m999999": "90"}, "孙书记")
    assert swapped.status_code == 422
    no_csrf = head.post("/sheet", data={**heads_form(members, "90", "90", "90"),
                                        "signed_name": "孙书记"})
    assert no_csrf.status_code == 400 and "页面已过期" in no_csrf.get_data(as_text=True)
    assert stored(app, "孙书记") == (None, "link", False, {})


def test_everything_is_refused_once_inputs_are_locked(app, team, roster):
    aid, members = roster.assessment_id, roster.member_ids
    new_scorer(team, aid, "county_head", "孙书记")
    with app.app_context():
        scorer_id = get_session().scalar(select(Scorer.id))
    token = csrf_token(team, "/home")
    assert team.post(f"/assessments/{aid}/lock", data={"csrf_token": token}).status_code == 303
    page = team.get(f"/assessments/{aid}/scorers").get_data(as_text=True)
    assert "已锁定" in page and "添加评分人" not in page
    attempts = [
        (f"/assessments/{aid}/scorers", {"kind": "city_leader", "name": "赵市长"}),
        (f"/assessments/{aid}/scorers/{scorer_id}/link", {}),
        (f"/assessments/{aid}/scorers/{scorer_id}/paper", heads_form(members, "9", "9", "9")),
        (f"/assessments/{aid}/scorers/{scorer_id}/withdraw", {"reason": "误加"}),
    ]
    for path, data in attempts:
        response = team.post(path, data={"csrf_token": token, **data})
        assert response.status_code == 409, path
        assert "录入已锁定" in response.get_data(as_text=True), path
    again = team.post(f"/assessments/{aid}/lock", data={"csrf_token": token})
    assert again.status_code == 409
    assert stored(app, "孙书记") == (None, "link", False, {})
    with app.app_context():
        assert get_session().scalar(select(Scorer.id).where(Scorer.name == "赵市长")) is None
    assert len(audit(app, "inputs.lock")) == 1


def test_admin_unlocks_with_a_reason_while_in_setup(app, team, roster):
    from ballot.accounts.models import Role
    from tests.conftest import make_user, sign_in

    aid = roster.assessment_id
    token = csrf_token(team, "/home")
    team.post(f"/assessments/{aid}/lock", data={"csrf_token": token})
    assert team.post(f"/assessments/{aid}/unlock",
                     data={"csrf_token": token, "reason": "x"}).status_code == 403
    make_user(app, "admin1", Role.ADMIN, display_name="管理员")
    admin = app.test_client()
    sign_in(admin, "admin1")
    admin_token = csrf_token(admin, "/home")
    assert "解除锁定" in admin.get(f"/assessments/{aid}/scorers").get_data(as_text=True)
    empty = admin.post(f"/assessments/{aid}/unlock", data={"csrf_token": admin_token,
                                                          "reason": ""})
    assert empty.status_code == 422 and "请填写解除锁定的原因" in empty.get_data(as_text=True)
    assert admin.post(f"/assessments/{aid}/unlock", data={
        "csrf_token": admin_token, "reason": "补录一份纸质评分表"}).status_code == 303
    entry = audit(app, "inputs.unlock")[0]
    assert entry.actor == "admin1" and json.loads(entry.after)["reason"] == "补录一份纸质评分表"
    with app.app_context():
        db = get_session()
        assessment = db.get(Assessment, aid)
        assert assessment.inputs_locked is False
        assessment.inputs_locked, assessment.stage = True, "proposed"
        db.commit()
    late = admin.post(f"/assessments/{aid}/unlock", data={"csrf_token": admin_token,
                                                         "reason": "补录"})
    assert late.status_code == 422 and "审批流程" in late.get_data(as_text=True)
