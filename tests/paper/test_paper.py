"""Paper ballots entered by the team (SPEC "Ballots"): into the same encrypted box, counted
like a phone's, one slip one ballot across paper and phone, over the cap stored invalid, the
audit log naming the clerk and never a rating, and every refusal changing nothing."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from ballot.accounts.models import Office, Role
from ballot.assessments.models import Member
from ballot.audit.models import AuditEntry
from ballot.db import get_session
from ballot.evaluations.models import Ballot, Evaluation, Slip, VoteTally
from ballot.evaluations.services import close_evaluation
from ballot.paper.forms import slip_credential
from ballot.slips.credentials import grouped, new_credential
from tests.conftest import csrf_token, make_user, sign_in, vote

RATINGS = ("excellent", "competent", "basically_competent", "incompetent")


def _url(evaluation_id: int) -> str:
    return f"/evaluations/{evaluation_id}/paper"


def enter(client: FlaskClient, evaluation_id: int, code: str, ratings: dict[int, str],
          action: str = "enter", **extra: str):  # type: ignore[no-untyped-def]
    """Post the paper-ballot form as the page does."""
    token = csrf_token(client, _url(evaluation_id))
    form = {"csrf_token": token, "code": code, "action": action,
            **{f"m{m}": r for m, r in ratings.items()}, **extra}
    return client.post(_url(evaluation_id), data=form)


def _stored(app: Flask) -> tuple[int, int, int, int]:
    """(ballots, valid ballots, spent slips, paper audit entries) in the database."""
    with app.app_context():
        db = get_session()
        return (
            db.scalar(select(func.count()).select_from(Ballot)) or 0,
            db.scalar(select(func.count()).select_from(Ballot).where(Ballot.valid)) or 0,
            db.scalar(select(func.count()).select_from(Slip).where(Slip.spent.is_(True))) or 0,
            db.scalar(select(func.count()).select_from(AuditEntry).where(
                AuditEntry.action == "ballot.paper")) or 0,
        )


def _close(app: Flask, evaluation_id: int) -> Evaluation:
    with app.app_context():
        db = get_session()
        assert close_evaluation(db, evaluation_id, "team")
        db.commit()
        return db.get_one(Evaluation, evaluation_id)


def _tally(app: Flask, evaluation_id: int) -> list[tuple[object, ...]]:
    """Each member's stored counts and score, in roster order (read from the table: a small
    test evaluation is below the anonymity floor, so its pages withhold them)."""
    with app.app_context():
        rows = get_session().execute(
            select(VoteTally.excellent, VoteTally.competent, VoteTally.basically_competent,
                   VoteTally.incompetent, VoteTally.abstained, VoteTally.score)
            .join(Member, Member.id == VoteTally.member_id)
            .where(VoteTally.evaluation_id == evaluation_id).order_by(Member.order))
        return [tuple(row) for row in rows]


def _checked(page: str) -> list[str]:
    """The values of the checked rating buttons on a page."""
    return re.findall(r'value="(\w+)" checked', page)


def _signed_in(app: Flask, username: str, role: Role) -> FlaskClient:
    options = {"office": Office.ORGANIZATION} if role == Role.REVIEWER else {}
    make_user(app, username, role, **options)
    client = app.test_client()
    assert sign_in(client, username).status_code == 303
    return client


BALLOTS = [
    ("excellent", "competent", "abstain"),
    ("excellent", "basically_competent", "incompetent"),
    ("competent", "incompetent", "excellent"),
]


def test_a_paper_ballot_counts_in_the_tally_exactly_like_a_phone_ballot(app, team,
                                                                        make_evaluation):
    by_phone, on_paper = make_evaluation(slips=4), make_evaluation(slips=4)
    for i, ratings in enumerate(BALLOTS):
        vote(app.test_client(), by_phone.credentials[i],
             dict(zip(by_phone.member_ids, ratings, strict=True)))
        response = enter(team, on_paper.evaluation_id, on_paper.credentials[i],
                         dict(zip(on_paper.member_ids, ratings, strict=True)))
        assert response.status_code == 303, response.get_data(as_text=True)
    phone, paper = _close(app, by_phone.evaluation_id), _close(app, on_paper.evaluation_id)
    assert (paper.ballots_cast, paper.invalid_ballots) == (phone.ballots_cast,
                                                           phone.invalid_ballots) == (3, 0)
    assert _tally(app, on_paper.evaluation_id) == _tally(app, by_phone.evaluation_id)
    # First member: 2 Excellent, 1 Competent -> (2 + 0.8) / 3 * 100 = 93.33
    assert _tally(app, on_paper.evaluation_id)[0] == (2, 1, 0, 0, 0, "93.33")
    with app.app_context():  # in the box as ciphertext, like every ballot
        stored = get_session().scalars(select(Ballot).where(
            Ballot.evaluation_id == on_paper.evaluation_id)).all()
    assert len(stored) == 3 and all(b.valid and b.ciphertext and b.tracker for b in stored)


def test_after_entering_the_form_comes_back_empty_and_counts_paper_ballots(app, team,
                                                                          make_evaluation):
    setup = make_evaluation(slips=4)
    ratings = dict(zip(setup.member_ids, BALLOTS[1], strict=True))
    first = enter(team, setup.evaluation_id, setup.credentials[0], ratings)
    assert first.status_code == 303 and first.headers["Location"] == _url(setup.evaluation_id)
    page = team.get(_url(setup.evaluation_id))
    text = page.get_data(as_text=True)
    assert "已录入第 1 张纸质票" in text
    # Nothing of the ballot just entered: every member back on abstain, no code.
    assert _checked(text) == ["abstain"] * 3
    assert setup.credentials[0] not in text and 'value=""' in text
    assert page.headers["Cache-Control"] == "no-store"
    second = enter(team, setup.evaluation_id, setup.credentials[1], ratings)
    assert second.status_code == 303
    assert "已录入第 2 张纸质票" in team.get(_url(setup.evaluation_id)).get_data(as_text=True)
    # The message is shown once; the page says how many paper ballots there are.
    again = team.get(_url(setup.evaluation_id)).get_data(as_text=True)
    assert "已录入第 2 张纸质票" not in again and "本次测评已录入纸质票 2 张" in again
    assert _stored(app) == (2, 2, 2, 2)


def test_a_slip_entered_on_paper_cannot_vote_by_phone(app, team, make_evaluation):
    setup = make_evaluation(slips=3)
    phone = app.test_client()
    assert phone.get(f"/s/{setup.credentials[0]}").status_code == 303  # opened, not yet sent
    token = csrf_token(phone)
    assert enter(team, setup.evaluation_id, setup.credentials[0],
                 {setup.member_ids[0]: "competent"}).status_code == 303
    confirmed = phone.post("/ballot/confirm",
                           data={"csrf_token": token, f"m{setup.member_ids[0]}": "excellent"})
    assert confirmed.status_code == 409
    assert app.test_client().get(f"/s/{setup.credentials[0]}").status_code == 409
    assert _stored(app) == (1, 1, 1, 1)


def test_a_slip_used_by_phone_cannot_be_entered_on_paper(app, team, make_evaluation):
    setup = make_evaluation(slips=3)
    assert vote(app.test_client(), setup.credentials[0],
                {setup.member_ids[0]: "excellent"}).status_code == 303
    before = _stored(app)
    ratings = dict(zip(setup.member_ids, BALLOTS[2], strict=True))
    response = enter(team, setup.evaluation_id, setup.credentials[0], ratings)
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "此票签已使用，不能再录入" in page
    # A problem with the code: the ratings typed stay, so the clerk only fixes the code.
    assert _checked(page) == list(BALLOTS[2])
    assert _stored(app) == before == (1, 1, 1, 0)
    # A paper ballot entered twice: the second time is refused the same way.
    assert enter(team, setup.evaluation_id, setup.credentials[1], ratings).status_code == 303
    assert enter(team, setup.evaluation_id, setup.credentials[1], ratings).status_code == 409
    assert _stored(app) == (2, 2, 2, 1)


def test_a_paper_ballot_over_the_excellent_cap_is_counted_invalid(app, team, make_evaluation):
    setup = make_evaluation(slips=4, cap=1)
    a, b, c = setup.member_ids
    over = enter(team, setup.evaluation_id, setup.credentials[0],
                 {a: "excellent", b: "excellent", c: "competent"})
    assert over.status_code == 303
    page = team.get(_url(setup.evaluation_id)).get_data(as_text=True)
    assert "超过优秀限额，按废票计入" in page and _checked(page) == ["abstain"] * 3
    assert enter(team, setup.evaluation_id, setup.credentials[1],
                 {a: "excellent", b: "competent"}).status_code == 303
    assert "超过优秀限额，按废票计入" not in team.get(_url(setup.evaluation_id)).get_data(as_text=True)
    assert _stored(app) == (2, 1, 2, 2)
    evaluation = _close(app, setup.evaluation_id)
    assert (evaluation.ballots_cast, evaluation.invalid_ballots) == (2, 1)
    # Only the valid ballot is counted; the invalid one is nobody's vote.
    assert _tally(app, setup.evaluation_id) == [
        (1, 0, 0, 0, 0, "100.00"), (0, 1, 0, 0, 0, "80.00"), (0, 0, 0, 0, 1, None)]


def test_the_audit_log_names_the_clerk_of_each_paper_ballot_and_no_rating(app, team,
                                                                         make_evaluation):
    setup = make_evaluation(slips=4, cap=1)
    a, b, c = setup.member_ids
    enter(team, setup.evaluation_id, setup.credentials[0], {a: "excellent", b: "excellent"})
    enter(team, setup.evaluation_id, setup.credentials[1],
          {a: "competent", b: "basically_competent", c: "incompetent"})
    with app.app_context():
        entries = get_session().scalars(select(AuditEntry).where(
            AuditEntry.action == "ballot.paper").order_by(AuditEntry.id)).all()
        user_ids = {e.user_id for e in entries}
        who = {e.user.username for e in entries if e.user}
    assert len(entries) == 2 and None not in user_ids and who == {"team1"}
    assert {e.actor for e in entries} == {"team1"}
    assert {e.target for e in entries} == {f"evaluation:{setup.evaluation_id}"}
    words = (*RATINGS, "abstain", "valid", "cap", "优秀", "称职", "弃权", "废票",
             *(f"m{m}" for m in setup.member_ids))
    for entry in entries:
        content = entry.before + entry.after
        assert not [w for w in words if w in content], content
    # The invalid and the valid ballot leave the same entry: it does not say which was which.
    assert entries[0].before == entries[1].before and entries[0].after == entries[1].after


def test_a_scanner_typing_the_slip_url_works(app, team, make_evaluation):
    setup = make_evaluation(slips=4)
    ratings = {setup.member_ids[0]: "excellent"}
    # Enter after the scan only checks the slip: the form comes back with the code and ratings.
    url = f"http://192.168.1.20:8000/s/{setup.credentials[0]}"
    checked = enter(team, setup.evaluation_id, url, ratings, action="check")
    page = checked.get_data(as_text=True)
    assert checked.status_code == 200 and "票签有效" in page and url in page
    assert _checked(page) == ["excellent", "abstain", "abstain"]
    assert _stored(app) == (0, 0, 0, 0)
    assert enter(team, setup.evaluation_id, url, ratings).status_code == 303
    # A scanner with caps lock, a trailing slash; a typed code in groups, lower case.
    shouted = f"HTTP://192.168.1.20:8000/S/{setup.credentials[1]}/"
    assert enter(team, setup.evaluation_id, shouted, ratings).status_code == 303
    typed = grouped(setup.credentials[2]).lower().replace("-", " ")
    assert enter(team, setup.evaluation_id, typed, ratings).status_code == 303
    assert _stored(app) == (3, 3, 3, 3)


def test_reading_the_slip_code():
    credential = new_credential()
    assert slip_credential(credential) == credential
    assert slip_credential(f"  {grouped(credential).lower()}\r\n") == credential
    assert slip_credential(f"http://vote.test/s/{credential}?x=1#y") == credential
    assert slip_credential(f"https://h.example/ballot/s/{credential}") == credential
    for bad in ("", "   ", "ABCD-12", f"http://vote.test/s/{credential[:-1]}",
                f"http://vote.test/x/{credential}", credential + "A", "/s/", "x" * 600,
                f"{credential[:27]}0"):
        assert slip_credential(bad) is None, bad


@pytest.mark.parametrize(("case", "status", "message", "keeps_ratings"), [
    ("empty", 422, "请扫描票签上的二维码", True),
    ("malformed", 422, "28 位字母和数字", True),
    ("unknown", 422, "找不到这张票签", True),
    ("other_evaluation", 422, "属于另一场测评", True),
    ("unknown_member", 400, "不存在的被测评人或等次", False),
    ("bad_member_field", 400, "不存在的被测评人或等次", False),
    ("unknown_rating", 400, "不存在的被测评人或等次", False),
    ("twice", 400, "不存在的被测评人或等次", False),
])
def test_a_bad_form_is_explained_and_changes_nothing(app, team, make_evaluation, case, status,
                                                     message, keeps_ratings):
    setup, other = make_evaluation(slips=2), make_evaluation(slips=2)
    a, b, _c = setup.member_ids
    ratings = {a: "excellent", b: "incompetent"}
    code, extra = setup.credentials[0], {}
    if case == "empty":
        code = "  "
    elif case == "malformed":
        code = "ABCD-EFGH-12"
    elif case == "unknown":
        code = new_credential()
    elif case == "other_evaluation":
        code = other.credentials[0]
    elif case == "unknown_member":
        extra = {f"m{other.member_ids[0]}": "excellent"}
    elif case == "bad_member_field":
        extra = {"mx": "excellent"}
    elif case == "unknown_rating":
        ratings = {a: "excellent", b: "great"}
    before = _stored(app)
    if case == "twice":
        token = csrf_token(team, _url(setup.evaluation_id))
        response = team.post(_url(setup.evaluation_id), data=MultiDict([
            ("csrf_token", token), ("code", code), (f"m{a}", "excellent"),
            (f"m{a}", "incompetent")]))
    else:
        response = enter(team, setup.evaluation_id, code, ratings, **extra)
    page = response.get_data(as_text=True)
    assert response.status_code == status and message in page, page
    assert _stored(app) == before == (0, 0, 0, 0)
    assert _checked(page) == (["excellent", "incompetent", "abstain"] if keeps_ratings
                              else ["abstain"] * 3)


@pytest.mark.parametrize("state", ["draft", "closed"])
def test_an_evaluation_that_is_not_open_takes_no_paper_ballot(app, team, make_evaluation, state):
    setup = make_evaluation(slips=2, state="draft" if state == "draft" else "open")
    if state == "closed":
        _close(app, setup.evaluation_id)
    message = "尚未开始" if state == "draft" else "已结束"
    page = team.get(_url(setup.evaluation_id))
    assert page.status_code == 200 and message in page.get_data(as_text=True)
    assert "录入这张纸质票" not in page.get_data(as_text=True)
    before = _stored(app)
    response = enter(team, setup.evaluation_id, setup.credentials[0],
                     {setup.member_ids[0]: "excellent"})
    assert response.status_code == 409 and message in response.get_data(as_text=True)
    assert _stored(app) == before


def test_the_last_slip_on_paper_closes_and_tallies_the_evaluation(app, team, make_evaluation):
    setup = make_evaluation(slips=2)
    vote(app.test_client(), setup.credentials[0], {setup.member_ids[0]: "excellent"})
    response = enter(team, setup.evaluation_id, setup.credentials[1],
                     {setup.member_ids[0]: "competent"})
    assert response.status_code == 303
    page = team.get(response.headers["Location"]).get_data(as_text=True)
    assert "测评已自动结束并计票" in page and "录入这张纸质票" not in page
    with app.app_context():
        evaluation = get_session().get_one(Evaluation, setup.evaluation_id)
        assert (evaluation.state, evaluation.closed_reason, evaluation.ballots_cast) == (
            "closed", "all_slips_used", 2)
    assert _tally(app, setup.evaluation_id)[0] == (1, 1, 0, 0, 0, "90.00")


def test_the_dashboard_links_to_paper_entry_while_open(app, team, make_evaluation):
    draft, open_ = make_evaluation(state="draft"), make_evaluation()
    link = 'href="/evaluations/{}/paper"'
    assert link.format(open_.evaluation_id) in team.get(
        f"/evaluations/{open_.evaluation_id}/").get_data(as_text=True)
    assert link.format(draft.evaluation_id) not in team.get(
        f"/evaluations/{draft.evaluation_id}/").get_data(as_text=True)
    reviewer = _signed_in(app, "reviewer1", Role.REVIEWER)
    assert link.format(open_.evaluation_id) not in reviewer.get(
        f"/evaluations/{open_.evaluation_id}/").get_data(as_text=True)


@pytest.mark.parametrize("role", [Role.REVIEWER, Role.OBSERVER, Role.SCORER])
def test_other_roles_are_refused(app, make_evaluation, role):
    setup = make_evaluation(slips=2)
    client = _signed_in(app, f"user-{role.value}", role)
    assert client.get(_url(setup.evaluation_id)).status_code == 403
    token = csrf_token(client, "/sign-in")
    response = client.post(_url(setup.evaluation_id), data={
        "csrf_token": token, "code": setup.credentials[0], f"m{setup.member_ids[0]}": "excellent"})
    assert response.status_code == 403
    assert _stored(app) == (0, 0, 0, 0)


def test_an_anonymous_visitor_is_sent_to_sign_in(app, client, make_evaluation):
    setup = make_evaluation(slips=2)
    response = client.get(_url(setup.evaluation_id))
    assert response.status_code == 302 and response.headers["Location"].startswith("/sign-in")


def test_the_page_works_without_javascript_and_loads_nothing_from_outside(team,
                                                                          make_evaluation):
    setup = make_evaluation(slips=2, cap=1)
    page = team.get(_url(setup.evaluation_id)).get_data(as_text=True)
    # The scanner's Enter hits the first submit button: the check, never the entry.
    buttons = re.findall(r'<button type="submit" name="action" value="(\w+)"', page)
    assert buttons == ["check", "enter"]
    assert 'id="scan"' in page and re.search(r'id="scan"[^>]*\bhidden\b', page)
    assert "每张票最多评 1 个“优秀”；超过的纸质票按废票计入" in page
    assert not re.search(r'(src|href)="(https?:)?//', page)
    script = team.get("/static/paper.js")
    assert script.status_code == 200 and b"BarcodeDetector" in script.data
    script.close()
