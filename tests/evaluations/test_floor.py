"""The anonymity floor (SPEC "Ballots", Decision: anonymity floor): k set per assessment, the
warning when fewer than k slips are issued, per-member counts withheld everywhere below k valid
ballots, and the team's recorded decision that publishes them."""

from __future__ import annotations

import csv
import io
import json

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlalchemy import func, select

from ballot.accounts.models import Role
from ballot.assessments.models import Assessment
from ballot.audit.models import AuditEntry
from ballot.db import get_session
from ballot.evaluations.floor import counts_visible
from ballot.evaluations.models import Evaluation, Kind
from ballot.evaluations.services import (
    CountsWithheld,
    close_evaluation,
    create_evaluation,
    issue_slips,
    open_evaluation,
    results,
)
from ballot.reports.services import vote_table
from ballot.results.services import summarize
from tests.conftest import CREDENTIAL_KEY, csrf_token, make_user, sign_in, vote

WARNING = "已发放票签 3 张，少于匿名下限 5 张：结束时如有效票少于 5 张，各成员的票数将暂不公开。"
WITHHELD_FLAG = "民主测评票数暂不公开（有效票少于匿名下限）"
#: Two ballots: the first member 90.00 (E + C), the second 80.00 (C + C), the third 25.00 (B + I).
TWO_BALLOTS = ("excellent", "competent", "basically_competent"), ("competent", "competent",
                                                                   "incompetent")
FIGURES = ("90.00", "80.00", "25.00")


def _post(client: FlaskClient, url: str, **fields: str):  # type: ignore[no-untyped-def]
    return client.post(url, data={"csrf_token": csrf_token(client, "/home"), **fields})


def _cast(app: Flask, setup, ballots) -> None:  # type: ignore[no-untyped-def]
    for credential, ratings in zip(setup.credentials, ballots, strict=False):
        choice = dict(zip(setup.member_ids, ratings, strict=True))
        assert vote(app.test_client(), credential, choice).status_code == 303


def _close_by_team(team: FlaskClient, evaluation_id: int):  # type: ignore[no-untyped-def]
    closed = _post(team, f"/evaluations/{evaluation_id}/close")
    assert closed.status_code == 303, closed.get_data(as_text=True)
    return team.get(closed.headers["Location"])


def _withheld_evaluation(app: Flask, team: FlaskClient, make_evaluation):  # type: ignore[no-untyped-def]
    """Five slips under the default k = 5, two ballots, closed by the team."""
    setup = make_evaluation(slips=5)
    _cast(app, setup, TWO_BALLOTS)
    page = _close_by_team(team, setup.evaluation_id)
    return setup, page


def _evaluation(app: Flask, evaluation_id: int) -> Evaluation:
    with app.app_context():
        return get_session().get_one(Evaluation, evaluation_id)


def _audit(app: Flask, action: str) -> list[AuditEntry]:
    with app.app_context():
        return list(get_session().scalars(
            select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


def _audit_count(app: Flask) -> int:
    with app.app_context():
        return get_session().scalar(select(func.count(AuditEntry.id))) or 0


def _csv_rows(team: FlaskClient, assessment_id: int) -> dict[str, dict[str, str]]:
    response = team.get(f"/assessments/{assessment_id}/summary.csv")
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"))))
    return {row["姓名"]: row for row in rows}


def _settings(**change: str) -> dict[str, str]:
    return {"other_cadres_count": "0", "other_cadres_excellent": "0", "quota_ratio": "",
            "quota_reason": "", "excellent_cap": "", "decimals": "2", **change}


def test_two_valid_ballots_under_the_default_floor_withhold_the_counts_everywhere(
        app, team, runner, make_evaluation):
    setup, page = _withheld_evaluation(app, team, make_evaluation)
    evaluation = _evaluation(app, setup.evaluation_id)
    assert evaluation.counts_withheld and not counts_visible(evaluation)
    # The team's results page: the ledger and the decision form, no member and no figure.
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "票数暂不公开" in html
    assert "本次测评有效票 2 张，少于匿名下限 5 张" in html and "共收到选票 2 张" in html
    assert "优秀</th>" not in html and "王建国" not in html
    assert not any(figure in html for figure in FIGURES)
    assert 'name="reason"' in html
    dashboard = team.get(f"/evaluations/{setup.evaluation_id}/").get_data(as_text=True)
    assert "各成员的票数暂不公开" in dashboard
    # The CLI says so and exits non-zero, with no count.
    shown = runner.invoke(args=["results", str(setup.evaluation_id), "--json"])
    assert shown.exit_code == 3
    assert "per-member counts are withheld: 2 valid ballots" in shown.output
    assert "王建国" not in shown.output and "90.00" not in shown.output
    with app.app_context():
        db = get_session()
        with pytest.raises(CountsWithheld):
            results(db, db.get_one(Evaluation, setup.evaluation_id))
        # Form 6: D is a missing input with its own flag, never 0, never a figure.
        summary = summarize(db, db.get_one(Assessment, setup.assessment_id))
        for row in summary.rows:
            assert row.result.published.get("D") is None and row.weighted["D"] is None
            assert "withheld_D" in row.flags and "missing_D" not in row.flags
        lines, turnouts = vote_table(db, db.get_one(Assessment, setup.assessment_id),
                                     Kind.DEMOCRATIC)
        assert lines == [] and [t.withheld for t in turnouts] == [True]
    first = _csv_rows(team, setup.assessment_id)["王建国"]
    assert first["民主测评"] == "" and WITHHELD_FLAG in first["备注"]
    # The form 6 page, the reports page (no rating chart) and the workbook's form 2.
    form6 = team.get(f"/assessments/{setup.assessment_id}/results").get_data(as_text=True)
    assert WITHHELD_FLAG in form6 and not any(figure in form6 for figure in FIGURES)
    reports = team.get(f"/assessments/{setup.assessment_id}/reports").get_data(as_text=True)
    assert "民主测评评价分布" not in reports and WITHHELD_FLAG in reports
    book = load_workbook(io.BytesIO(team.get(
        f"/assessments/{setup.assessment_id}/report.xlsx").data))
    form2 = [[c.value for c in row] for row in book["民主测评"].iter_rows()]
    text = json.dumps(form2, ensure_ascii=False, default=str)
    assert "票数暂不公开" in text and "王建国" not in text and "暂不公开" in form2[-1]


def test_publishing_with_a_reason_shows_the_counts_and_is_audited(
        app, team, runner, make_evaluation):
    setup, _page = _withheld_evaluation(app, team, make_evaluation)
    published = _post(team, f"/evaluations/{setup.evaluation_id}/results/publish",
                      reason="  考核组会议研究，同意公开  ")
    assert published.status_code == 303
    page = team.get(published.headers["Location"])
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and all(figure in html for figure in FIGURES)
    assert "票数经考核组决定公开：考核组会议研究，同意公开（考核组甲，" in html
    entry, = _audit(app, "evaluation.publish_counts")
    after = json.loads(entry.after)
    assert entry.actor == "team1" and entry.target == f"evaluation:{setup.evaluation_id}"
    assert after["reason"] == "考核组会议研究，同意公开" and after["author"] == "考核组甲"
    assert after["valid_ballots"] == 2
    evaluation = _evaluation(app, setup.evaluation_id)
    assert counts_visible(evaluation) and evaluation.counts_published_by_id is not None
    assert _csv_rows(team, setup.assessment_id)["王建国"]["民主测评"] == "90.00"
    shown = runner.invoke(args=["results", str(setup.evaluation_id), "--json"])
    assert shown.exit_code == 0, shown.output
    payload = json.loads(shown.output)
    assert payload["counts_published"]["reason"] == "考核组会议研究，同意公开"
    assert [m["score"] for m in payload["members"]] == list(FIGURES)
    # Once published, a second decision is refused and records nothing.
    again = _post(team, f"/evaluations/{setup.evaluation_id}/results/publish", reason="再次")
    assert again.status_code == 409 and "已经由考核组决定公开" in again.get_data(as_text=True)
    assert len(_audit(app, "evaluation.publish_counts")) == 1


def test_the_reason_is_shown_escaped(app, team, make_evaluation):
    setup, _page = _withheld_evaluation(app, team, make_evaluation)
    _post(team, f"/evaluations/{setup.evaluation_id}/results/publish",
          reason="<script>alert(1)</script>")
    html = team.get(f"/evaluations/{setup.evaluation_id}/results").get_data(as_text=True)
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)" in html


@pytest.mark.parametrize(("reason", "message"), [
    ("", "理由：决定公开票数必须写明理由。"),
    ("   ", "理由：决定公开票数必须写明理由。"),
    ("因" * 501, "理由：不能超过 500 个字，现有 501 个字。"),
])
def test_a_bad_reason_is_refused_and_changes_nothing(app, team, make_evaluation, reason, message):
    setup, _page = _withheld_evaluation(app, team, make_evaluation)
    entries = _audit_count(app)
    refused = _post(team, f"/evaluations/{setup.evaluation_id}/results/publish", reason=reason)
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422 and message in html and "未作任何更改" in html
    assert not any(figure in html for figure in FIGURES)
    assert _evaluation(app, setup.evaluation_id).counts_published_at is None
    assert _audit_count(app) == entries


def test_publishing_is_refused_when_there_is_nothing_to_publish(app, team, make_evaluation):
    still_open = make_evaluation(slips=5)
    refused = _post(team, f"/evaluations/{still_open.evaluation_id}/results/publish",
                    reason="提前公开")
    assert refused.status_code == 409 and "测评尚未结束" in refused.get_data(as_text=True)
    full = make_evaluation(slips=5)
    _cast(app, full, TWO_BALLOTS * 2 + (("excellent",) * 3,))
    assert not _evaluation(app, full.evaluation_id).counts_withheld
    entries = _audit_count(app)
    refused = _post(team, f"/evaluations/{full.evaluation_id}/results/publish", reason="公开")
    assert refused.status_code == 409 and "无需决定" in refused.get_data(as_text=True)
    assert _audit_count(app) == entries
    assert _evaluation(app, full.evaluation_id).counts_published_at is None


def test_publishing_is_refused_once_the_results_are_proposed(app, team, make_evaluation):
    setup, _page = _withheld_evaluation(app, team, make_evaluation)
    with app.app_context():
        db = get_session()
        db.get_one(Assessment, setup.assessment_id).stage = "proposed"
        db.commit()
    page = team.get(f"/evaluations/{setup.evaluation_id}/results").get_data(as_text=True)
    assert "不能再决定公开票数" in page and 'name="reason"' not in page
    refused = _post(team, f"/evaluations/{setup.evaluation_id}/results/publish", reason="公开")
    assert refused.status_code == 422 and "不能再决定公开票数" in refused.get_data(as_text=True)
    assert _evaluation(app, setup.evaluation_id).counts_published_at is None


def test_only_the_team_publishes_and_readers_see_no_counts(app, team, make_evaluation):
    setup, _page = _withheld_evaluation(app, team, make_evaluation)
    make_user(app, "watcher", Role.OBSERVER, display_name="观察员")
    observer = app.test_client()
    assert sign_in(observer, "watcher").status_code == 303
    page = observer.get(f"/evaluations/{setup.evaluation_id}/results")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "票数暂不公开" in html and 'name="reason"' not in html
    refused = _post(observer, f"/evaluations/{setup.evaluation_id}/results/publish",
                    reason="公开")
    assert refused.status_code == 403
    assert _evaluation(app, setup.evaluation_id).counts_published_at is None


def test_a_get_never_publishes(app, team, make_evaluation):
    setup, _page = _withheld_evaluation(app, team, make_evaluation)
    url = f"/evaluations/{setup.evaluation_id}/results/publish?reason=公开"
    assert team.get(url).status_code == 405
    for _ in range(2):
        html = team.get(f"/evaluations/{setup.evaluation_id}/results").get_data(as_text=True)
        assert "票数暂不公开" in html
    assert _evaluation(app, setup.evaluation_id).counts_published_at is None
    assert _audit(app, "evaluation.publish_counts") == []


def test_a_floor_of_3_set_in_the_settings_shows_3_ballots_directly(
        app, team, runner, make_evaluation):
    setup = make_evaluation(slips=3)
    saved = _post(team, f"/assessments/{setup.assessment_id}/settings",
                  **_settings(anonymity_floor="3"))
    assert saved.status_code == 303
    entry = _audit(app, "assessment.settings")[-1]
    assert json.loads(entry.before) == {"anonymity_floor": 5}
    assert json.loads(entry.after) == {"anonymity_floor": 3}
    roster = team.get(f"/assessments/{setup.assessment_id}/roster").get_data(as_text=True)
    assert 'name="anonymity_floor"' in roster and 'value="3"' in roster
    dashboard = team.get(f"/evaluations/{setup.evaluation_id}/").get_data(as_text=True)
    assert "匿名下限" not in dashboard
    _cast(app, setup, TWO_BALLOTS + (("excellent", "excellent", "excellent"),))
    evaluation = _evaluation(app, setup.evaluation_id)
    assert evaluation.state == "closed" and not evaluation.counts_withheld  # every slip used
    html = team.get(f"/evaluations/{setup.evaluation_id}/results").get_data(as_text=True)
    assert "王建国" in html and "93.33" in html and "票数暂不公开" not in html
    assert "决定公开" not in html
    assert runner.invoke(args=["results", str(setup.evaluation_id)]).exit_code == 0


BAD_FLOORS = [("2", "“2”"), ("0", "“0”"), ("1001", "“1001”"), ("", "“”"), ("五", "“五”"),
              ("３", "“３”"), ("3.5", "“3.5”"), ("9" * 5000, "“" + "9" * 20 + "…”")]


@pytest.mark.parametrize(("value", "shown"), BAD_FLOORS, ids=[v[:6] for v, _s in BAD_FLOORS])
def test_a_floor_below_3_or_not_a_whole_number_is_refused(app, team, make_evaluation, value,
                                                          shown):
    setup = make_evaluation(slips=3)
    entries = _audit_count(app)
    refused = _post(team, f"/assessments/{setup.assessment_id}/settings",
                    **_settings(anonymity_floor=value))
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert "匿名下限：应为 3 到 1000 的整数" in html and f"实际为{shown}" in html
    with app.app_context():
        assert get_session().get_one(Assessment, setup.assessment_id).anonymity_floor == 5
    assert _audit_count(app) == entries


def test_the_floor_is_refused_once_the_inputs_are_locked(app, team, make_evaluation):
    setup = make_evaluation(slips=3)
    with app.app_context():
        db = get_session()
        db.get_one(Assessment, setup.assessment_id).inputs_locked = True
        db.commit()
    refused = _post(team, f"/assessments/{setup.assessment_id}/settings",
                    **_settings(anonymity_floor="3"))
    assert refused.status_code == 422 and "设置不能再修改" in refused.get_data(as_text=True)
    with app.app_context():
        assert get_session().get_one(Assessment, setup.assessment_id).anonymity_floor == 5


def test_opening_with_fewer_slips_than_the_floor_warns_before_and_after(app, team,
                                                                      make_evaluation):
    setup = make_evaluation(slips=3, state="draft")
    url = f"/evaluations/{setup.evaluation_id}/"
    assert WARNING in team.get(url).get_data(as_text=True)
    opened = _post(team, f"{url}open")
    assert opened.status_code == 303  # a warning, not a refusal
    assert _evaluation(app, setup.evaluation_id).state == "open"
    assert WARNING in team.get(url).get_data(as_text=True)


@pytest.mark.parametrize("state", ["draft", "open"])
def test_no_warning_with_as_many_slips_as_the_floor(app, team, make_evaluation, state):
    setup = make_evaluation(slips=5, state=state)
    assert "匿名下限" not in team.get(f"/evaluations/{setup.evaluation_id}/").get_data(
        as_text=True)


def test_one_withheld_evaluation_withholds_its_whole_kind(app, team, make_evaluation):
    """A sum over a withheld and a shown evaluation would give the withheld one away."""
    setup = make_evaluation(slips=5)
    _cast(app, setup, TWO_BALLOTS * 2 + (("excellent",) * 3,))  # 5 ballots: shown
    with app.app_context():
        db = get_session()
        assessment = db.get_one(Assessment, setup.assessment_id)
        second = create_evaluation(db, assessment, Kind.DEMOCRATIC)
        credentials = issue_slips(db, second, 1, CREDENTIAL_KEY)
        open_evaluation(db, second)
        db.commit()
        second_id = second.id
    assert vote(app.test_client(), credentials[0],
                dict.fromkeys(setup.member_ids, "incompetent")).status_code == 303
    with app.app_context():
        db = get_session()
        if db.get_one(Evaluation, second_id).state == "open":
            assert close_evaluation(db, second_id, "team")
            db.commit()
        assessment = db.get_one(Assessment, setup.assessment_id)
        assert counts_visible(db.get_one(Evaluation, setup.evaluation_id))
        assert not counts_visible(db.get_one(Evaluation, second_id))
        lines, turnouts = vote_table(db, assessment, Kind.DEMOCRATIC)
        assert lines == [] and [t.withheld for t in turnouts] == [False, True]
        assert all(row.result.published.get("D") is None and "withheld_D" in row.flags
                   for row in summarize(db, assessment).rows)


def test_counts_are_never_visible_before_close(app, make_evaluation):
    for state in ("draft", "open"):
        setup = make_evaluation(slips=5, state=state)
        assert not counts_visible(_evaluation(app, setup.evaluation_id))
