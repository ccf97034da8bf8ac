"""Evaluation life cycle: create, issue slips, open, close (with the tally), turnout, results.

Services take the session explicitly, flush but never commit (STYLE.md): the view or CLI
command that called them commits once.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast

from flask_babel import lazy_gettext as _l
from sqlalchemy import CursorResult, bindparam, case, func, insert, select, update
from sqlalchemy.orm import Session

from ballot.accounts.models import User
from ballot.assessments.models import Assessment
from ballot.assessments.services import LockedError, SetupError, ensure_inputs_open
from ballot.audit.services import record
from ballot.clock import to_beijing, utcnow
from ballot.db import after_commit, begin_write, read_connection, scrub_sqlite
from ballot.errors import Refusal
from ballot.evaluations.box import file_digest, stored_ballots
from ballot.evaluations.floor import counts_visible, valid_ballots
from ballot.evaluations.keystore import KeyMissing, KeyStore, current_keystore
from ballot.evaluations.models import Evaluation, Kind, Slip, State, VoteTally
from ballot.labels import STATE_LABELS
from ballot.slips.credentials import credential_hash, new_credential
from tally import DEFAULT_RULES, Rules, box
from tally.group import GroupError

#: Most slips one request may issue; a county meeting has a few hundred participants.
MAX_SLIPS_PER_ISSUE = 2000


class EvaluationError(Refusal):
    """A team action that the evaluation's state or the input does not allow."""

    status = 409


@dataclass(frozen=True)
class Turnout:
    issued: int
    used: int

    @property
    def percent(self) -> int:
        return 0 if self.issued == 0 else (self.used * 100) // self.issued


def _ensure_inputs_open(assessment: Assessment) -> None:
    """No new evaluation, slip or opening once the inputs are locked or the results proposed."""
    try:
        ensure_inputs_open(assessment)
    except LockedError:
        raise EvaluationError(_l("本考核的录入已锁定（或结果已进入审批）：不能再新建、开始测评或发放票签。")
                              ) from None


def create_evaluation(
    session: Session,
    assessment: Assessment,
    kind: Kind,
    *,
    excellent_cap: int | None = None,
    closes_at: dt.datetime | None = None,
    actor: User | None = None,
) -> Evaluation:
    """A draft evaluation over the assessment's roster (A11.3: meeting or interviews)."""
    _ensure_inputs_open(assessment)
    if not assessment.members:
        raise EvaluationError(_l("本考核还没有被测评人名单，请先导入名单。"))
    if excellent_cap is not None and not 0 <= excellent_cap <= len(assessment.members):
        raise EvaluationError(_l("每张选票“优秀”上限应在 0 到 %(most)s 之间，收到 %(value)s。",
                                 most=len(assessment.members), value=excellent_cap))
    evaluation = Evaluation(
        assessment=assessment,
        kind=kind.value,
        state=State.DRAFT.value,
        excellent_cap=excellent_cap,
        closes_at=closes_at,
    )
    session.add(evaluation)
    session.flush()
    record(session, "evaluation.create", actor=actor, assessment_id=assessment.id,
           target=f"evaluation:{evaluation.id}",
           after={"kind": kind.value, "excellent_cap": excellent_cap,
                  "closes_at": closes_at.isoformat() if closes_at else None})
    return evaluation


def issue_slips(session: Session, evaluation: Evaluation, count: int, key: str,
                actor: User | None = None) -> list[str]:
    """Make ``count`` new slips and return their credentials: the only time they exist in clear.

    Slips can be issued while the evaluation is a draft or open, never after it closed.
    """
    _ensure_inputs_open(evaluation.assessment)
    if evaluation.state == State.CLOSED or evaluation.is_due():
        raise EvaluationError(_l("本次测评已结束（或已到结束时间），不能再发放票签。"))
    if not 1 <= count <= MAX_SLIPS_PER_ISSUE:
        raise EvaluationError(_l("票签数量应在 1 到 %(most)s 之间，收到 %(count)s。",
                                 most=MAX_SLIPS_PER_ISSUE, count=count))
    credentials = [new_credential() for _ in range(count)]
    # Stored in an order that owes nothing to the sheet's (PostgreSQL's heap keeps insertion
    # order): neither a key nor a row's place names a slip's position in the printed batch.
    rows = [{"evaluation_id": evaluation.id, "credential_hash": credential_hash(key, c),
             "spent": False} for c in credentials]
    secrets.SystemRandom().shuffle(rows)
    session.execute(insert(Slip), rows)
    record(session, "slips.issue", actor=actor, assessment_id=evaluation.assessment_id,
           target=f"evaluation:{evaluation.id}", after={"count": count})
    return credentials


def box_header(evaluation: Evaluation, keys: bytes) -> dict[str, object]:
    """What the box says was voted on: the roster in ballot order and the public keys."""
    assessment = evaluation.assessment
    return box.make_header(
        evaluation=evaluation.id, county=assessment.county.name, year=assessment.year,
        kind=evaluation.kind,
        members=[{"id": m.id, "name": m.name, "position": m.position}
                 for m in evaluation.members],
        keys=keys, decimals=assessment.decimals, excellent_cap=evaluation.excellent_cap,
    )


def open_evaluation(session: Session, evaluation: Evaluation, actor: User | None = None,
                    keystore: KeyStore | None = None) -> None:
    """Start taking ballots. Only a draft opens; a closed evaluation never reopens.

    The evaluation's box key is made here: its seed goes to the key store (fsynced before this
    transaction commits, so a crash while the evaluation is open loses no key), its public keys
    and the box header to the evaluation row. The database never holds the seed.
    """
    _ensure_inputs_open(evaluation.assessment)
    if evaluation.state != State.DRAFT:
        raise EvaluationError(_l("只有未开始的测评可以开始；本次测评%(state)s。",
                                 state=STATE_LABELS[evaluation.state]))
    seed = box.new_seed()
    keys = box.public_keys(seed, len(evaluation.members) * box.SLOTS_PER_MEMBER)
    header = box.canonical(box_header(evaluation, keys)).decode("utf-8")
    # One conditional statement decides between two opens at once (a double click, two staff
    # members): the loser changes nothing and, above all, never replaces the winner's key,
    # under which ballots may already be cast. The key file is written only by the winner,
    # before its commit.
    opened = cast("CursorResult[Any]", session.execute(
        update(Evaluation)
        .where(Evaluation.id == evaluation.id, Evaluation.state == State.DRAFT.value)
        .values(state=State.OPEN.value, box_keys=keys, box_header=header),
        execution_options={"synchronize_session": False},
    ))
    if opened.rowcount != 1:
        session.expire(evaluation)
        raise EvaluationError(_l("只有未开始的测评可以开始；本次测评已被他人开始或结束。"))
    (keystore or current_keystore()).put(evaluation.id, seed)
    session.expire(evaluation, ["state", "box_keys", "box_header"])
    record(session, "evaluation.open", actor=actor, assessment_id=evaluation.assessment_id,
           target=f"evaluation:{evaluation.id}", before={"state": "draft"},
           after={"state": "open"})


def turnout(session: Session, evaluation: Evaluation) -> Turnout:
    """Slips issued and used: all the team may see while the evaluation is open."""
    issued, used = session.execute(
        select(func.count(), func.coalesce(func.sum(case((Slip.spent, 1), else_=0)), 0)).where(
            Slip.evaluation_id == evaluation.id
        )
    ).one()
    return Turnout(issued=issued, used=int(used))


class KeyLost(EvaluationError):
    """The key store holds no key that opens the evaluation's box (missing, or not the key its
    ballots were encrypted under): it cannot be counted."""


def close_evaluation(
    session: Session, evaluation_id: int, reason: str, rules: Rules = DEFAULT_RULES,
    actor: User | None = None, keystore: KeyStore | None = None,
) -> bool:
    """Close an open evaluation and tally it at once, in one write transaction.

    The ballots are added up slot by slot and only the sums are decrypted, each with a proof
    (``tally.box``); the tally and the box's result and digest are stored. Once that commits the
    key is destroyed and, on SQLite, the file is rebuilt and its WAL emptied (db.scrub_sqlite):
    from then on nobody, the server included, can open a single ballot. Returns False, writing
    nothing, when it is not open (someone else closed it first); raises KeyLost, writing
    nothing, when the key store lacks the key or holds one that does not open the ballots.
    Everything is checked and decrypted before the first write, so a caller that catches a
    refusal can still commit safely.
    """
    begin_write(session)
    # The row lock (PostgreSQL) waits for ballots being cast, which hold the row FOR SHARE;
    # SQLite's write lock, taken above, already does.
    evaluation = session.get(Evaluation, evaluation_id, with_for_update=True,
                             populate_existing=True)
    if evaluation is None or evaluation.state != State.OPEN:
        return False
    store = keystore or current_keystore()
    try:
        seed = store.get(evaluation_id)
    except KeyMissing:
        raise KeyLost(_l("本次测评的密钥不在密钥库中（%(path)s），选票无法计票。",
                         path=str(store.path(evaluation_id)))) from None
    ciphertexts, invalid = stored_ballots(session, evaluation_id)
    header = json.loads(evaluation.box_header or "{}")
    if rules is DEFAULT_RULES:
        # The box's header fixed the decimals at open: the published scores follow it, so the
        # box recounts to itself even if the setting changed meanwhile.
        rules = Rules(decimals=int(header.get("decimals", evaluation.assessment.decimals)))
    try:
        decryption = box.decrypt_sums(seed, evaluation.box_keys or b"", ciphertexts,
                                      box.header_digest(header))
    except (box.BoxError, GroupError) as error:
        raise KeyLost(_l("密钥库中的密钥打不开本次测评的选票（%(error)s），无法计票。",
                         error=str(error))) from None
    result = box.result_section(decryption, len(ciphertexts), invalid, rules)
    closed = cast("CursorResult[Any]", session.execute(
        update(Evaluation)
        .where(Evaluation.id == evaluation_id, Evaluation.state == State.OPEN.value)
        .values(state=State.CLOSED.value, closed_reason=reason, closed_at=utcnow()),
        execution_options={"synchronize_session": False},
    ))
    if closed.rowcount != 1:  # cannot happen under the locks above; never tally twice
        raise EvaluationError(_l("测评已被同时结束。"))
    session.expire(evaluation, ["state", "closed_reason", "closed_at"])
    evaluation.ballots_cast = len(ciphertexts) + invalid
    evaluation.invalid_ballots = invalid
    evaluation.box_result = box.canonical(result).decode("utf-8")
    evaluation.box_digest = file_digest(evaluation.box_header or "", ciphertexts,
                                        evaluation.box_result)
    evaluation.counts_withheld = len(ciphertexts) < evaluation.assessment.anonymity_floor
    _write_tallies(session, evaluation, result)
    session.flush()
    record(session, "evaluation.close", actor=actor, assessment_id=evaluation.assessment_id,
           target=f"evaluation:{evaluation_id}", before={"state": "open"},
           after={"state": "closed", "reason": reason, "ballots": evaluation.ballots_cast,
                  "invalid": invalid, "box_digest": evaluation.box_digest})
    if session.get_bind().dialect.name == "sqlite":
        # Until the scrub has run, a marker says one is owed (a crash, a locked file).
        store.directory.mkdir(parents=True, exist_ok=True)
        (store.directory / SCRUB_PENDING).touch()
    after_commit(session, lambda: store.destroy(evaluation_id))
    after_commit(session, lambda: _scrub(session, store))
    return True


#: A file in the key store's directory while a close's SQLite scrub is owed.
SCRUB_PENDING = "scrub-pending"


def _scrub(session: Session, store: KeyStore) -> None:
    if scrub_sqlite(session):
        (store.directory / SCRUB_PENDING).unlink(missing_ok=True)


def rescrub_if_pending(session: Session, keystore: KeyStore | None = None) -> bool:
    """Run a close's SQLite scrub again if one is owed (it failed, or the process died between
    the close's commit and the scrub): the closer's every pass and ``ballot init`` call this,
    outside any transaction. Returns True when it ran one."""
    store = keystore or current_keystore()
    if not (store.directory / SCRUB_PENDING).exists():
        return False
    _scrub(session, store)
    return True


def _write_tallies(session: Session, evaluation: Evaluation, result: Mapping[str, object]
                   ) -> None:
    """Store each member's decrypted counts and vote score (A8.5/6), in roster order."""
    rows = result["tally"]
    assert isinstance(rows, list)
    for member, row in zip(evaluation.members, rows, strict=True):
        session.add(
            VoteTally(
                evaluation_id=evaluation.id,
                member_id=member.id,
                excellent=row["excellent"],
                competent=row["competent"],
                basically_competent=row["basically_competent"],
                incompetent=row["incompetent"],
                abstained=row["abstained"],
                score=row["score"],
            )
        )


def close_due(session: Session, evaluation_id: int, now: dt.datetime | None = None) -> bool:
    """Close an open evaluation whose closing time has passed (the closer, ``ballot
    close-due``, a voter's POST arriving late). Returns True if it closed now."""
    evaluation = session.get(Evaluation, evaluation_id)
    if evaluation is None or not evaluation.is_due(now):
        return False
    return _close_logging_a_lost_key(session, evaluation_id, "time")


def _close_logging_a_lost_key(session: Session, evaluation_id: int, reason: str) -> bool:
    """Close on the way (time, every slip used): a lost key leaves the evaluation open and
    unchanged, logged, for the team's close to report, rather than failing a voter's request."""
    try:
        return close_evaluation(session, evaluation_id, reason)
    except KeyLost as error:
        logging.getLogger(__name__).error("evaluation %s cannot close: %s", evaluation_id, error)
        return False


_UNUSED = (
    select(Slip.credential_hash)
    .where(Slip.evaluation_id == bindparam("evaluation_id"), Slip.spent.is_(False))
    .limit(1)
)


def close_if_all_used(session: Session, evaluation_id: int) -> bool:
    """Close an open evaluation once every issued slip has been used. Runs after every ballot,
    in a transaction of its own once the ballot's has committed (``db.then``): of two last
    voters at least the later one then sees every slip spent (PostgreSQL's READ COMMITTED would
    hide the other's spend inside the cast). The check is one indexed look-up as a Core
    statement (index slip (evaluation_id, spent))."""
    unused = read_connection(session).execute(_UNUSED, {"evaluation_id": evaluation_id}).first()
    if unused is not None:
        return False
    evaluation = session.get_one(Evaluation, evaluation_id)
    if evaluation.state != State.OPEN:
        return False
    return _close_logging_a_lost_key(session, evaluation_id, "all_slips_used")


def due_evaluations(session: Session, now: dt.datetime | None = None) -> list[int]:
    """The open evaluations past their closing time (read only)."""
    return list(session.scalars(
        select(Evaluation.id).where(
            Evaluation.state == State.OPEN.value, Evaluation.closes_at <= (now or utcnow())
        ).order_by(Evaluation.id)
    ))


def sweep_keys(session: Session, keystore: KeyStore | None = None) -> list[int]:
    """Destroy any key left in the key store for an evaluation that is closed (a crash between
    a close's commit and the key's destruction leaves one)."""
    store = keystore or current_keystore()
    present = store.stored()
    if not present:
        return []
    closed = session.scalars(select(Evaluation.id).where(
        Evaluation.id.in_(present), Evaluation.state == State.CLOSED.value)).all()
    return store.sweep(closed)


class CountsWithheld(EvaluationError):
    """Closed with fewer valid ballots than the anonymity floor, and not published by a recorded
    decision (SPEC "anonymity floor", ballot/evaluations/floor.py)."""

    def __init__(self, valid: int, floor: int) -> None:
        super().__init__(_l("各被测评人的票数暂不公开：有效选票 %(valid)s 张，少于匿名下限 "
                            "%(floor)s 张；考核组在结果页记录公开决定后方可显示。",
                            valid=valid, floor=floor))
        self.valid = valid
        self.floor = floor


def results(session: Session, evaluation: Evaluation) -> list[VoteTally]:
    """The stored tally in roster order; refused while the evaluation is not closed, and with
    CountsWithheld while it is below the anonymity floor and not published (SPEC)."""
    if evaluation.state != State.CLOSED:
        raise EvaluationError(_l("测评结束后才能查看结果。"))
    if not counts_visible(evaluation):
        raise CountsWithheld(valid_ballots(evaluation), evaluation.assessment.anonymity_floor)
    by_member = {t.member_id: t for t in evaluation.tallies}
    return [by_member[m.id] for m in evaluation.members if m.id in by_member]


def start_evaluation(session: Session, assessment: Assessment, kind: Kind, *,
                     excellent_cap: int | None, closes_at: dt.datetime | None,
                     actor: User | None) -> Evaluation:
    """A draft evaluation over the roster (A11.3: the meeting, or the interviews), with its
    Excellent cap per ballot and optional closing time (naive UTC, in the future; SPEC ballot
    decisions)."""
    if not assessment.members:
        raise SetupError([_l("名单为空：请先导入被考核成员名单，再创建测评。")])
    if not assessment.inputs_open:
        raise SetupError([_l("录入已锁定（或考核结果已进入审批），不能再创建测评。")])
    if closes_at is not None and closes_at <= utcnow():
        raise SetupError([_l("结束时间：%(value)s 已经过去，请填写将来的时间（北京时间）。",
                             value=to_beijing(closes_at).strftime("%Y-%m-%d %H:%M"))])
    return create_evaluation(session, assessment, kind, excellent_cap=excellent_cap,
                             closes_at=closes_at, actor=actor)
