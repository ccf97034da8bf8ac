"""The team's command line: every command on good input, and one clear line on bad input."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest

from tests.conftest import publish_counts, vote

ROSTER_CSV = "姓名,职务,分管工作,排序\n王建国,县委副书记,党建,1\n李秀兰,常务副县长,财政,2\n"


def test_demo_creates_an_open_evaluation_with_slips_and_says_where_to_go(runner, app):
    result = runner.invoke(args=["demo", "--slips", "4"])
    assert result.exit_code == 0, result.output
    assert "evaluation 1: 示范县" in result.output and "4 slips, open" in result.output
    slip_urls = re.findall(r"http://vote\.test/s/[A-Z2-9]{28}", result.output)
    assert len(slip_urls) == 3
    assert "team page (turnout, close, results): http://vote.test/evaluations/1/" in result.output
    assert "sign in as demo-team, password" in result.output
    page = Path(app.instance_path, "slips-1.html").read_text(encoding="utf-8")
    assert page.count("<svg") == 4 and "示范县" in page
    again = runner.invoke(args=["demo"])
    assert again.exit_code == 0 and "exists (open): 0 of 4 slips used" in again.output


def test_create_issue_open_vote_close_results(runner, app, tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text(ROSTER_CSV, encoding="utf-8")
    created = runner.invoke(args=["evaluation", "create", "--county", "武都区", "--year", "2026",
                                  "--kind", "interview", "--roster", str(roster),
                                  "--excellent-cap", "1"])
    assert created.exit_code == 0, created.output
    assert "evaluation 1 created (draft), 2 members" in created.output
    html, urls = tmp_path / "slips.html", tmp_path / "slips.csv"
    issued = runner.invoke(args=["slips", "issue", "1", "--count", "3", "--html", str(html),
                                 "--csv", str(urls)])
    assert issued.exit_code == 0, issued.output
    rows = list(csv.DictReader(urls.read_text(encoding="utf-8").splitlines()))
    assert len(rows) == 3 and all(r["url"] == f"http://vote.test/s/{r['code']}" for r in rows)
    assert html.read_text(encoding="utf-8").count("<svg") == 3
    exported = tmp_path / "more.csv"
    assert runner.invoke(args=["slips", "export", "1", "--count", "2", "--csv",
                               str(exported)]).exit_code == 0
    assert len(exported.read_text(encoding="utf-8").splitlines()) - 1 == 2
    assert runner.invoke(args=["open", "1"]).exit_code == 0
    assert "open: 0 of 5 slips used" in runner.invoke(args=["turnout", "1"]).output
    hidden = runner.invoke(args=["results", "1", "--json"])
    assert hidden.exit_code == 2 and "hidden until the evaluation closes" in hidden.output
    phone = app.test_client()
    assert vote(phone, rows[0]["code"], {1: "excellent", 2: "competent"}).status_code == 303
    closed = runner.invoke(args=["close", "1"])
    assert closed.exit_code == 0 and "closed and tallied" in closed.output
    # One valid ballot, under the anonymity floor of 5: withheld until the team publishes.
    assert "withheld" in closed.output
    withheld = runner.invoke(args=["results", "1", "--json"])
    assert withheld.exit_code == 3 and "withheld" in withheld.output
    publish_counts(app, 1)
    shown = runner.invoke(args=["results", "1", "--json"])
    assert shown.exit_code == 0, shown.output
    payload = json.loads(shown.output)
    assert payload["kind"] == "interview" and payload["ballots"] == 1
    assert [(m["name"], m["excellent"], m["competent"], m["valid"], m["score"])
            for m in payload["members"]] == [("王建国", 1, 0, 1, "100.00"),
                                              ("李秀兰", 0, 1, 1, "80.00")]
    table = runner.invoke(args=["results", "1"])
    assert "王建国" in table.output and "得分 100.00" in table.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["open", "99"], "evaluation 99: no such evaluation"),
        (["close", "99"], "evaluation 99: no such evaluation"),
        (["results", "99"], "evaluation 99: no such evaluation"),
        (["evaluation", "create", "--county", "武都区", "--year", "2026"],
         "--roster: the assessment has no roster yet"),
        (["evaluation", "create", "--county", "武都区", "--year", "1900", "--roster", "ROSTER"],
         "Year: must be a whole number from 2000 to 2100, got “1900”"),
        (["evaluation", "create", "--county", "武都区", "--year", "2026", "--roster", "ROSTER",
          "--closes-at", "tomorrow"], "--closes-at: not an ISO 8601 time"),
        (["evaluation", "create", "--county", "武都区", "--year", "2026", "--roster", "ROSTER",
          "--closes-at", "2026-12-01T11:30"], "--closes-at: give the UTC offset"),
        (["evaluation", "create", "--county", "武都区", "--year", "2026", "--roster", "ROSTER",
          "--excellent-cap", "5"], "excellent cap must be between 0 and 2, got 5"),
        (["evaluation", "create", "--county", "武都区", "--year", "2026", "--roster", "BAD"],
         "Row 3, “排序”: must be a whole number from 1 to 999, got “x”"),
        (["evaluation", "create", "--county", "武都区", "--year", "2026", "--roster", "MISSING"],
         "--roster: cannot read"),
        (["evaluation", "create", "--county", "武都区", "--year", "2026", "--roster", "CONTROL"],
         "Row 2, “姓名”: must not contain control characters"),
        (["evaluation", "create", "--county", "武都\x00区", "--year", "2026", "--roster", "ROSTER"],
         "County name: must not contain control characters"),
    ],
)
def test_bad_input_exits_2_with_one_clear_message(runner, app, tmp_path, args, message):
    good, bad = tmp_path / "roster.csv", tmp_path / "bad.csv"
    good.write_text(ROSTER_CSV, encoding="utf-8")
    bad.write_text("姓名,职务,排序\n甲,副县长,1\n乙,,x\n", encoding="utf-8")
    control = tmp_path / "control.csv"
    control.write_text("姓名,职务,排序\n甲\x07乙,副县长,1\n", encoding="utf-8")
    args = [{"ROSTER": str(good), "BAD": str(bad), "MISSING": str(tmp_path / "nope.csv"),
             "CONTROL": str(control)}.get(a, a) for a in args]
    result = runner.invoke(args=args)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output


def test_roster_problems_are_all_listed_and_nothing_is_saved(runner, app, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("姓名,职务,排序\n甲,副县长,1\n,副县长,2\n丙,,1\n", encoding="utf-8")
    result = runner.invoke(args=["evaluation", "create", "--county", "武都区", "--year", "2026",
                                 "--roster", str(bad)])
    assert result.exit_code == 2
    for problem in ("Row 3, “姓名”: must not be empty", "Row 4, “职务”: must not be empty",
                    "Rows 2、4, “排序”: order 1 appears more than once"):
        assert problem in result.output
    assert "no such evaluation" in runner.invoke(args=["open", "1"]).output


def test_slip_commands_refuse_bad_counts_and_closed_evaluations(runner, app, tmp_path,
                                                                make_evaluation):
    setup = make_evaluation()
    out = tmp_path / "s.csv"
    for count in ("0", "-3", "5000"):
        result = runner.invoke(args=["slips", "export", str(setup.evaluation_id), "--count", count,
                                     "--csv", str(out)])
        assert result.exit_code == 2 and "slip count must be between 1 and 2000" in result.output
    assert not out.exists()
    runner.invoke(args=["close", str(setup.evaluation_id)])
    result = runner.invoke(args=["slips", "export", str(setup.evaluation_id), "--count", "2",
                                 "--csv", str(out)])
    assert result.exit_code == 2 and "closed" in result.output


def test_close_due_reports_what_it_closed(runner, app, make_evaluation):
    import datetime as dt

    past = dt.datetime.now(dt.UTC).replace(tzinfo=None) - dt.timedelta(minutes=5)
    setup = make_evaluation(closes_at=past)
    turnout = runner.invoke(args=["turnout", str(setup.evaluation_id)])
    assert turnout.exit_code == 0 and turnout.output.startswith("closing: 0 of 5 slips used")
    result = runner.invoke(args=["close-due"])
    assert f"evaluation {setup.evaluation_id} closed at its closing time" in result.output
    assert runner.invoke(args=["turnout", str(setup.evaluation_id)]).output.startswith("closed:")


def _members(app, county: str = "武都区") -> list[tuple[str, str | None]]:
    from sqlalchemy import select

    from ballot.assessments.models import Assessment, County, Member
    from ballot.db import get_session

    with app.app_context():
        rows = get_session().execute(
            select(Member.name, Member.previous_grade).join(Member.assessment)
            .join(Assessment.county).where(County.name == county).order_by(Member.order))
        return [tuple(r) for r in rows]


def _create(runner, roster: Path, *more: str):  # type: ignore[no-untyped-def]
    return runner.invoke(args=["evaluation", "create", "--county", "武都区", "--year", "2026",
                               "--roster", str(roster), *more])


def test_the_roster_import_is_refused_where_the_roster_page_refuses_it(runner, app, tmp_path):
    """The command imports through the page's services: once an evaluation exists, or once the
    inputs are locked, the roster is fixed, and nothing of the refused command is kept."""
    from ballot.assessments.models import Assessment
    from ballot.audit.models import AuditEntry
    from ballot.db import get_session

    roster, other = tmp_path / "roster.csv", tmp_path / "other.csv"
    roster.write_text(ROSTER_CSV, encoding="utf-8")
    other.write_text("姓名,职务\n赵六,副县长\n", encoding="utf-8")
    assert _create(runner, roster).exit_code == 0
    with app.app_context():
        entries = get_session().query(AuditEntry).count()
    again = _create(runner, other)
    assert again.exit_code == 2
    assert "An evaluation of this assessment exists; the roster can no longer change" \
        in again.output
    assert [name for name, _grade in _members(app)] == ["王建国", "李秀兰"]
    assert "no such evaluation" in runner.invoke(args=["open", "2"]).output
    with app.app_context():
        db = get_session()
        assert db.query(AuditEntry).count() == entries
        db.query(Assessment).one().inputs_locked = True
        db.commit()
    locked = runner.invoke(args=["evaluation", "create", "--county", "武都区", "--year", "2025",
                                 "--roster", str(other)])
    assert locked.exit_code == 0, locked.output  # another year: a new assessment, not locked
    refused = _create(runner, other)
    assert refused.exit_code == 2
    assert "The inputs are locked (or the results are in the approval chain); the roster can " \
        "no longer change" in refused.output


def test_the_roster_import_keeps_last_years_grades_and_is_audited_like_the_page(
        runner, app, tmp_path):
    from sqlalchemy import select

    from ballot.assessments.models import Member
    from ballot.assessments.services import RosterRow, find_or_create_assessment, import_roster
    from ballot.db import get_session
    from tests.assessments.conftest import audit_entries

    with app.app_context():
        db = get_session()
        assessment = find_or_create_assessment(db, "武都区", 2026, actor=None)
        import_roster(db, assessment, [RosterRow("王建国", "县委副书记", "党建", 1)], actor=None)
        db.scalar(select(Member).where(Member.name == "王建国")).previous_grade = "excellent"
        db.commit()
    roster = tmp_path / "roster.csv"
    roster.write_text(ROSTER_CSV, encoding="utf-8")
    created = _create(runner, roster)
    assert created.exit_code == 0, created.output
    assert _members(app) == [("王建国", "excellent"), ("李秀兰", None)]
    entry = audit_entries(app, "roster.replace")[-1]
    assert entry["actor"] == "system"
    assert [m["name"] for m in entry["before"]["members"]] == ["王建国"]
    assert [m["name"] for m in entry["after"]["members"]] == ["王建国", "李秀兰"]
    assert [e["after"] for e in audit_entries(app, "assessment.create")] == [
        {"county": "武都区", "year": 2026}]


def test_a_closing_time_already_past_is_refused_like_on_the_page(runner, app, tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text(ROSTER_CSV, encoding="utf-8")
    result = _create(runner, roster, "--closes-at", "2001-01-01T09:00+08:00")
    assert result.exit_code == 2
    assert "Closing time: 2001-01-01 09:00 has passed" in result.output
    assert _members(app) == []  # the roster imported before the refusal is rolled back too
