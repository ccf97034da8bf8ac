"""Throwaway databases for the benchmark, and what goes in them: a meeting's roster, an open
evaluation with its slips, or (for timing the close) ten thousand encrypted ballots written
directly.

Evaluations are opened by the product's own ``open_evaluation``, so each has a real box key,
its seed sealed in the key store of the benchmark's work folder: the one the servers started by
``bench.server.running(workdir=...)`` use (``bench.server.box_key_settings``)."""

from __future__ import annotations

import contextlib
import os
import random
import secrets
import tempfile
import time
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
from ballot.evaluations.keystore import KeyStore
from ballot.evaluations.models import Ballot, Evaluation, Kind
from ballot.evaluations.services import (
    MAX_SLIPS_PER_ISSUE,
    create_evaluation,
    issue_slips,
    open_evaluation,
)
from bench.server import box_key_settings
from tally import box
from tests.support.bigbox import make_box

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


def keystore(workdir: Path) -> KeyStore:
    """The box key store that servers started with ``workdir`` read (same folder, same key)."""
    settings = box_key_settings(workdir)
    return KeyStore(settings["BOX_KEY_DIR"], settings["BOX_KEY"])


@dataclass(frozen=True)
class Meeting:
    evaluation_id: int
    credentials: list[str]
    #: The roster in ballot order (slot order of the box).
    member_ids: list[int]


def open_meeting(url: str, key: str, workdir: Path, *, county: str, members: int,
                 slips: int) -> Meeting:
    """An open democratic evaluation over a new roster with ``slips`` slips, plus one spare slip
    so the last vote does not close it (closing is timed on its own). Its box key goes to the
    key store of ``workdir``."""
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
            open_evaluation(session, evaluation, keystore=keystore(workdir))
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
class StoredBox:
    evaluation_id: int
    #: Valid (encrypted) ballots, and invalid paper ballots (no ciphertext) on top of them.
    ballots: int
    invalid: int
    member_ids: list[int]
    #: The 4m slot counts of the valid ballots, in slot order: what the close must decrypt.
    counts: list[int]
    generate_seconds: float
    insert_seconds: float

    def expected(self) -> Counter[tuple[int, str]]:
        """(member id, rating) -> count, as the vote tally must hold it (zeros left out)."""
        found: Counter[tuple[int, str]] = Counter()
        for index, count in enumerate(self.counts):
            member, rating = divmod(index, box.SLOTS_PER_MEMBER)
            if count:
                found[(self.member_ids[member], box.RATINGS[rating])] = count
        return found


def store_box(url: str, key: str, workdir: Path, *, ballots: int, members: int, invalid: int,
              seed: int = 1) -> StoredBox:
    """An open evaluation holding ``ballots`` encrypted ballots that rate its members (7 % left
    blank) plus ``invalid`` invalid paper ballots (over the Excellent cap: no ciphertext),
    written directly (bulk inserts, not HTTP).

    The evaluation is opened by the product, so its key seed is in the key store; the
    ciphertexts are made under its public keys by ``tests/support/bigbox.make_box``, which
    encrypts with point additions only (ballot i uses the randomness r_0 + i): genuine
    encryptions of their ballots, made in seconds instead of the 40 s that ``Encryptor`` would
    take at 30 members. Each row is as a confirm writes it: random id, valid, ciphertext,
    tracker.
    """
    meeting = open_meeting(url, key, workdir, county="闭票县", members=members, slips=1)
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            keys = bytes(session.get_one(Evaluation, meeting.evaluation_id).box_keys or b"")
        began = time.perf_counter()
        made = make_box(ballots, members, keystore(workdir).get(meeting.evaluation_id),
                        invalid=invalid)
        generated = time.perf_counter() - began
        if made.keys != keys:
            raise RuntimeError("the generated box is not under the evaluation's public keys")
        rows = [{"id": secrets.token_hex(16), "evaluation_id": meeting.evaluation_id,
                 "valid": True, "ciphertext": c, "tracker": box.tracker(c)}
                for c in made.ciphertexts]
        rows += [{"id": secrets.token_hex(16), "evaluation_id": meeting.evaluation_id,
                  "valid": False, "ciphertext": None, "tracker": None} for _ in range(invalid)]
        random.Random(seed).shuffle(rows)
        began = time.perf_counter()
        with engine.begin() as conn:
            conn.execute(insert(Ballot), rows)
        inserted = time.perf_counter() - began
    finally:
        engine.dispose()
    return StoredBox(meeting.evaluation_id, ballots, invalid, meeting.member_ids, made.counts,
                     generated, inserted)
