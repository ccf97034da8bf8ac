"""Last year's grades (A18 input), members' history across years, access to the pages."""

from __future__ import annotations

import json

import pytest
from flask import Flask
from sqlalchemy import select

from ballot.accounts.models import Office, Role
from ballot.assessments.models import Assessment, County
from ballot.audit.models import AuditEntry
from ballot.db import get_session
from ballot.results.services import (
    DecisionError,
    county_history,
    fill_previous_grades,
    set_previous_grades,
    summarize,
)
from ballot.scores.models import CountyScore
from tests.conftest import csrf_token, make_user, sign_in
from tests.results.conftest import World, account, approve, build_assessment, resolve


def _last_year_approved(app: Flask, world: World) -> None:
    """武都区 2025 with the same roster, approved; two more counties ranked below 武都区 (P 88)
    in 2025 and 2026, so 武都区 is first two years running (A13, A18 "名次靠前")."""
    with app.app_context():
        db = get_session()
        last = build_assessment(db, year=2025)
        for name, p in (("成县", "80"), ("文县", "82")):
            county = County(name=name)
            db.add(county)
            db.flush()
            db.add_all([CountyScore(county_id=county.id, year=year, performance=p, target="80")
                        for year in (2025, 2026)])
        resolve(db, last, account(db, world.accounts.team))
        approve(db, last, world.accounts)
        db.commit()


def test_previous_grades_from_last_year_feed_priority_promotion(app, world):
    _last_year_approved(app, world)
    with app.app_context():
        db = get_session()
        assessment = db.get(Assessment, world.assessment_id)
        team = account(db, world.accounts.team)
        summary = summarize(db, assessment)
        # first both years of 3 counties: the ratio is raised to 20% (A13): floor(0.2 × 20) - 1 = 3
        assert summary.result.quota.ratio_basis == "raised"
        assert summary.result.quota.available == 3
        assert fill_previous_grades(db, assessment, team) == 7
        grades = {m.name: m.previous_grade for m in assessment.members}
        assert grades["张明远"] == grades["李秀兰"] == "excellent"
        assert grades["陈国华"] == "competent" and grades["周强"] == "basically_competent"
        rows = {r.member.name: r for r in summarize(db, assessment).rows}
        # Excellent this year and last, county near the top -> priority promotion (A18)
        assert "priority_promotion" in rows["张明远"].flags
        assert "priority_promotion" in rows["李秀兰"].flags
        assert rows["陈国华"].grade == "excellent"
        assert "priority_promotion" not in rows["陈国华"].flags
        entry = db.scalar(select(AuditEntry).where(AuditEntry.action == "previous_grade.fill"))
        assert json.loads(entry.before)["张明远"] is None
        assert json.loads(entry.after)["张明远"] == "excellent"
        # the team may set one by hand too; a second fill changes nothing
        assert set_previous_grades(db, assessment, {world.members["陈国华"]: "excellent"},
                                   team) == 1
        assert "priority_promotion" in next(
            r for r in summarize(db, assessment).rows if r.member.name == "陈国华").flags
        with pytest.raises(DecisionError, match="无效的等次"):
            set_previous_grades(db, assessment, {world.members["陈国华"]: "gold"}, team)
        db.commit()


def test_fill_refused_without_an_approved_last_year(app, world):
    with app.app_context():
        db = get_session()
        assessment = db.get(Assessment, world.assessment_id)
        with pytest.raises(DecisionError, match="2025 年度本县的考核尚未审定"):
            fill_previous_grades(db, assessment, account(db, world.accounts.team))


def test_history_across_two_years(app, world):
    _last_year_approved(app, world)
    client = app.test_client()
    sign_in(client, "team1")
    url = f"/counties/{world.county_id}/history"
    page = client.get(url).get_data(as_text=True)
    assert "2025年度" in page and "2026年度" not in page
    with app.app_context():
        db = get_session()
        assessment = db.get(Assessment, world.assessment_id)
        fill_previous_grades(db, assessment, account(db, world.accounts.team))
        resolve_2026 = {m.name: m.id for m in assessment.members}
        from ballot.results.services import record_decision

        record_decision(db, assessment, resolve_2026["吴芳"], "missing_input",
                        actor=account(db, world.accounts.team), grade="competent",
                        reason="正职评分表遗失")
        approve(db, assessment, world.accounts)
        history = county_history(db, db.get(County, world.county_id))
        db.commit()
    assert history.years == [2026, 2025]
    people = dict(history.people)
    assert people["陈国华"] == {2026: "excellent", 2025: "competent"}
    page = client.get(url).get_data(as_text=True)
    assert "2026年度" in page and "陈国华" in page


def test_previous_grades_through_the_page(app, world):
    client = app.test_client()
    sign_in(client, "team1")
    results = f"/assessments/{world.assessment_id}/results"
    token = csrf_token(client, results)
    done = client.post(results + "/previous-grades", data={
        "csrf_token": token, f"previous_{world.members['张明远']}": "excellent"})
    assert done.status_code == 303
    fill = client.post(results + "/previous-grades", data={"csrf_token": token, "fill": "1"})
    assert fill.status_code == 400 and "尚未审定" in fill.get_data(as_text=True)
    with app.app_context():
        db = get_session()
        assessment = db.get(Assessment, world.assessment_id)
        assert {m.name: m.previous_grade for m in assessment.members}["张明远"] == "excellent"
        assessment.inputs_locked = True
        db.commit()
    locked = client.post(results + "/previous-grades", data={
        "csrf_token": token, f"previous_{world.members['张明远']}": ""})
    assert locked.status_code == 409 and "录入已锁定" in locked.get_data(as_text=True)


def test_access_anonymous_and_county_limits(app, world):
    pages = [f"/assessments/{world.assessment_id}/results",
             f"/assessments/{world.assessment_id}/approval",
             f"/counties/{world.county_id}/history"]
    anonymous = app.test_client()
    for url in pages:
        response = anonymous.get(url)
        assert response.status_code == 302 and "/sign-in" in response.headers["Location"]
    with app.app_context():
        db = get_session()
        other = County(name="西和县")
        db.add(other)
        db.commit()
        other_id = other.id
    make_user(app, "org2", Role.REVIEWER, office=Office.ORGANIZATION, counties=[other])
    limited = app.test_client()
    sign_in(limited, "org2")
    for url in pages:
        assert limited.get(url).status_code == 403, url
    assert limited.get(f"/counties/{other_id}/history").status_code == 200
    assert limited.get("/counties/99999/history").status_code == 404
    token = csrf_token(limited, "/home")
    assert limited.post(pages[1], data={"csrf_token": token,
                                        "action": "sign_off"}).status_code == 403
    observer = app.test_client()
    sign_in(observer, "watch1")
    for url in pages:
        assert observer.get(url).status_code == 200, url
