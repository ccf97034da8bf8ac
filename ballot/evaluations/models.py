"""Evaluation, slip credential, encrypted ballot and the stored vote tally.

Anonymity lives in this schema (SPEC "Ballots"): a slip and a ballot share no key, no timestamp
and no order; and since a database engine remembers which rows one transaction wrote, a ballot
holds ciphertext only: no rating is ever stored in clear (docs/secrecy.md).
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
    LargeBinary,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ballot.assessments.models import Assessment, Member
from ballot.clock import utcnow
from ballot.db import Base


class Kind(StrEnum):
    """The two anonymous inputs: the meeting (A8.5, form 2) and the interviews (A8.6, form 3)."""

    DEMOCRATIC = "democratic"
    INTERVIEW = "interview"


class State(StrEnum):
    """What the evaluation row says: draft -> open -> closed."""

    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"


class Phase(StrEnum):
    """What people see: the state, plus *closing* for an open evaluation past its closing time
    that the closer has not closed yet (seconds, ballot/evaluations/closer.py). Reading it
    writes nothing (STYLE habit 2)."""

    DRAFT = "draft"
    OPEN = "open"
    CLOSING = "closing"
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


def is_due(state: str, closes_at: dt.datetime | None, now: dt.datetime | None = None) -> bool:
    """The rule of ``Evaluation.is_due`` on bare values (the voting path reads a Core row)."""
    return state == State.OPEN and closes_at is not None and closes_at <= (now or utcnow())


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
    #: The box's public keys (4 per member, tally.box), made at open; the secret seed is in the
    #: key store (keystore.py) until close, then destroyed. Never in the database.
    box_keys: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    #: The box's header (canonical JSON, tally.box.make_header), fixed at open.
    box_header: Mapped[str | None] = mapped_column(Text, default=None)
    #: The box's result section (canonical JSON: sums, shares, proofs, tally), written at close.
    box_result: Mapped[str | None] = mapped_column(Text, default=None)
    #: SHA-256 of the published box file, hex; shown on results, projector, reports.
    box_digest: Mapped[str | None] = mapped_column(String(64), default=None)
    #: Random token of the public box link, once the team hands one out.
    box_public_token: Mapped[str | None] = mapped_column(String(43), unique=True, default=None)
    #: Fewer valid ballots than the assessment's anonymity floor: counts withheld until a
    #: recorded decision publishes them (SPEC "anonymity floor").
    counts_withheld: Mapped[bool] = mapped_column(Boolean, default=False)
    #: The decision that published withheld counts: who, why, when.
    counts_published_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id"), default=None)
    counts_published_reason: Mapped[str | None] = mapped_column(String(500), default=None)
    counts_published_at: Mapped[dt.datetime | None] = mapped_column(DateTime, default=None)

    assessment: Mapped[Assessment] = relationship()
    tallies: Mapped[list[VoteTally]] = relationship(
        back_populates="evaluation", cascade="all, delete-orphan"
    )

    @property
    def members(self) -> list[Member]:
        return self.assessment.members

    def is_due(self, now: dt.datetime | None = None) -> bool:
        """Open, and its closing time has passed: it takes no more ballots, and the closer (or
        the next POST) closes and tallies it."""
        return is_due(self.state, self.closes_at, now)

    def phase(self, now: dt.datetime | None = None) -> Phase:
        """The state as people see it (Phase): *closing* once due and not yet closed."""
        return Phase.CLOSING if self.is_due(now) else Phase(self.state)

    @property
    def accepts_ballots(self) -> bool:
        """Open and not past its closing time: a read-only check, for every page and the
        voting path alike."""
        return self.state == State.OPEN and not self.is_due()


class Slip(Base):
    """One printed slip: the keyed hash of its credential and whether it has been used.

    The hash is the key: there is deliberately no serial (a serial would follow the print
    sheet's row order), no timestamp and no link to the ballot it produced. A batch is inserted
    in a random order, so neither storage order nor any key names a slip's place on the sheet.
    """

    __tablename__ = "slip"
    # Turnout and "is any slip left?" read this index only.
    __table_args__ = (Index("ix_slip_evaluation_id_spent", "evaluation_id", "spent"),
                      {"sqlite_with_rowid": False})

    #: HMAC-SHA256 of the credential under the server's credential key; never the credential.
    credential_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    #: The evaluation this slip votes in.
    evaluation_id: Mapped[int] = mapped_column(ForeignKey("evaluation.id"))
    #: Set, once, by the statement that stores the ballot.
    spent: Mapped[bool] = mapped_column(Boolean, default=False)


#: On SQLite, ballots live in a WITHOUT ROWID table: rows are stored and returned in the order
#: of their random keys, and no rowid records the order of insertion.
NO_ROWID = {"sqlite_with_rowid": False}


class Ballot(Base):
    """A submitted ballot: ciphertext only (SPEC "Ballots"). Its key is random.

    The ratings are never stored in clear: ``ciphertext`` is the ballot encrypted under the
    evaluation's public keys (``tally.box``), and only sums are ever decrypted.
    """

    __tablename__ = "ballot"
    __table_args__ = (
        CheckConstraint("valid = (ciphertext IS NOT NULL)", name="valid_has_ciphertext"),
        Index("ix_ballot_evaluation_id_tracker", "evaluation_id", "tracker"),
        NO_ROWID,
    )

    #: 128 random bits, hex.
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    #: The evaluation it was cast in.
    evaluation_id: Mapped[int] = mapped_column(ForeignKey("evaluation.id"))
    #: False for a paper ballot over the Excellent cap: counted as invalid, holds no ratings.
    valid: Mapped[bool] = mapped_column(Boolean, default=True)
    #: A || B_0 .. B_{4m-1}: 65-byte points (docs/box-format.md); NULL for an invalid ballot.
    ciphertext: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    #: The voter's tracker, ``tally.box.tracker(ciphertext)``: shows inclusion, nothing else.
    tracker: Mapped[str | None] = mapped_column(String(11), default=None)


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
