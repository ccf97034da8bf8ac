"""Form 6 from the database: components, weighted figures, composite, ranks, grades, flags."""

from __future__ import annotations

from decimal import Decimal

from flask import Flask

from ballot.assessments.models import Assessment
from ballot.db import get_session
from ballot.results.services import snapshot_payload, summarize
from tests.conftest import sign_in
from tests.results.conftest import World


def _rows(app: Flask, world: World):  # type: ignore[no-untyped-def]
    with app.app_context():
        db = get_session()
        summary = summarize(db, db.get(Assessment, world.assessment_id))
        return summary, {row.member.name: row for row in summary.rows}


def test_components_weighted_and_composite_match_the_hand_computation(app, world):
    summary, rows = _rows(app, world)
    first = rows["张明远"]
    published = first.result.published
    # P 88, T 90, L avg(91, 93) = 92 (the withdrawn 10 and the unsigned 20 do not count),
    # H avg(98, 98) = 98, D (9×1 + 1×0.8)/10×100 = 98, I 5×1/5×100 = 100.
    assert [published.get(c) for c in "PTLHDI"] == [Decimal(v) for v in
                                                    ("88.00", "90.00", "92.00", "98.00",
                                                     "98.00", "100.00")]
    # 0.45×88 = 39.60, 0.20×90 = 18.00, 0.10×92 = 9.20, 0.10×98 = 9.80, 0.10×98, 0.05×100 = 5.00
    assert [first.weighted[c] for c in "PTLHDI"] == [Decimal(v) for v in
                                                     ("39.60", "18.00", "9.20", "9.80", "9.80",
                                                      "5.00")]
    assert first.result.composite == Decimal("91.40")
    composites = {name: row.result.composite for name, row in rows.items()}
    assert composites == {"张明远": Decimal("91.40"), "李秀兰": Decimal("90.60"),
                          "陈国华": Decimal("90.60"), "赵卫东": Decimal("90.20"),
                          "孙丽": Decimal("86.80"), "周强": Decimal("78.80"), "吴芳": None}
    assert {n: r.result.rank for n, r in rows.items()} == {
        "张明远": 1, "李秀兰": 2, "陈国华": 2, "赵卫东": 4, "孙丽": 5, "周强": 6, "吴芳": None}


def test_quota_grades_and_flags(app, world):
    summary, rows = _rows(app, world)
    quota = summary.result.quota
    # pool 7 + 13 = 20; floor(0.15 × 20) = 3; 1 taken by the other cadres -> 2 places
    assert (quota.ratio, quota.ratio_basis, quota.pool, quota.cap, quota.available) == (
        Decimal("0.15"), "base", 20, 3, 2)
    assert rows["张明远"].grade == "excellent"
    # one place left for two members at 90.60: the team decides
    assert rows["李秀兰"].grade is None and "tie_at_quota" in rows["李秀兰"].flags
    assert rows["陈国华"].grade is None and "tie_at_quota" in rows["陈国华"].flags
    assert rows["赵卫东"].grade == "competent" and "over_quota" in rows["赵卫东"].flags
    assert rows["孙丽"].grade == "competent"
    assert rows["周强"].grade == "basically_competent" and "admonition" in rows["周强"].flags
    assert rows["吴芳"].grade is None
    assert {"missing_H", "no_valid_votes_D"} <= set(rows["吴芳"].flags)
    assert [r.member.name for r in summary.undecided] == ["李秀兰", "陈国华", "吴芳"]
    assert summary.missing == []


def test_missing_county_inputs_are_listed(app, world):
    with app.app_context():
        db = get_session()
        assessment = db.get(Assessment, world.assessment_id)
        from ballot.scores.models import CountyScore

        score = db.query(CountyScore).filter_by(county_id=assessment.county_id).one()
        score.target = None
        db.flush()
        summary = summarize(db, assessment)
        assert summary.missing == ["T"]
        assert all(row.grade is None for row in summary.rows)
        assert all("missing_T" in row.flags for row in summary.rows)
        db.rollback()


def test_payload_is_json_ready_with_components_and_quota(app, world):
    with app.app_context():
        db = get_session()
        payload = snapshot_payload(summarize(db, db.get(Assessment, world.assessment_id)))
    import json

    assert json.loads(json.dumps(payload)) == payload
    first = payload["members"][0]
    assert first["components"]["P"] == {"score": "88.00", "weighted": "39.60"}
    assert first["composite"] == "91.40" and first["rank"] == 1 and first["grade"] == "excellent"
    assert payload["quota"] == {"ratio": "0.15", "percent": "15", "basis": "base", "reason": None,
                                "pool": 20, "cap": 3, "taken_by_others": 1, "available": 2}
    assert len(payload["undecided"]) == 3


def test_page_shows_form6_in_chinese(app, world):
    client = app.test_client()
    sign_in(client, "team1")
    page = client.get(f"/assessments/{world.assessment_id}/results")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for text in ("量化评分表", "实绩考核（45%）", "39.60", "91.40", "名额线上同分（由考核组决定）",
                 "超出优秀名额，定为称职", "诫勉谈话", "缺党政正职评分", "民主测评无有效票",
                 "还有 3 名成员等待考核组决定等次", "基本比例"):
        assert text in html, text
    assert f'action="/assessments/{world.assessment_id}/results/decisions"' in html


def test_observer_sees_the_table_read_only(app, world):
    client = app.test_client()
    sign_in(client, "watch1")
    html = client.get(f"/assessments/{world.assessment_id}/results").get_data(as_text=True)
    assert "91.40" in html
    assert "/results/decisions" not in html and "previous-grades" not in html


def test_reviewer_sees_the_table_read_only(app, world):
    client = app.test_client()
    sign_in(client, "org1")
    html = client.get(f"/assessments/{world.assessment_id}/results").get_data(as_text=True)
    assert "91.40" in html and "/results/decisions" not in html
