"""Checking a slip, validating a ballot and casting it (SPEC "Ballots", STYLE habit 3).

A ballot is stored in the same transaction that spends its credential with
``UPDATE slip SET spent = true WHERE ... AND NOT spent``; the row count decides who won a race.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session

from ballot.clock import utcnow
from ballot.db import begin_write, read_connection
from ballot.evaluations.models import (
    RATING_VALUES,
    Ballot,
    BallotRating,
    Evaluation,
    Rating,
    Slip,
    State,
)
from ballot.evaluations.services import close_if_due
from ballot.slips.credentials import credential_hash
from ballot.voting.ballot_view import BallotView, ballot_view

#: Form value for "no rating for this member".
ABSTAIN = "abstain"


class SlipProblem(Exception):
    """Why a slip cannot vote: unknown, used, not_open or closed."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class BallotProblem(Exception):
    """A ballot form that cannot be accepted; ``message`` is for the voter."""

    def __init__(self, code: str, **details: object) -> None:
        super().__init__(code)
        self.code = code
        self.details = details


@dataclass(frozen=True)
class Choices:
    """A validated ballot: member id -> rating, or None where the voter abstained."""

    by_member: dict[int, str | None]

    @property
    def excellent(self) -> int:
        return sum(1 for r in self.by_member.values() if r == Rating.EXCELLENT)


# The statements of the voting path, built once (they run several times per vote).
_SLIP = (
    select(Slip.spent, Evaluation.id, Evaluation.state, Evaluation.closes_at)
    .join(Evaluation, Evaluation.id == Slip.evaluation_id)
    .where(Slip.credential_hash == bindparam("hash"))
)
# Closing takes the evaluation row exclusively, so it waits for ballots being cast (PostgreSQL;
# SQLite serializes writers anyway).
_SLIP_FOR_SHARE = _SLIP.with_for_update(read=True, of=Evaluation)
_SPEND = (
    update(Slip)
    .where(Slip.credential_hash == bindparam("hash"), Slip.spent.is_(False))
    .values(spent=True)
)
_STORE_BALLOT = insert(Ballot).values(
    id=bindparam("id"), evaluation_id=bindparam("evaluation_id"), valid=True
)
_STORE_RATING = insert(BallotRating)


@dataclass(frozen=True)
class SlipCheck:
    """A slip that may vote: the open evaluation it belongs to."""

    evaluation_id: int


def find_slip(session: Session, key: str, credential: str, *, lock: bool = False) -> SlipCheck:
    """The open evaluation a credential votes in, or SlipProblem saying why it cannot vote.

    One query reads the slip and its evaluation's state, on the session's connection (Core, not
    the ORM: this runs on every voting request). An evaluation past its closing time is closed
    here, on first contact.
    """
    query, conn = (_SLIP_FOR_SHARE, session.connection()) if lock else (_SLIP, read_connection(session))
    row = conn.execute(query, {"hash": credential_hash(key, credential)}).one_or_none()
    if row is None:
        raise SlipProblem("unknown")
    spent, evaluation_id, state, closes_at = row
    if state == State.OPEN and closes_at is not None and closes_at <= utcnow():
        if close_if_due(session, session.get_one(Evaluation, evaluation_id)):
            session.commit()
        raise SlipProblem("closed")
    if state == State.CLOSED:
        raise SlipProblem("closed")
    if spent:
        raise SlipProblem("used")
    if state != State.OPEN:
        raise SlipProblem("not_open")
    return SlipCheck(evaluation_id)


def read_choices(view: BallotView, form: Mapping[str, str]) -> Choices:
    """Validate the submitted ratings against the roster and the Excellent cap.

    Fields are ``m<member id>``; a missing field or ``abstain`` means no rating. Any other
    field naming a member, or a value that is not a rating, is a tampered form.
    """
    fields = {m.field: m.id for m in view.members}
    for name in form:
        if name.startswith("m") and name not in fields:
            raise BallotProblem("unknown_member")
    by_member: dict[int, str | None] = {}
    for field, member_id in fields.items():
        value = form.get(field, ABSTAIN) or ABSTAIN
        if value == ABSTAIN:
            by_member[member_id] = None
        elif value in RATING_VALUES:
            by_member[member_id] = value
        else:
            raise BallotProblem("unknown_rating")
    choices = Choices(by_member)
    cap = view.excellent_cap
    if cap is not None and choices.excellent > cap:
        raise BallotProblem("over_cap", cap=cap, given=choices.excellent)
    return choices


def cast_ballot(session: Session, key: str, credential: str, form: Mapping[str, str]) -> int:
    """Spend the credential and store the ballot in one transaction (not committed here);
    return the evaluation id.

    Raises SlipProblem("used") when another submit of the same slip got there first.
    """
    begin_write(session)
    evaluation_id = find_slip(session, key, credential, lock=True).evaluation_id
    choices = read_choices(ballot_view(session, evaluation_id), form)
    conn = session.connection()
    spent = conn.execute(_SPEND, {"hash": credential_hash(key, credential)})
    if spent.rowcount != 1:
        raise SlipProblem("used")
    ballot_id = secrets.token_hex(16)
    conn.execute(_STORE_BALLOT, {"id": ballot_id, "evaluation_id": evaluation_id})
    ratings = [
        {"ballot_id": ballot_id, "member_id": member_id, "rating": rating}
        for member_id, rating in choices.by_member.items()
        if rating is not None
    ]
    if ratings:
        conn.execute(_STORE_RATING, ratings)
    return evaluation_id
