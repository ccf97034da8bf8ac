"""The storage attacked as its owner would (SPEC "Ballots", STYLE habit 15; docs/secrecy.md).

One meeting per database, against the real server: 120 slips over a roster of 6, 36 phones
voting in a known order (every rating used, abstentions, a blank ballot), gunicorn killed with
SIGKILL after 15 of them and started again on the same database and key store, one paper
ballot over the Excellent cap (invalid), then the team closes over HTTP. At four moments the
attacker (tests/support/attack.py) copies every byte it can reach: the database's own bytes
(SQLite's file, -wal, -shm and free pages; PostgreSQL's pages through pageinspect, its relation
files after CHECKPOINT, its WAL records) and the whole work folder (instance folder, key store,
logs). The same pipeline then tries to turn those bytes, and the secrets it is handed, into
each slip's ratings.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import random
import re
import secrets
import shutil
import signal
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import psycopg
import pytest
import requests
from sqlalchemy import select, text

from ballot import create_app
from ballot.accounts.models import Role, User
from ballot.assessments.services import RosterRow, get_or_create_assessment, replace_roster
from ballot.db import get_session
from ballot.evaluations.box import box_bytes
from ballot.evaluations.keystore import KeyMissing, KeyStore
from ballot.evaluations.models import Evaluation, Kind, VoteTally
from ballot.evaluations.services import (
    KeyLost,
    close_evaluation,
    create_evaluation,
    issue_slips,
    open_evaluation,
)
from ballot.slips.credentials import credential_hash
from ballot.voting.services import cast_paper_ballot
from bench.server import BOX_KEY, box_key_settings
from tally import box
from tests.conftest import BASE_URL, CREDENTIAL_KEY, PASSWORD, make_user
from tests.support import attack, postgres
from tests.support.attack import INVALID, Secrets, Storage, recover
from tests.support.server import running_server

pytestmark = pytest.mark.server

ROSTER = [
    RosterRow("王建国", "县委副书记", "党建", 1),
    RosterRow("李秀兰", "常务副县长", "财政", 2),
    RosterRow("陈国华", "副县长", "农业农村", 3),
    RosterRow("张伟", "副县长", "工业", 4),
    RosterRow("刘芳", "县委常委", "宣传", 5),
    RosterRow("赵磊", "县委常委", "组织", 6),
]
SLIPS, PHONES, KILL_AFTER, CAP = 120, 36, 15, 3
RATINGS = box.RATINGS
LABELS = {"excellent": "优秀", "competent": "称职", "basically_competent": "基本称职",
          "incompetent": "不称职"}
#: Every secret the application has: the server's (bench/server.py) and the test app's.
SECRET_KEYS = ("bench-secret", "test-secret")
#: |rho| at or above this for a uniformly random order of n >= 36 happens with probability
#: about 1.5e-5 (400,000 simulated shuffles of 36; less for more); the normal approximation
#: rho * sqrt(n - 1) ~ N(0, 1) bounds it by 1.2e-4. A storage order that followed the cast
#: order, or the sheet, would give rho near 1.
RANDOM_ORDER = 0.65
DATABASE_SOURCES = {"sqlite": ("sqlite:",),
                    "postgresql": ("pageinspect:", "relation file:", "wal:")}


def spearman(order: list[int]) -> float:
    """Rank correlation between positions 0..n-1 and ``order`` (distinct values)."""
    ranks = {value: rank for rank, value in enumerate(sorted(order))}
    n = len(order)
    return 1 - 6 * sum((i - ranks[o]) ** 2 for i, o in enumerate(order)) / (n * (n * n - 1))


@dataclass
class Ballot:
    """One voter as the test knows it: the slip, the choices and what went over the wire."""

    credential: str
    slip: str
    ratings: tuple[str | None, ...] | str
    form: list[tuple[str, str]]
    ciphertext: bytes | None = None


@dataclass
class Meeting:
    dialect: str
    database_url: str
    workdir: Path
    evaluation_id: int
    member_ids: list[int]
    sheet: list[str]
    cast: list[Ballot]
    seed: bytes
    sealed: bytes
    reads: dict[str, Storage] = field(default_factory=dict)
    searchable: dict[str, dict[str, bytes]] = field(default_factory=dict)
    figures: dict[str, Any] = field(default_factory=dict)
    slip_order_at_issue: list[str] = field(default_factory=list)
    xmin_join: dict[str, list[tuple[str, bytes | None]]] = field(default_factory=dict)
    box_document: dict[str, Any] = field(default_factory=dict)
    tallies: list[tuple[int, int, int, int, int, int]] = field(default_factory=list)
    counts: tuple[int | None, int | None] = (None, None)
    storage_order: list[bytes] = field(default_factory=list)

    def truth(self, upto: int | None = None) -> dict[str, tuple[str | None, ...] | str]:
        return {b.slip: b.ratings for b in self.cast[:upto]}

    @property
    def cast_index(self) -> dict[bytes, int]:
        return {b.ciphertext: i for i, b in enumerate(self.cast) if b.ciphertext is not None}


def _choices(rng: random.Random, number: int) -> tuple[str | None, ...]:
    """Seeded choices within the cap; the first three cover every rating, a blank member and a
    blank ballot."""
    fixed = {0: ("excellent", "competent", "basically_competent", "incompetent", None, None),
             1: (None,) * 6,
             2: ("incompetent", "basically_competent", "competent", "excellent", "excellent",
                 None)}
    if number in fixed:
        return fixed[number]
    while True:
        drawn = tuple(rng.choice((*RATINGS, None)) for _ in ROSTER)
        if drawn.count("excellent") <= CAP:
            return drawn


def _form(member_ids: list[int], ratings: tuple[str | None, ...], number: int
          ) -> list[tuple[str, str]]:
    """The ratings fields in roster order; a blank is sent as ``abstain`` by even-numbered
    phones and left out by odd ones (both mean no rating)."""
    fields = []
    for member, rating in zip(member_ids, ratings, strict=True):
        if rating is not None:
            fields.append((f"m{member}", rating))
        elif number % 2 == 0:
            fields.append((f"m{member}", "abstain"))
    return fields


def _token(page: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match, page[:500]
    return match.group(1)


def _vote(base: str, ballot: Ballot) -> None:
    phone = requests.Session()
    assert phone.get(f"{base}/s/{ballot.credential}", allow_redirects=False,
                     timeout=30).status_code == 303
    body = [("csrf_token", _token(phone.get(f"{base}/ballot", timeout=30).text)), *ballot.form]
    assert phone.post(f"{base}/ballot", data=body, timeout=30).status_code == 200
    confirmed = phone.post(f"{base}/ballot/confirm", data=body, allow_redirects=False, timeout=30)
    assert confirmed.status_code == 303, confirmed.text[:500]
    # The needle test_no_plaintext_ballot_ever_reaches_storage looks for is what was sent.
    sent = confirmed.request.body
    assert isinstance(sent, str) and sent.endswith(urlencode(ballot.form)), sent


def _ppid(pid: str) -> int | None:
    with contextlib.suppress(OSError):
        stat = Path(f"/proc/{pid}/stat").read_text()
        return int(stat.rsplit(")", 1)[1].split()[1])
    return None


def _kill_gunicorn(master: int) -> None:
    """SIGKILL the master and every worker it started (by their ids), then wait until gone."""
    workers = [int(p.name) for p in Path("/proc").iterdir()
               if p.name.isdigit() and _ppid(p.name) == master]
    assert workers, "gunicorn has no workers to kill"
    for pid in (*workers, master):
        os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    for pid in workers:
        while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
            with contextlib.suppress(OSError):
                if Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z":
                    break
            time.sleep(0.05)


def _team_closes(base: str, evaluation_id: int) -> None:
    team = requests.Session()
    token = _token(team.get(f"{base}/sign-in", timeout=10).text)
    signed_in = team.post(f"{base}/sign-in", data={"csrf_token": token, "username": "team1",
                                                   "password": PASSWORD},
                          allow_redirects=False, timeout=10)
    assert signed_in.status_code == 303
    token = _token(team.get(f"{base}/evaluations/{evaluation_id}/", timeout=10).text)
    closed = team.post(f"{base}/evaluations/{evaluation_id}/close", data={"csrf_token": token},
                       allow_redirects=False, timeout=30)
    assert closed.status_code == 303, closed.text[:500]


def _psycopg_url(database_url: str) -> str:
    return database_url.replace("postgresql+psycopg://", "postgresql://", 1)


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres",
                                                               marks=pytest.mark.postgres)])
def meeting(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
            sqlite_template: Path) -> Iterator[Meeting]:
    workdir = tmp_path_factory.mktemp(f"secrecy-{request.param}")
    with contextlib.ExitStack() as stack:
        if request.param == "sqlite":
            database = workdir / "ballot.sqlite3"
            shutil.copy(sqlite_template, database)
            database_url = f"sqlite:///{database}"
        else:
            template = request.getfixturevalue("postgres_template")
            database_url = stack.enter_context(postgres.temporary_database(template=template))
        yield from _run_meeting(stack, request.param, database_url, workdir)


def _run_meeting(stack: contextlib.ExitStack, kind: str, database_url: str, workdir: Path
                 ) -> Iterator[Meeting]:
    started = time.monotonic()
    app = create_app({"TESTING": True, "DATABASE_URL": database_url, "SECRET_KEY": "test-secret",
                      "CREDENTIAL_KEY": CREDENTIAL_KEY, "BASE_URL": BASE_URL,
                      **box_key_settings(workdir)}, instance_path=str(workdir / "instance"))
    stack.callback(app.extensions["db_engine"].dispose)
    dialect = "sqlite" if kind == "sqlite" else "postgresql"
    admin = None
    wal_from = 0
    if dialect == "postgresql":
        admin = stack.enter_context(psycopg.connect(_psycopg_url(database_url), autocommit=True))
        available = {name for (name,) in admin.execute(
            "SELECT name FROM pg_available_extensions")}
        assert {"pageinspect", "pg_walinspect"} <= available, available
        admin.execute("CREATE EXTENSION pageinspect")
        admin.execute("CREATE EXTENSION pg_walinspect")
        # A temporary physical slot keeps every WAL segment from here on until this connection
        # closes: what a DBA does to keep a copy of the WAL (checkpoints elsewhere would
        # otherwise recycle the segments before they are read).
        admin.execute("SELECT pg_create_physical_replication_slot(%s, true, true)",
                      (f"secrecy_{secrets.token_hex(4)}",))
        wal_from = attack.lsn(admin.execute("SELECT pg_current_wal_lsn()::text").fetchone()[0])

    rng = random.Random(20260508)
    team_id = make_user(app, "team1", Role.TEAM, display_name="考核组甲")
    with app.app_context():
        db = get_session()
        assessment = get_or_create_assessment(db, "保密测试县", 2026)
        replace_roster(db, assessment, ROSTER)
        evaluation = create_evaluation(db, assessment, Kind.DEMOCRATIC, excellent_cap=CAP)
        sheet = issue_slips(db, evaluation, SLIPS, CREDENTIAL_KEY)
        open_evaluation(db, evaluation)
        db.commit()
        evaluation_id = evaluation.id
        member_ids = [m.id for m in assessment.members]
        physical = "ctid" if dialect == "postgresql" else "credential_hash"
        slip_order = [h for (h,) in db.execute(text(
            f"SELECT credential_hash FROM slip WHERE evaluation_id = :e ORDER BY {physical}"),
            {"e": evaluation_id})]
    store = KeyStore(workdir / "box-keys", BOX_KEY)
    sealed = store.path(evaluation_id).read_bytes()
    seed = store.get(evaluation_id)

    voters = rng.sample(sheet, PHONES + 1)
    cast = []
    for number, credential in enumerate(voters[:PHONES]):
        ratings = _choices(rng, number)
        cast.append(Ballot(credential, credential_hash(CREDENTIAL_KEY, credential), ratings,
                           _form(member_ids, ratings, number)))
    paper = Ballot(voters[PHONES], credential_hash(CREDENTIAL_KEY, voters[PHONES]), INVALID,
                   [(f"m{m}", "excellent") for m in member_ids[:CAP + 1]])
    meeting = Meeting(dialect, database_url, workdir, evaluation_id, member_ids, sheet, cast, seed, sealed,
                      slip_order_at_issue=slip_order)
    known: set[bytes] = set()

    def new_ciphertext() -> bytes:
        with app.app_context():
            stored = {bytes(c) for (c,) in get_session().execute(text(
                "SELECT ciphertext FROM ballot WHERE ciphertext IS NOT NULL"))}
        fresh = stored - known
        assert len(fresh) == 1, len(fresh)
        known.update(fresh)
        return fresh.pop()

    def read(phase: str) -> None:
        began = time.monotonic()
        storage = Storage(phase, dialect)
        if dialect == "sqlite":
            attack.read_sqlite(storage, workdir / "ballot.sqlite3")
        else:
            assert admin is not None
            attack.read_postgres(storage, admin, wal_from=wal_from,
                                 whole_database=phase == "closed")
            meeting.xmin_join[phase] = [(h, None if c is None else bytes(c)) for h, c in
                                        admin.execute(
                "SELECT s.credential_hash, b.ciphertext FROM slip s "
                "JOIN ballot b ON b.xmin = s.xmin WHERE s.spent")]
        attack.read_directory(storage, workdir, "dir")
        meeting.reads[phase] = storage
        meeting.searchable[phase] = storage.searchable()
        meeting.figures[f"{phase}: seconds to read"] = round(time.monotonic() - began, 1)
        meeting.figures[f"{phase}: bytes read"] = sum(map(len, meeting.searchable[phase].values()))

    server = stack.enter_context(running_server(database_url, workdir,
                                                credential_key=CREDENTIAL_KEY, workers=2,
                                                threads=4))
    meeting.figures["first server ready after"] = round(time.monotonic() - started, 1)
    for ballot in cast[:KILL_AFTER]:
        _vote(server.url, ballot)
        ballot.ciphertext = new_ciphertext()
    _kill_gunicorn(server.pid)
    read("killed")
    with running_server(database_url, workdir, credential_key=CREDENTIAL_KEY, workers=2,
                        threads=4) as server:
        for ballot in cast[KILL_AFTER:]:
            _vote(server.url, ballot)
            ballot.ciphertext = new_ciphertext()
        with app.app_context():
            db = get_session()
            cast_paper_ballot(db, CREDENTIAL_KEY, paper.credential,
                              dict.fromkeys(member_ids[:CAP + 1], "excellent"),
                              actor=db.get_one(User, team_id))
            db.commit()
        cast.append(paper)
        if admin is not None:
            # The audit row of the paper entry (who, when) was written by the same transaction.
            meeting.figures["paper audit rows sharing the slip's xmin"] = admin.execute(
                "SELECT count(*) FROM audit_entry a JOIN slip s ON s.xmin = a.xmin "
                "WHERE a.action = 'ballot.paper' AND s.credential_hash = %s",
                (paper.slip,)).fetchone()[0]
        read("open")
        _team_closes(server.url, evaluation_id)
        read("closed")
    if dialect == "sqlite":
        wal = workdir / "ballot.sqlite3-wal"
        meeting.figures["wal after the server stopped"] = wal.stat().st_size if wal.exists() \
            else None
    else:
        assert admin is not None
        admin.execute("VACUUM")
        read("vacuumed")
        admin.execute("VACUUM (FREEZE)")
        meeting.xmin_join["frozen"] = [(h, None if c is None else bytes(c)) for h, c in
                                       admin.execute(
            "SELECT s.credential_hash, b.ciphertext FROM slip s "
            "JOIN ballot b ON b.xmin = s.xmin WHERE s.spent")]
    with app.app_context():
        db = get_session()
        evaluation = db.get_one(Evaluation, evaluation_id)
        meeting.box_document = json.loads(box_bytes(db, evaluation))
        meeting.counts = (evaluation.ballots_cast, evaluation.invalid_ballots)
        meeting.tallies = [(t.member_id, t.excellent, t.competent, t.basically_competent,
                            t.incompetent, t.abstained) for t in db.scalars(
            select(VoteTally).where(VoteTally.evaluation_id == evaluation_id))]
        physical = "ctid" if dialect == "postgresql" else "id"
        meeting.storage_order = [bytes(c) for (c,) in db.execute(text(
            f"SELECT ciphertext FROM ballot WHERE ciphertext IS NOT NULL ORDER BY {physical}"))]
    meeting.figures["meeting seconds"] = round(time.monotonic() - started, 1)
    yield meeting


def _holders(meeting: Meeting, phase: str, needle: bytes) -> list[str]:
    return meeting.reads[phase].holders(needle, meeting.searchable[phase])


def _key_store_files(storage: Storage) -> dict[str, bytes]:
    return {k: v for k, v in storage.sources.items() if k.startswith("dir:box-keys/")}


def _all_files(storage: Storage) -> dict[str, bytes]:
    return {k: v for k, v in storage.sources.items() if k.startswith("dir:")}


# --- 1 and 2: what the attacker reads, and what it gets out ----------------------------------


@pytest.mark.parametrize("phase, voted", [("killed", KILL_AFTER), ("open", PHONES + 1)])
def test_the_positive_control_opens_every_ballot_with_the_key_store_and_box_key(
        meeting, phase, voted):
    """Threat (c), root on the application server during the meeting: the key store file and
    BOX_KEY open the seed, and the pipeline reads every slip's ratings off the storage alone,
    also right after a SIGKILL of gunicorn. This is what shows the pipeline can see."""
    storage = meeting.reads[phase]
    own = storage.only(DATABASE_SOURCES[meeting.dialect])
    secrets_ = Secrets(wrapping=(BOX_KEY,), files=_key_store_files(storage))
    recovery = recover(own, secrets_)
    assert recovery.seeds == [meeting.seed]
    assert recovery.ratings == meeting.truth(voted)
    assert {link.slip: link.ciphertext for link in recovery.links} == {
        b.slip: b.ciphertext for b in meeting.cast[:voted]}
    meeting.figures[f"{phase}: ballots opened by the positive control"] = len(recovery.ratings)
    print(f"\n{meeting.dialect} {phase}: positive control opened {len(recovery.ratings)} of "
          f"{voted} ballots ({len(recovery.links)} links)")


@pytest.mark.parametrize("phase, voted", [("killed", KILL_AFTER), ("open", PHONES + 1)])
def test_a_database_owner_without_the_applications_secrets_opens_nothing(meeting, phase, voted):
    """Threat (b): the database's own bytes link every slip to its ballot (PostgreSQL: the
    xmin; SQLite: one WAL transaction each), but what the link yields is ciphertext; and a copy
    of the whole folder with every secret but BOX_KEY opens nothing either."""
    storage = meeting.reads[phase]
    own = storage.only(DATABASE_SOURCES[meeting.dialect])
    bare = recover(own, Secrets())
    assert bare.ratings == {} and bare.seeds == []
    assert {link.slip: link.ciphertext for link in bare.links} == {
        b.slip: b.ciphertext for b in meeting.cast[:voted]}
    for link in bare.links:
        if link.ciphertext is not None:
            assert len(link.ciphertext) == box.POINT_BYTES * (1 + 4 * len(ROSTER))
            assert link.ciphertext[0] == 4
    without_box_key = recover(storage, Secrets(wrapping=(CREDENTIAL_KEY, *SECRET_KEYS),
                                               files=_all_files(storage)))
    assert without_box_key.ratings == {} and without_box_key.seeds == []
    # The order of the links is the order the slips were used (the paper ballot, entered
    # last, is the one link without a ciphertext: the owner sees that this slip's ballot was
    # invalid).
    assert [link.slip for link in sorted(bare.links, key=_link_order)] == [
        b.slip for b in meeting.cast[:voted]]
    if meeting.dialect == "postgresql":
        # The same link, as one SQL statement: the issue's old attack still joins.
        assert sorted(meeting.xmin_join[phase], key=str) == sorted(
            ((b.slip, b.ciphertext) for b in meeting.cast[:voted]), key=str)
        # The WAL holds it a third time (one xid updates slip and inserts into ballot), and the
        # time each of those transactions committed.
        assert storage.wal_linking_xids == storage.wal_commit_times == voted
        if phase == "open":
            assert meeting.figures["paper audit rows sharing the slip's xmin"] == 1


def _link_order(link: attack.Link) -> int:
    """xmin on PostgreSQL, the transaction's place in the WAL on SQLite: both grow with time."""
    return int(link.evidence.rsplit(" ", 1)[1])


def test_after_close_nothing_opens_a_ballot_even_with_every_secret(meeting):
    """Threats (a) and (c) after close: every storage byte, the whole folder, BOX_KEY,
    CREDENTIAL_KEY and SECRET_KEY, and still no ballot opens: the key file is gone, and the
    seed, each slot secret and the sealed file read during the meeting appear in no byte."""
    _nothing_opens_after_close(meeting, "closed")


@pytest.mark.parametrize("meeting", ["postgres"], indirect=True)
def test_after_close_and_vacuum_nothing_opens_a_ballot_even_with_every_secret(meeting):
    """The same after PostgreSQL's VACUUM (SQLite's close rebuilds its file already)."""
    _nothing_opens_after_close(meeting, "vacuumed")


def _nothing_opens_after_close(meeting: Meeting, phase: str) -> None:
    storage = meeting.reads[phase]
    everything = Secrets(wrapping=(BOX_KEY, CREDENTIAL_KEY, *SECRET_KEYS),
                         files=_all_files(storage))
    recovery = recover(storage, everything)
    assert recovery.ratings == {} and recovery.seeds == []
    assert not any(name.endswith(f"evaluation-{meeting.evaluation_id}.key")
                   for name in storage.sources)
    assert not (meeting.workdir / "box-keys" / f"evaluation-{meeting.evaluation_id}.key").exists()
    for label, needle in _key_needles(meeting).items():
        assert not _holders(meeting, phase, needle), label
    # Control: the seed read during the meeting opens the ciphertexts these bytes still hold,
    # so what fails above is the missing key and nothing else.
    if meeting.dialect == "sqlite":
        image = attack.SqliteImage(storage.sqlite_main, storage.sqlite_wal)
        ciphertexts = [r[3] for r in image.rows(image.state(len(image.transactions)), "ballot")
                       if r[3]]
    else:
        ciphertexts = [link.ciphertext for link in recovery.links if link.ciphertext]
    assert sorted(ciphertexts) == sorted(meeting.cast_index)
    for ciphertext in ciphertexts[:3]:
        assert attack.open_ballot(meeting.seed, ciphertext) in meeting.truth().values()
    if meeting.dialect == "postgresql":
        # Honestly: the link by xmin outlives the close, VACUUM and VACUUM FREEZE.
        assert len(recovery.links) == PHONES + 1
        assert len(meeting.xmin_join[phase]) == len(meeting.xmin_join["frozen"]) == PHONES + 1
    else:
        # The WAL was truncated at close: the main file alone links nothing.
        assert recovery.links == []


def _key_needles(meeting: Meeting) -> dict[str, bytes]:
    needles = {"seed": meeting.seed, "seed (hex)": meeting.seed.hex().encode(),
               "seed (base64)": base64.b64encode(meeting.seed),
               "sealed key file": meeting.sealed,
               "sealed key file (hex)": meeting.sealed.hex().encode(),
               "sealed key file (base64)": base64.b64encode(meeting.sealed)}
    for slot in range(4 * len(ROSTER)):
        secret = box.slot_secret(meeting.seed, slot).to_bytes(32, "big")
        needles[f"x_{slot}"] = secret
        needles[f"x_{slot} (hex)"] = secret.hex().encode()
    return needles


@pytest.mark.parametrize("phase", ["killed", "open"])
def test_during_the_meeting_the_key_is_only_in_the_key_store_and_only_sealed(meeting, phase):
    """The seed and the slot secrets are in no byte anywhere; the sealed file is in the key
    store only (never in the database)."""
    for label, needle in _key_needles(meeting).items():
        holders = _holders(meeting, phase, needle)
        if label == "sealed key file":
            assert holders == [f"dir:box-keys/evaluation-{meeting.evaluation_id}.key"], holders
        else:
            assert holders == [], label


def _plaintext_needles(meeting: Meeting, ballot: Ballot) -> dict[str, bytes]:
    needles = {"credential": ballot.credential.encode(),
               "credential (lower case)": ballot.credential.lower().encode()}
    if ballot.form:
        needles["form body"] = urlencode(ballot.form).encode()
    if ballot.ratings != INVALID:
        by_member = dict(zip(meeting.member_ids, ballot.ratings, strict=True))
        needles["json"] = json.dumps({str(m): r for m, r in by_member.items()}).encode()
        needles["json (compact)"] = json.dumps({str(m): r for m, r in by_member.items()},
                                               separators=(",", ":")).encode()
        needles["json (list)"] = json.dumps(list(ballot.ratings)).encode()
        needles["csv"] = "\n".join(f"{m},{r or ''}" for m, r in by_member.items()).encode()
        needles["csv (labels)"] = "\n".join(f"{m},{LABELS.get(r or '', '')}"
                                            for m, r in by_member.items()).encode()
    return needles


@pytest.mark.parametrize("phase", ["killed", "open", "closed"])
def test_no_plaintext_ballot_ever_reaches_storage(meeting, phase):
    """No form body, no rendering of a ballot's choices and no credential in any byte; the
    credential hashes and the ciphertexts are found (the scan reads the right bytes)."""
    _no_plaintext(meeting, phase)


@pytest.mark.parametrize("meeting", ["postgres"], indirect=True)
def test_no_plaintext_ballot_reaches_storage_after_vacuum(meeting):
    _no_plaintext(meeting, "vacuumed")


def _no_plaintext(meeting: Meeting, phase: str) -> None:
    voted = KILL_AFTER if phase == "killed" else PHONES + 1
    for ballot in meeting.cast:
        for label, needle in _plaintext_needles(meeting, ballot).items():
            assert not _holders(meeting, phase, needle), (label, needle[:80])
    own = DATABASE_SOURCES[meeting.dialect]
    for slip in meeting.sheet:
        holders = _holders(meeting, phase, credential_hash(CREDENTIAL_KEY, slip).encode())
        assert any(h.startswith(own) for h in holders), slip
    for ballot in meeting.cast[:voted]:
        if ballot.ciphertext is None:
            continue
        holders = _holders(meeting, phase, ballot.ciphertext)
        if meeting.dialect == "sqlite":
            assert any(h.startswith("sqlite records") for h in holders), holders
        else:
            assert any(h.startswith("pageinspect:ballot") for h in holders), holders
            assert any(h.startswith("relation file:") for h in holders), holders
            assert any(h.startswith("wal:") for h in holders), holders


@pytest.mark.parametrize("meeting", ["sqlite"], indirect=True)
def test_sqlite_keeps_each_vote_in_the_wal_until_close_then_truncates_it(meeting):
    killed, opened, closed = (meeting.reads[p] for p in ("killed", "open", "closed"))
    during = attack.SqliteImage(opened.sqlite_main, opened.sqlite_wal)
    assert len(during.transactions) >= PHONES + 1
    assert len(attack.SqliteImage(killed.sqlite_main, killed.sqlite_wal).transactions) >= \
        KILL_AFTER
    assert closed.sqlite_wal == b""
    assert meeting.figures["wal after the server stopped"] in (None, 0)
    # Free pages exist to be read (secure_delete leaves them zeroed): counted for the report.
    image = attack.SqliteImage(closed.sqlite_main, b"")
    meeting.figures["sqlite free pages after close"] = len(image.free_pages(image.state(0)))
    print(f"\nsqlite: {len(during.transactions)} WAL transactions during the meeting, "
          f"{len(during.frames)} frames; -wal after close: {len(closed.sqlite_wal)} bytes")


@pytest.mark.parametrize("meeting", ["sqlite"], indirect=True)
def test_after_close_no_sqlite_file_keeps_which_pages_each_vote_wrote(meeting):
    closed = meeting.reads["closed"]
    current, slots = attack.shm_frames(closed.sources["sqlite:-shm"])
    assert current == 0  # the WAL itself is empty
    image = attack.SqliteImage(closed.sqlite_main, b"")
    state = image.state(0)
    rows, overflow = image.rows(state, "ballot"), image.overflow_pages(state, "ballot")
    # A slip lives on a leaf or, in these index b-trees, on an interior page.
    # An overflow page is written once, by the vote that stored its ballot (a page number may
    # have served something else before, so the last slot that names it counts).
    last_frame = {page: i for i, page in enumerate(slots)}
    placed = sorted((last_frame[o], meeting.cast_index[r[3]]) for r, o in
                    zip(rows, overflow, strict=True) if r[3] and o in last_frame)
    truth = {b.ciphertext: b.slip for b in meeting.cast if b.ciphertext}
    candidates = []
    for frame, cast in placed:
        # A commit writes its pages in page-number order, so a vote's frames run from its
        # header page (1) to the next one.
        start = max(i for i in range(frame + 1) if slots[i] == 1) if 1 in slots[:frame + 1] \
            else 0
        end = next((i for i in range(frame + 1, len(slots)) if slots[i] == 1), len(slots))
        spent = {str(r[0]) for page in set(slots[start:end]) if page in state
                 for r in _page_records(image, state, page)
                 if len(r) == 3 and isinstance(r[0], str) and len(r[0]) == 64 and r[2] == 1}
        assert truth[meeting.cast[cast].ciphertext] in spent
        candidates.append(len(spent))
    rho = spearman([cast for _frame, cast in placed]) if len(placed) > 1 else 0.0
    print(f"\nsqlite: after close -shm lists {len(slots)} stale frame slots; {len(placed)} "
          f"ballots found by their overflow page (order vs cast rho = {rho:.3f}); the slip "
          f"pages of the same vote narrow its slip to {min(candidates, default=0)}-"
          f"{max(candidates, default=0)} of {PHONES + 1} spent slips (mean "
          f"{sum(candidates) / max(len(candidates), 1):.1f}; exactly one for "
          f"{candidates.count(1)} ballots)")
    # The scrub after close (ballot.db.scrub_sqlite) restarts the log with one write of the
    # header page, which says nothing about the meeting: at most that one slot remains.
    assert placed == [] and slots in ([], [1]), (
        f"{len(placed)} ballots located, {len(slots)} stale slots")


def _page_records(image: attack.SqliteImage, state: dict[int, bytes], page: int) -> list[Any]:
    records = []
    for payload in image.own_payloads(state, page):
        with contextlib.suppress(IndexError, ValueError):
            records.append(attack.sqlite_record(payload))
    return records


# --- 3: order ---------------------------------------------------------------------------------


def test_the_published_box_does_not_follow_the_cast_order(meeting):
    index = meeting.cast_index
    order = [index[base64.b64decode(b["ciphertext"])] for b in meeting.box_document["ballots"]]
    assert sorted(order) == list(range(PHONES))
    rho = spearman(order)
    print(f"\n{meeting.dialect}: box order vs cast order rho = {rho:.3f}")
    assert abs(rho) < RANDOM_ORDER, order


def test_ballot_storage_order_against_the_cast_order(meeting):
    """SQLite: the ballot table is stored in the order of its random keys. PostgreSQL: the heap
    keeps the cast order (ctid), said plainly in docs/secrecy.md; once the key is gone that
    order belongs to ciphertexts nobody can open (test_after_close_nothing_opens_...)."""
    index = meeting.cast_index
    order = [index[c] for c in meeting.storage_order]
    rho = spearman(order)
    print(f"\n{meeting.dialect}: ballot storage order vs cast order rho = {rho:.3f}")
    if meeting.dialect == "sqlite":
        assert abs(rho) < RANDOM_ORDER, order
    else:
        assert rho > 0.9, order


@pytest.mark.parametrize("meeting", ["sqlite"], indirect=True)
def test_sqlite_page_numbers_do_not_follow_the_cast_order(meeting):
    closed = meeting.reads["closed"]
    image = attack.SqliteImage(closed.sqlite_main, b"")
    state = image.state(0)
    rows, pages = image.rows(state, "ballot"), image.overflow_pages(state, "ballot")
    index = meeting.cast_index
    by_page = [index[r[3]] for r, _page in sorted(zip(rows, pages, strict=True),
                                                  key=lambda pair: pair[1]) if r[3]]
    assert sorted(by_page) == list(range(PHONES))
    rho = spearman(by_page)
    print(f"\nsqlite: overflow page order vs cast order rho = {rho:.3f}")
    assert abs(rho) < RANDOM_ORDER, by_page


def test_slip_storage_order_does_not_follow_the_printed_sheet(meeting):
    sheet = {credential_hash(CREDENTIAL_KEY, c): i for i, c in enumerate(meeting.sheet)}
    order = [sheet[h] for h in meeting.slip_order_at_issue]
    assert sorted(order) == list(range(SLIPS))
    rho = spearman(order)
    print(f"\n{meeting.dialect}: slip storage order vs sheet order rho = {rho:.3f}")
    assert abs(rho) < RANDOM_ORDER, order


def test_the_scan_finds_a_value_split_across_sqlite_overflow_pages(tmp_path):
    """The attacker's own control: values longer than a page's local share are cut across
    overflow pages, where a byte search of the file misses them; the reassembled records find
    every one (so test_no_plaintext_... would see a stored plaintext of any length)."""
    import sqlite3

    database = tmp_path / "probe.sqlite3"
    values = [secrets.token_bytes(3000) for _ in range(10)]
    with contextlib.closing(sqlite3.connect(database)) as conn:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("CREATE TABLE t (id TEXT PRIMARY KEY, v BLOB) WITHOUT ROWID")
        for value in values:
            conn.execute("INSERT INTO t VALUES (?, ?)", (secrets.token_hex(8), value))
            conn.commit()
        storage = Storage("probe", "sqlite")
        attack.read_sqlite(storage, database)
        searchable = storage.searchable()
    assert not any(storage.holders(v, storage.sources) for v in values)
    assert all(storage.holders(v, searchable) for v in values)


def test_with_the_default_settings_the_instance_folder_holds_box_key(tmp_path, monkeypatch):
    """Without BALLOT_BOX_KEY in the environment the wrapping key is made in the instance
    folder, beside the key store: a copy of that folder alone then opens every open
    evaluation's key (docs/secrecy.md, threat (c))."""
    monkeypatch.delenv("BALLOT_BOX_KEY", raising=False)
    monkeypatch.delenv("BALLOT_BOX_KEY_DIR", raising=False)
    instance = tmp_path / "instance"
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}",
                      "SECRET_KEY": "s", "CREDENTIAL_KEY": "c"}, instance_path=str(instance))
    app.extensions["db_engine"].dispose()
    assert (instance / "box_key").read_text() == app.config["BOX_KEY"]
    assert Path(app.config["BOX_KEY_DIR"]) == instance / "box-keys"
    KeyStore(app.config["BOX_KEY_DIR"], app.config["BOX_KEY"]).put(7, b"\x01" * 32)
    folder = {f"dir:{p.relative_to(instance)}": p.read_bytes()
              for p in instance.rglob("*") if p.is_file()}
    wrapping = (folder["dir:box_key"].decode(),)
    assert attack.candidate_seeds(Secrets(wrapping=wrapping, files=folder)) == [b"\x01" * 32]


# --- 4: the destroyed key, and the tally ------------------------------------------------------


def test_the_tally_after_a_kill_and_a_restart_equals_the_truth(meeting):
    expected = []
    for number, member in enumerate(meeting.member_ids):
        given = Counter(b.ratings[number] for b in meeting.cast if b.ratings != INVALID)
        expected.append((member, *(given[r] for r in RATINGS), given[None]))
    assert sorted(meeting.tallies) == sorted(expected)
    assert meeting.counts == (PHONES + 1, 1)
    print(f"\n{meeting.dialect}: figures {meeting.figures}")


def test_a_destroyed_key_cannot_be_used_again(meeting):
    """After close the key store has no key: get() raises, stored() does not list it, the file
    is gone, and closing cannot run again, even after a database owner sets the evaluation back
    to open."""
    store = KeyStore(meeting.workdir / "box-keys", BOX_KEY)
    with pytest.raises(KeyMissing):
        store.get(meeting.evaluation_id)
    assert meeting.evaluation_id not in store.stored()
    assert not store.path(meeting.evaluation_id).exists()
    app = create_app({"TESTING": True, "DATABASE_URL": meeting.database_url,
                      "SECRET_KEY": "test-secret", "CREDENTIAL_KEY": CREDENTIAL_KEY,
                      **box_key_settings(meeting.workdir)},
                     instance_path=str(meeting.workdir / "instance"))
    try:
        with app.app_context():
            db = get_session()
            assert close_evaluation(db, meeting.evaluation_id, "team", keystore=store) is False
            db.rollback()
            db.execute(text("UPDATE evaluation SET state = 'open' WHERE id = :e"),
                       {"e": meeting.evaluation_id})
            db.commit()
            try:
                with pytest.raises(KeyLost):
                    close_evaluation(db, meeting.evaluation_id, "team", keystore=store)
            finally:
                db.rollback()
                db.execute(text("UPDATE evaluation SET state = 'closed' WHERE id = :e"),
                           {"e": meeting.evaluation_id})
                db.commit()
            assert db.scalar(select(VoteTally.excellent).where(
                VoteTally.evaluation_id == meeting.evaluation_id).limit(1)) is not None
    finally:
        app.extensions["db_engine"].dispose()


