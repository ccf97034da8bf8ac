"""A small scored assessment, hand-checked: 3 members, P/T, two leaders, two heads, a closed
democratic evaluation (3 ballots) and a closed interview (2 ballots)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from flask import Flask

from ballot.accounts.models import Role
from ballot.assessments.models import Assessment
from ballot.clock import utcnow
from ballot.db import get_session
from ballot.evaluations.models import Kind
from ballot.evaluations.services import (
    close_evaluation,
    create_evaluation,
    issue_slips,
    open_evaluation,
)
from ballot.scores.models import CountyLeaderScore, CountyScore, MemberScore, Scorer
from tests.conftest import CREDENTIAL_KEY, make_user, publish_counts, vote


@dataclass
class Scored:
    assessment_id: int
    member_ids: list[int]
    county: str


@pytest.fixture
def scored(app: Flask, make_evaluation) -> Scored:  # type: ignore[no-untyped-def]
    """Hand-checked composites: 王建国 91.71 (优秀), 李秀兰 87.93, 陈国华 82.33 (half up)."""
    # The anonymity floor at its lowest (3): the democratic evaluation's 3 ballots show; the
    # interview's 2 are published by a recorded decision below.
    setup = make_evaluation(slips=3, floor=3)
    m1, m2, m3 = setup.member_ids
    ballots = [
        {m1: "excellent", m2: "competent", m3: "competent"},
        {m1: "excellent", m2: "basically_competent"},
        {m1: "competent", m2: "competent", m3: "incompetent"},
    ]
    for credential, ratings in zip(setup.credentials, ballots, strict=True):
        assert vote(app.test_client(), credential, ratings).status_code in (200, 303)
    with app.app_context():
        db = get_session()
        if db.get_one(Assessment, setup.assessment_id):
            pass
        from ballot.evaluations.models import Evaluation

        evaluation = db.get_one(Evaluation, setup.evaluation_id)
        if evaluation.state == "open":
            assert close_evaluation(db, setup.evaluation_id, "team")
        db.commit()
        assessment = db.get_one(Assessment, setup.assessment_id)
        interview = create_evaluation(db, assessment, Kind.INTERVIEW)
        credentials = issue_slips(db, interview, 2, CREDENTIAL_KEY)
        open_evaluation(db, interview)
        db.commit()
        interview_id = interview.id
    for credential, ratings in zip(credentials, [
        {m1: "excellent", m2: "competent", m3: "competent"},
        {m1: "excellent", m2: "excellent", m3: "basically_competent"},
    ], strict=True):
        assert vote(app.test_client(), credential, ratings).status_code in (200, 303)
    with app.app_context():
        db = get_session()
        from ballot.evaluations.models import Evaluation

        if db.get_one(Evaluation, interview_id).state == "open":
            assert close_evaluation(db, interview_id, "team")
        db.commit()
    publish_counts(app, interview_id)
    with app.app_context():
        db = get_session()
        assessment = db.get_one(Assessment, setup.assessment_id)
        assessment.other_cadres_count = 4
        db.add(CountyScore(county_id=assessment.county_id, year=2026, performance="92.50",
                           target="88.00"))
        now = utcnow()
        for name, score in (("张市长", "90"), ("赵书记", "85")):
            scorer = Scorer(assessment_id=assessment.id, kind="city_leader", name=name,
                            title="市委常委", signed_name=name, signed_at=now, source="link")
            db.add(scorer)
            db.flush()
            db.add(CountyLeaderScore(scorer_id=scorer.id, score=score))
        for name, scores in (("刘书记", ("95", "85", "70")), ("孙县长", ("93", "84", "72"))):
            scorer = Scorer(assessment_id=assessment.id, kind="county_head", name=name,
                            title="县委书记", signed_name=name, signed_at=now, source="paper")
            db.add(scorer)
            db.flush()
            for member_id, score in zip((m1, m2, m3), scores, strict=True):
                db.add(MemberScore(scorer_id=scorer.id, member_id=member_id, score=score))
        db.commit()
        return Scored(assessment.id, [m1, m2, m3], assessment.county.name)


@pytest.fixture
def reader(app: Flask):  # type: ignore[no-untyped-def]
    """A factory: a client signed in with a new account of the given role."""
    from tests.conftest import sign_in

    counter = iter(range(1000))

    def make(role: Role = Role.TEAM, **options):  # type: ignore[no-untyped-def]
        name = f"{role.value}{next(counter)}"
        make_user(app, name, role, **options)
        client = app.test_client()
        assert sign_in(client, name).status_code == 303
        return client

    return make
