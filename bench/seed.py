"""Throwaway databases for the benchmark, and what goes in them: a meeting's roster, an open
evaluation with its slips, or (for timing the close) ten thousand ballots written directly."""

from __future__ import annotations

import contextlib
import os
import random
import secrets
import tempfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
from sqlalchemy import insert
from sqlalchemy.orm import Session

from ballot import migrate
from ballot.assessments.services import RosterRow, get_or_create_assessment, replace_roster
from ballot.db import make_engine
from ballot.evaluations.models import Ballot, BallotRating, Kind
from ballot.evaluations.services import (
    MAX_SLIPS_PER_ISSUE,
    create_evaluation,
    issue_slips,
    open_evaluation,
)

#: The server that holds the throwaway PostgreSQL databases (its maintenance database).
POSTGRES_ADMIN_URL = os.environ.get(
    "BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)

SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧"
GIVEN = ["建国", "秀兰", "国华", "志强", "海燕", "立新", "文军", "晓红", "永刚", "丽娟",
         "卫东", "春梅", "德明", "玉珍", "振华", "桂英", "红旗", "明亮", "淑芳", "学军"]
POSITIONS = ["县委副书记", "常务副县长", "副县长", "县委常委、组织部部长", "县委常委、宣传部部长",
             "县委常委、政法委书记", "县纪委书记", "县人大常委会副主任", "县政协副主席"]
PORTFOLIOS = ["党建", "财政", "农业农村", "教育", "卫生健康", "交通", "应急管理", "文化旅游",
              "乡村振兴", "生态环境", ""]


def roster(size: int) -> list[RosterRow]:
    """A county leadership roster of ``size`` members with plausible names and positions."""
    rng = random.Random(size)
    return [
        RosterRow(
            name=f"{SURNAMES[i % len(SURNAMES)]}{GIVEN[(i * 7) % len(GIVEN)]}",
            position=POSITIONS[i % len(POSITIONS)],
            portfolio=rng.choice(PORTFOLIOS),
            order=i + 1,
        )
        for i in range(size)
    ]


@contextlib.contextmanager
def fresh_database(kind: str) -> Iterator[str]:
    """A new database migrated to head: an SQLite file in a temporary folder, or a throwaway
    PostgreSQL database dropped afterwards. Yields its SQLAlchemy URL."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory(prefix="ballot-bench-") as folder:
            url = f"sqlite:///{Path(folder) / 'ballot.sqlite3'}"
            migrate.upgrade(url)
            yield url
        return
    name = f"ballot_bench_{secrets.token_hex(6)}"
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True, connect_timeout=5) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        base = POSTGRES_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
        url = f"{base}/{name}"
        migrate.upgrade(url)
        yield url
    finally:
        with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclass(frozen=True)
class Meeting:
    evaluation_id: int
    credentials: list[str]
    member_ids: list[int]


def open_meeting(url: str, key: str, *, county: str, members: int, slips: int) -> Meeting:
    """An open democratic evaluation over a new roster with ``slips`` slips, plus one spare slip
    so the last vote does not close it (closing is timed on its own)."""
    engine = make_engine(url)
    try:
        with Session(engine, expire_on_commit=False) as session:
            assessment = get_or_create_assessment(session, county, 2026)
            replace_roster(session, assessment, roster(members))
            evaluation = create_evaluation(session, assessment, Kind.DEMOCRATIC)
            credentials: list[str] = []
            remaining = slips + 1
            while remaining:
                batch = min(remaining, MAX_SLIPS_PER_ISSUE)
                credentials += issue_slips(session, evaluation, batch, key)
                remaining -= batch
            open_evaluation(session, evaluation)
            session.commit()
            return Meeting(evaluation.id, credentials[:slips], [m.id for m in assessment.members])
    finally:
        engine.dispose()


#: How often each rating is chosen on a simulated ballot, abstaining included.
RATING_WEIGHTS = {"excellent": 40, "competent": 45, "basically_competent": 8,
                  "incompetent": 2, "abstain": 5}


def random_ratings(member_ids: list[int], rng: random.Random) -> dict[int, str]:
    """One voter's choices: a rating or ``abstain`` for every member."""
    values, weights = zip(*RATING_WEIGHTS.items(), strict=True)
    return dict(zip(member_ids, rng.choices(values, weights, k=len(member_ids)), strict=True))


@dataclass(frozen=True)
class StoredBallots:
    evaluation_id: int
    ballots: int
    invalid: int
    #: (member id, rating) -> count over the valid ballots: what the tally must find.
    expected: Counter[tuple[int, str]]


def store_ballots(url: str, key: str, *, ballots: int, members: int, invalid: int,
                  seed: int = 1) -> StoredBallots:
    """An open evaluation holding ``ballots`` ballots that rate every member, written directly
    (bulk inserts, not HTTP); ``invalid`` of them are marked invalid, as a paper ballot over the
    Excellent cap would be."""
    rng = random.Random(seed)
    meeting = open_meeting(url, key, county="闭票县", members=members, slips=1)
    values = [v for v in RATING_WEIGHTS if v != "abstain"]
    weights = [RATING_WEIGHTS[v] for v in values]
    ballot_rows, rating_rows = [], []
    expected: Counter[tuple[int, str]] = Counter()
    for index in range(ballots):
        ballot_id = secrets.token_hex(16)
        valid = index >= invalid
        ballot_rows.append({"id": ballot_id, "evaluation_id": meeting.evaluation_id, "valid": valid})
        for member_id, rating in zip(meeting.member_ids, rng.choices(values, weights, k=members),
                                     strict=True):
            rating_rows.append({"ballot_id": ballot_id, "member_id": member_id, "rating": rating})
            if valid:
                expected[(member_id, rating)] += 1
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(insert(Ballot), ballot_rows)
            conn.execute(insert(BallotRating), rating_rows)
    finally:
        engine.dispose()
    return StoredBallots(meeting.evaluation_id, ballots, invalid, expected)
