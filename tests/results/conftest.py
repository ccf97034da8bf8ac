"""A realistic county assessment built directly with the models, and the accounts of the A15 chain.

武都区 2026: P 88, T 90, L = avg(91, 93) = 92, so every member starts from
0.45·88 + 0.20·90 + 0.10·92 = 39.60 + 18.00 + 9.20 = 66.80; then 0.10·H + 0.10·D + 0.05·I.
Quota: pool 7 members + 13 other cadres = 20, 15% -> cap 3, 1 taken by others -> 2 available.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from ballot.accounts.models import Office, Role, User
from ballot.assessments.models import Assessment, County, Member
from ballot.db import get_session
from ballot.evaluations.models import Evaluation, VoteTally
from ballot.scores.models import CountyLeaderScore, CountyScore, MemberScore, Scorer
from tests.conftest import PASSWORD

#: name, position, heads' H scores, D counts (E, C, B, N, abstained), I counts.
MEMBERS = [
    # H 98, D (9+0.8)/10 = 98, I 100: 66.80 + 9.80 + 9.80 + 5.00 = 91.40 (Excellent, rank 1)
    ("张明远", "常务副区长", ("98", "98"), (9, 1, 0, 0, 0), (5, 0, 0, 0, 0)),
    # H 94, D (8+1.6)/10 = 96, I (4+0.8)/5 = 96: 66.80 + 9.40 + 9.60 + 4.80 = 90.60 (tie)
    ("李秀兰", "副区长", ("93", "95"), (8, 2, 0, 0, 0), (4, 1, 0, 0, 0)),
    # H 92, D 96, I 100: 66.80 + 9.20 + 9.60 + 5.00 = 90.60 (tie)
    ("陈国华", "区委常委", ("91", "93"), (8, 2, 0, 0, 0), (5, 0, 0, 0, 0)),
    # H 90, D 96, I 96: 66.80 + 9.00 + 9.60 + 4.80 = 90.20 (>= 90 but over quota: Competent)
    ("赵卫东", "副区长", ("90", "90"), (8, 2, 0, 0, 0), (4, 1, 0, 0, 0)),
    # H 80, D (2+4.8+1)/10 = 78, I (1+3.2)/5 = 84: 66.80 + 8.00 + 7.80 + 4.20 = 86.80 (Competent)
    ("孙丽", "副区长", ("80", "80"), (2, 6, 2, 0, 0), (1, 4, 0, 0, 0)),
    # H 60, D 5/10 = 50, I 1/5 = 20: 66.80 + 6.00 + 5.00 + 1.00 = 78.80 (Basically competent)
    ("周强", "副区长", ("60", "60"), (0, 0, 10, 0, 0), (0, 0, 2, 3, 0)),
    # no heads' scores (missing H) and only abstentions on form 2 (no valid votes D)
    ("吴芳", "区委常委", (), (0, 0, 0, 0, 10), (0, 5, 0, 0, 0)),
]
SIGNED = dt.datetime(2026, 12, 20, 9, 0)


def build_assessment(db: Session, county_name: str = "武都区", year: int = 2026,
                     P: str | None = "88", T: str | None = "90") -> Assessment:
    """The county's assessment for ``year`` with every input of form 6 (see the module doc)."""
    county = db.scalar(select(County).where(County.name == county_name))
    if county is None:
        county = County(name=county_name)
        db.add(county)
    assessment = Assessment(county=county, year=year, other_cadres_count=13,
                            other_cadres_excellent=1)
    db.add(assessment)
    db.flush()
    db.add(CountyScore(county_id=county.id, year=year, performance=P, target=T))
    members = [Member(assessment=assessment, name=name, position=position, order=order)
               for order, (name, position, *_rest) in enumerate(MEMBERS, start=1)]
    db.add_all(members)
    # Form 4: two signed leaders (91, 93); a withdrawn and an unsigned sheet count for nothing.
    for name, score, signed, withdrawn in (("市领导甲", "91", SIGNED, False),
                                           ("市领导乙", "93", SIGNED, False),
                                           ("市领导丙", "10", SIGNED, True),
                                           ("市领导丁", "20", None, False)):
        scorer = Scorer(assessment=assessment, kind="city_leader", name=name,
                        signed_name=name if signed else None, signed_at=signed,
                        withdrawn=withdrawn)
        db.add(scorer)
        db.flush()
        db.add(CountyLeaderScore(scorer_id=scorer.id, score=score))
    # Form 5: the two heads score every member except the last.
    for index, head in enumerate(("区委书记", "区长")):
        scorer = Scorer(assessment=assessment, kind="county_head", name=head, signed_name=head,
                        signed_at=SIGNED)
        db.add(scorer)
        db.flush()
        for member, (_n, _p, heads, _d, _i) in zip(members, MEMBERS, strict=True):
            if heads:
                db.add(MemberScore(scorer_id=scorer.id, member_id=member.id, score=heads[index]))
    # Forms 2 and 3: closed evaluations with their tallies.
    for kind, column in (("democratic", 3), ("interview", 4)):
        evaluation = Evaluation(assessment=assessment, kind=kind, state="closed",
                                closed_reason="team", closed_at=SIGNED, ballots_cast=10,
                                invalid_ballots=0)
        db.add(evaluation)
        db.flush()
        for member, row in zip(members, MEMBERS, strict=True):
            e, c, b, n, abstained = row[column]
            db.add(VoteTally(evaluation_id=evaluation.id, member_id=member.id, excellent=e,
                             competent=c, basically_competent=b, incompetent=n,
                             abstained=abstained))
    db.flush()
    db.refresh(assessment)
    return assessment


@dataclass
class Chain:
    """Ids of the accounts that act on results."""

    team: int
    admin: int
    observer: int
    organization: int
    supervision: int
    poverty: int
    leading_group: int
    party_committee: int


@functools.cache
def _password_hash() -> str:
    """One scrypt hash per worker: the accounts below all share the test password."""
    return generate_password_hash(PASSWORD)


def make_accounts(db: Session) -> Chain:
    def user(name: str, role: Role, office: Office | None = None) -> int:
        account = User(username=name, display_name=name, password_hash=_password_hash(),
                       role=role.value, office=office.value if office else None)
        db.add(account)
        db.flush()
        return account.id

    return Chain(
        team=user("team1", Role.TEAM), admin=user("admin1", Role.ADMIN),
        observer=user("watch1", Role.OBSERVER),
        organization=user("org1", Role.REVIEWER, Office.ORGANIZATION),
        supervision=user("sup1", Role.REVIEWER, Office.SUPERVISION),
        poverty=user("pov1", Role.REVIEWER, Office.POVERTY),
        leading_group=user("lead1", Role.REVIEWER, Office.LEADING_GROUP),
        party_committee=user("party1", Role.REVIEWER, Office.PARTY_COMMITTEE),
    )


@dataclass
class World:
    assessment_id: int
    county_id: int
    members: dict[str, int]
    accounts: Chain


@pytest.fixture
def world(app: Flask) -> World:
    """武都区 2026 built as in the module doc, plus every account of the chain (committed)."""
    with app.app_context():
        db = get_session()
        assessment = build_assessment(db)
        accounts = make_accounts(db)
        db.commit()
        return World(assessment.id, assessment.county_id,
                     {m.name: m.id for m in assessment.members}, accounts)


def account(db: Session, user_id: int) -> User:
    user = db.get(User, user_id)
    assert user is not None
    return user


def resolve(db: Session, assessment: Assessment, actor: User) -> None:
    """The team settles what the tally left open: the tie (李秀兰 Excellent, 陈国华 Competent) and
    吴芳's missing inputs (Competent)."""
    from ballot.results.services import record_decision

    ids = {m.name: m.id for m in assessment.members}
    record_decision(db, assessment, ids["李秀兰"], "tie", actor=actor, grade="excellent",
                    reason="分管工作成效更突出")
    record_decision(db, assessment, ids["陈国华"], "tie", actor=actor, grade="competent",
                    reason="同分，按集体研究意见")
    record_decision(db, assessment, ids["吴芳"], "missing_input", actor=actor, grade="competent",
                    reason="正职评分表遗失，按平时考核定为称职")


def approve(db: Session, assessment: Assessment, accounts: Chain) -> None:
    """Lock the inputs, propose, and take the proposal through every office (A15)."""
    from ballot.results import approval

    assessment.inputs_locked = True
    approval.propose(db, assessment, account(db, accounts.team), "建议如下")
    for office, action in (("organization", "sign_off"), ("supervision", "sign_off"),
                           ("poverty", "sign_off"), ("leading_group", "deliberate"),
                           ("party_committee", "approve")):
        approval.act(db, assessment, account(db, getattr(accounts, office)), action, "同意")
    assert assessment.stage == "approved"
