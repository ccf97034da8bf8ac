"""Evaluation, slip credential, ballot, rating and the stored vote tally.

Anonymity lives in this schema (SPEC "Ballots"): a slip and a ballot share no key, no timestamp
and no order. Ballot keys are random; nothing on a slip or ballot records when it was used.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ballot.assessments.models import Assessment, Member
from ballot.db import Base


class Kind(StrEnum):
    """The two anonymous inputs: the meeting (A8.5, form 2) and the interviews (A8.6, form 3)."""

    DEMOCRATIC = "democratic"
    INTERVIEW = "interview"


class State(StrEnum):
    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"


class Rating(StrEnum):
    """The four ratings of A8.5/A8.6, in the order they appear on the form."""

    EXCELLENT = "excellent"
    COMPETENT = "competent"
    BASICALLY_COMPETENT = "basically_competent"
    INCOMPETENT = "incompetent"


RATING_VALUES = tuple(r.value for r in Rating)
KIND_VALUES = tuple(k.value for k in Kind)
STATE_VALUES = tuple(s.value for s in State)


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Evaluation(Base):
    """One anonymous vote over an assessment's roster: draft -> open -> closed."""

    __tablename__ = "evaluation"
    __table_args__ = (
        CheckConstraint(_in("kind", KIND_VALUES), name="kind_known"),
        CheckConstraint(_in("state", STATE_VALUES), name="state_known"),
        CheckConstraint("excellent_cap IS NULL OR excellent_cap >= 0", name="cap_not_negative"),
    )

    #: Surrogate key; the CLI names evaluations by it.
    id: Mapped[int] = mapped_column(primary_key=True)
    #: The assessment whose roster is rated.
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessment.id"), index=True)
    #: democratic (民主测评) or interview (个别谈话).
    kind: Mapped[str] = mapped_column(String(20))
    #: draft, open or closed; only open evaluations take ballots.
    state: Mapped[str] = mapped_column(String(10), default=State.DRAFT.value)
    #: Optional time (UTC) at which the evaluation closes by itself.
    closes_at: Mapped[dt.datetime | None] = mapped_column(DateTime, default=None)
    #: Optional cap on Excellent ratings per ballot (SPEC decision, default off).
    excellent_cap: Mapped[int | None] = mapped_column(Integer, default=None)
    #: Why it closed: team, time or all_slips_used.
    closed_reason: Mapped[str | None] = mapped_column(String(20), default=None)
    #: When it closed (UTC); about the evaluation, never about a ballot.
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTime, default=None)
    #: Ballots stored when it closed, and how many of them were invalid (paper, over the cap).
    ballots_cast: Mapped[int | None] = mapped_column(Integer, default=None)
    invalid_ballots: Mapped[int | None] = mapped_column(Integer, default=None)

    assessment: Mapped[Assessment] = relationship()
    tallies: Mapped[list[VoteTally]] = relationship(
        back_populates="evaluation", cascade="all, delete-orphan"
    )

    @property
    def members(self) -> list[Member]:
        return self.assessment.members


class Slip(Base):
    """One printed slip: the keyed hash of its credential and whether it has been used.

    There is deliberately no timestamp, no serial and no link to the ballot it produced.
    """

    __tablename__ = "slip"
    # Turnout and "is any slip left?" read this index only.
    __table_args__ = (Index("ix_slip_evaluation_id_spent", "evaluation_id", "spent"),)

    #: Surrogate key.
    id: Mapped[int] = mapped_column(primary_key=True)
    #: The evaluation this slip votes in.
    evaluation_id: Mapped[int] = mapped_column(ForeignKey("evaluation.id"))
    #: HMAC-SHA256 of the credential under the server's credential key; never the credential.
    credential_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: Set, once, by the statement that stores the ballot.
    spent: Mapped[bool] = mapped_column(Boolean, default=False)


#: On SQLite, ballots and ratings live in WITHOUT ROWID tables: rows are stored and returned in
#: the order of their random keys, and no rowid records the order of insertion.
NO_ROWID = {"sqlite_with_rowid": False}


class Ballot(Base):
    """A submitted ballot. Its key is random, so key order says nothing about cast order."""

    __tablename__ = "ballot"
    __table_args__ = NO_ROWID

    #: 128 random bits, hex.
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    #: The evaluation it was cast in.
    evaluation_id: Mapped[int] = mapped_column(ForeignKey("evaluation.id"), index=True)
    #: False for a paper ballot over the Excellent cap: kept, but counts for no member.
    valid: Mapped[bool] = mapped_column(Boolean, default=True)

    ratings: Mapped[list[BallotRating]] = relationship(
        back_populates="ballot", cascade="all, delete-orphan"
    )


class BallotRating(Base):
    """One rating on one ballot; a member left blank (abstain) has no row."""

    __tablename__ = "rating"
    __table_args__ = (CheckConstraint(_in("rating", RATING_VALUES), name="rating_known"), NO_ROWID)

    #: The ballot.
    ballot_id: Mapped[str] = mapped_column(
        ForeignKey("ballot.id", ondelete="CASCADE"), primary_key=True
    )
    #: The member rated.
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), primary_key=True)
    #: excellent, competent, basically_competent or incompetent.
    rating: Mapped[str] = mapped_column(String(20))

    ballot: Mapped[Ballot] = relationship(back_populates="ratings")


class VoteTally(Base):
    """A member's counts and vote score, written once when the evaluation closes (A8.5, A8.6)."""

    __tablename__ = "vote_tally"
    __table_args__ = (
        CheckConstraint(
            "excellent >= 0 AND competent >= 0 AND basically_competent >= 0 "
            "AND incompetent >= 0 AND abstained >= 0",
            name="counts_not_negative",
        ),
    )

    #: The closed evaluation.
    evaluation_id: Mapped[int] = mapped_column(ForeignKey("evaluation.id"), primary_key=True)
    #: The member.
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), primary_key=True)
    #: Ratings received, by kind.
    excellent: Mapped[int] = mapped_column(Integer)
    competent: Mapped[int] = mapped_column(Integer)
    basically_competent: Mapped[int] = mapped_column(Integer)
    incompetent: Mapped[int] = mapped_column(Integer)
    #: Valid ballots that left this member blank.
    abstained: Mapped[int] = mapped_column(Integer)
    #: The published vote score (2 decimals, half up); NULL when there were no valid votes.
    score: Mapped[str | None] = mapped_column(String(12), default=None)

    evaluation: Mapped[Evaluation] = relationship(back_populates="tallies")
    member: Mapped[Member] = relationship()

    @property
    def valid(self) -> int:
        return self.excellent + self.competent + self.basically_competent + self.incompetent
