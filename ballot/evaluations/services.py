"""Evaluation life cycle: create, issue slips, open, close (with the tally), turnout, results.

Services take the session explicitly, flush but never commit (STYLE.md): the view or CLI
command that called them commits once.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import (
    Boolean,
    Column,
    Integer,
    MetaData,
    String,
    Table,
    bindparam,
    case,
    delete,
    func,
    insert,
    literal,
    select,
    update,
)
from sqlalchemy.orm import Session

from ballot.accounts.models import User
from ballot.assessments.models import Assessment
from ballot.assessments.services import LockedError, ensure_inputs_open
from ballot.audit.services import record
from ballot.clock import utcnow
from ballot.db import begin_write, read_connection
from ballot.evaluations.models import (
    Ballot,
    BallotRating,
    Evaluation,
    Kind,
    Rating,
    Slip,
    State,
    VoteTally,
)
from ballot.slips.credentials import credential_hash, new_credential
from tally import DEFAULT_RULES, Rules, VoteCounts, publish, vote_score

#: Most slips one request may issue; a county meeting has a few hundred participants.
MAX_SLIPS_PER_ISSUE = 2000


class EvaluationError(Exception):
    """A team action that the evaluation's state or the input does not allow."""


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
        raise EvaluationError("the inputs of this assessment are locked; "
                              "no evaluation can be created, opened or given slips") from None


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
        raise EvaluationError("the assessment has no members to rate")
    if excellent_cap is not None and not 0 <= excellent_cap <= len(assessment.members):
        raise EvaluationError(
            f"excellent cap must be between 0 and {len(assessment.members)}, got {excellent_cap}"
        )
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
    if evaluation.state == State.CLOSED:
        raise EvaluationError("the evaluation is closed; no more slips can be issued")
    if not 1 <= count <= MAX_SLIPS_PER_ISSUE:
        raise EvaluationError(f"slip count must be between 1 and {MAX_SLIPS_PER_ISSUE}, got {count}")
    credentials = [new_credential() for _ in range(count)]
    session.execute(
        insert(Slip),
        [
            {"evaluation_id": evaluation.id, "credential_hash": credential_hash(key, c),
             "spent": False}
            for c in credentials
        ],
    )
    record(session, "slips.issue", actor=actor, assessment_id=evaluation.assessment_id,
           target=f"evaluation:{evaluation.id}", after={"count": count})
    return credentials


def open_evaluation(session: Session, evaluation: Evaluation, actor: User | None = None) -> None:
    """Start taking ballots. Only a draft opens; a closed evaluation never reopens."""
    _ensure_inputs_open(evaluation.assessment)
    if evaluation.state != State.DRAFT:
        raise EvaluationError(f"only a draft evaluation can be opened; this one is {evaluation.state}")
    evaluation.state = State.OPEN.value
    session.flush()
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


def close_evaluation(
    session: Session, evaluation_id: int, reason: str, rules: Rules = DEFAULT_RULES,
    actor: User | None = None,
) -> bool:
    """Close an open evaluation and tally it at once, in one write transaction.

    Returns False when it was not open (someone else closed it first). Neither the order the
    database returns ballots in nor any row metadata reveals the order they were cast (SPEC
    "Ballots"): SQLite stores them by random key from the start; on PostgreSQL they are
    rewritten here in a random order with new keys.
    """
    begin_write(session)
    closed = session.execute(
        update(Evaluation)
        .where(Evaluation.id == evaluation_id, Evaluation.state == State.OPEN.value)
        .values(state=State.CLOSED.value, closed_reason=reason, closed_at=utcnow())
    )
    if closed.rowcount != 1:
        session.rollback()
        return False
    if session.get_bind().dialect.name == "sqlite":
        # WITHOUT ROWID tables keyed by random ballot ids: storage order is already random.
        ballots, invalid = _count_ballots(session, evaluation_id)
    else:
        ballots, invalid = _shuffle_ballots(session, evaluation_id)
    evaluation = session.get_one(Evaluation, evaluation_id)
    evaluation.ballots_cast = ballots
    evaluation.invalid_ballots = invalid
    if rules is DEFAULT_RULES:
        rules = Rules(decimals=evaluation.assessment.decimals)
    _write_tallies(session, evaluation, ballots - invalid, rules)
    session.flush()
    record(session, "evaluation.close", actor=actor, assessment_id=evaluation.assessment_id,
           target=f"evaluation:{evaluation_id}", before={"state": "open"},
           after={"state": "closed", "reason": reason, "ballots": ballots, "invalid": invalid})
    return True


def _count_ballots(session: Session, evaluation_id: int) -> tuple[int, int]:
    """(all, invalid) ballots of the evaluation."""
    total, invalid = session.execute(
        select(func.count(), func.coalesce(func.sum(case((Ballot.valid, 0), else_=1)), 0))
        .where(Ballot.evaluation_id == evaluation_id)
    ).one()
    return int(total), int(invalid)


def _shuffle_ballots(session: Session, evaluation_id: int) -> tuple[int, int]:
    """Rewrite the evaluation's ballots and ratings in a random order under new random keys;
    return (all, invalid).

    The order (``secrets.SystemRandom``) and the new keys (``secrets.token_hex``) are drawn here;
    a temporary table maps each old key to its new key and place, and the database copies the
    rows in that order with ``INSERT ... SELECT``, so the ratings never travel through Python.
    The copies are written before the originals are deleted, all in the caller's transaction:
    row order, ctid and xmin follow the shuffle, not the order of casting (PostgreSQL, whose
    heap keeps insertion order; SQLite's WITHOUT ROWID tables need no rewrite).
    """
    ballot_rows = session.execute(
        select(Ballot.id, Ballot.valid).where(Ballot.evaluation_id == evaluation_id)
    ).all()
    if not ballot_rows:
        return 0, 0
    order = list(ballot_rows)
    secrets.SystemRandom().shuffle(order)
    reorder = Table(
        "ballot_reorder",
        MetaData(),
        Column("position", Integer, primary_key=True, autoincrement=False),
        Column("old_id", String(32), nullable=False),
        Column("new_id", String(32), nullable=False),
        Column("valid", Boolean, nullable=False),
        prefixes=["TEMPORARY"],
    )
    connection = session.connection()
    reorder.create(connection)
    session.execute(
        insert(reorder),
        [
            {"position": position, "old_id": old_id, "new_id": secrets.token_hex(16),
             "valid": valid}
            for position, (old_id, valid) in enumerate(order)
        ],
    )
    session.execute(
        insert(Ballot).from_select(
            ["id", "evaluation_id", "valid"],
            select(reorder.c.new_id, literal(evaluation_id), reorder.c.valid)
            .order_by(reorder.c.position),
        )
    )
    session.execute(
        insert(BallotRating).from_select(
            ["ballot_id", "member_id", "rating"],
            select(reorder.c.new_id, BallotRating.member_id, BallotRating.rating)
            .join(reorder, reorder.c.old_id == BallotRating.ballot_id)
            .order_by(reorder.c.position, BallotRating.member_id),
        )
    )
    # No ORM bookkeeping: no ballot or rating object is loaded, and returning 300,000 deleted
    # keys to Python only to find none costs more than the delete itself.
    unsynchronized = {"synchronize_session": False}
    old_ids = select(reorder.c.old_id)
    session.execute(delete(BallotRating).where(BallotRating.ballot_id.in_(old_ids)),
                    execution_options=unsynchronized)
    session.execute(delete(Ballot).where(Ballot.id.in_(old_ids)),
                    execution_options=unsynchronized)
    reorder.drop(connection)
    invalid = sum(1 for _, valid in ballot_rows if not valid)
    return len(ballot_rows), invalid


def _write_tallies(
    session: Session, evaluation: Evaluation, valid_ballots: int, rules: Rules
) -> None:
    """Count each member's ratings on valid ballots and store counts and vote score (A8.5/6)."""
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    for member_id, rating, n in session.execute(
        select(BallotRating.member_id, BallotRating.rating, func.count())
        .join(Ballot, Ballot.id == BallotRating.ballot_id)
        .where(Ballot.evaluation_id == evaluation.id, Ballot.valid.is_(True))
        .group_by(BallotRating.member_id, BallotRating.rating)
    ):
        counts[member_id][rating] = n
    for member in evaluation.members:
        c = counts.get(member.id, {})
        votes = VoteCounts(
            excellent=c.get(Rating.EXCELLENT, 0),
            competent=c.get(Rating.COMPETENT, 0),
            basically_competent=c.get(Rating.BASICALLY_COMPETENT, 0),
            incompetent=c.get(Rating.INCOMPETENT, 0),
        )
        score = vote_score(votes, rules)
        session.add(
            VoteTally(
                evaluation_id=evaluation.id,
                member_id=member.id,
                excellent=votes.excellent,
                competent=votes.competent,
                basically_competent=votes.basically_competent,
                incompetent=votes.incompetent,
                abstained=valid_ballots - votes.valid,
                score=None if score is None else str(publish(score, rules)),
            )
        )


def close_if_due(session: Session, evaluation: Evaluation, now: dt.datetime | None = None) -> bool:
    """Close an open evaluation whose closing time has passed. Returns True if it closed now."""
    now = now or utcnow()
    if evaluation.state != State.OPEN or evaluation.closes_at is None or evaluation.closes_at > now:
        return False
    return close_evaluation(session, evaluation.id, "time")


_UNUSED = (
    select(Slip.id)
    .where(Slip.evaluation_id == bindparam("evaluation_id"), Slip.spent.is_(False))
    .limit(1)
)


def close_if_all_used(session: Session, evaluation_id: int) -> bool:
    """Close an open evaluation once every issued slip has been used. Runs after every ballot,
    so the check is one indexed look-up as a Core statement (index slip (evaluation_id, spent))."""
    unused = read_connection(session).execute(_UNUSED, {"evaluation_id": evaluation_id}).first()
    if unused is not None:
        return False
    evaluation = session.get_one(Evaluation, evaluation_id)
    if evaluation.state != State.OPEN:
        return False
    return close_evaluation(session, evaluation_id, "all_slips_used")


def close_due_evaluations(session: Session, now: dt.datetime | None = None) -> list[int]:
    """Close every open evaluation past its closing time (for cron: ``ballot close-due``)."""
    now = now or utcnow()
    due = session.scalars(
        select(Evaluation.id).where(
            Evaluation.state == State.OPEN.value, Evaluation.closes_at <= now
        )
    ).all()
    closed = []
    for evaluation_id in due:
        if close_evaluation(session, evaluation_id, "time"):
            session.commit()
            closed.append(evaluation_id)
    return closed


def results(session: Session, evaluation: Evaluation) -> list[VoteTally]:
    """The stored tally in roster order; refused while the evaluation is not closed."""
    if evaluation.state != State.CLOSED:
        raise EvaluationError("results are hidden until the evaluation closes")
    by_member = {t.member_id: t for t in evaluation.tallies}
    return [by_member[m.id] for m in evaluation.members if m.id in by_member]
