"""What people decide about results: decisions, approval steps, amendments, frozen snapshots."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ballot.accounts.models import User
from ballot.assessments.models import Member
from ballot.clock import utcnow
from ballot.db import Base

GRADES = ("excellent", "competent", "basically_competent", "incompetent")
_GRADE_OR_NULL = "grade IS NULL OR grade IN ('excellent', 'competent', 'basically_competent', 'incompetent')"


class Decision(Base):
    """A team decision the tally cannot make (A12 tie at the quota line, A14 veto, a missing input,
    A17 promotion mark), with its reason and author. The newest one per member and kind applies."""

    __tablename__ = "decision"
    __table_args__ = (
        CheckConstraint("kind IN ('tie', 'veto', 'missing_input', 'promotion')", name="kind_known"),
        CheckConstraint(_GRADE_OR_NULL, name="grade_known"),
        CheckConstraint("length(reason) > 0", name="reason_given"),
    )

    #: Surrogate key (also the order decisions were made in).
    id: Mapped[int] = mapped_column(primary_key=True)
    #: The assessment.
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessment.id"), index=True)
    #: The member decided about.
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"))
    #: tie, veto, missing_input or promotion (A17).
    kind: Mapped[str] = mapped_column(String(20))
    #: The grade decided (NULL for a promotion mark or a withdrawn veto).
    grade: Mapped[str | None] = mapped_column(String(24), default=None)
    #: For a veto: one of the nine A14 areas (tally.VetoArea) and the facts.
    veto_area: Mapped[str | None] = mapped_column(String(40), default=None)
    facts: Mapped[str | None] = mapped_column(Text, default=None)
    #: Why; required.
    reason: Mapped[str] = mapped_column(Text)
    #: Who decided, and when (UTC).
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    member: Mapped[Member] = relationship()
    user: Mapped[User] = relationship()


class ApprovalStep(Base):
    """One step of the A15 chain: the team proposes, three offices review (sign off or return),
    the leading group deliberates, the city Party committee approves."""

    __tablename__ = "approval_step"
    __table_args__ = (
        CheckConstraint(
            "action IN ('propose', 'sign_off', 'return', 'deliberate', 'approve')",
            name="action_known",
        ),
    )

    #: Surrogate key (the order of the trail).
    id: Mapped[int] = mapped_column(primary_key=True)
    #: The assessment.
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessment.id"), index=True)
    #: propose, sign_off, return, deliberate or approve.
    action: Mapped[str] = mapped_column(String(20))
    #: The office acted for (accounts.Office), NULL for the team's proposal.
    office: Mapped[str | None] = mapped_column(String(30), default=None)
    #: What was said.
    comment: Mapped[str] = mapped_column(Text, default="")
    #: The snapshot of results this step acted on.
    snapshot_id: Mapped[int | None] = mapped_column(ForeignKey("result_snapshot.id"), default=None)
    #: Who and when (UTC).
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    user: Mapped[User] = relationship()


class ResultSnapshot(Base):
    """The results exactly as proposed (or amended): tally output plus decisions, as JSON.
    Reviewers approve a snapshot, so the figures cannot move under them."""

    __tablename__ = "result_snapshot"

    #: Surrogate key.
    id: Mapped[int] = mapped_column(primary_key=True)
    #: The assessment.
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessment.id"), index=True)
    #: JSON: {"quota": ..., "members": [...]} as produced by results.services.
    payload: Mapped[str] = mapped_column(Text)
    #: When it was taken (UTC) and by whom.
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))


class Amendment(Base):
    """A correction after approval: never a silent edit, always a recorded change with a reason."""

    __tablename__ = "amendment"
    __table_args__ = (CheckConstraint("length(reason) > 0", name="reason_given"),)

    #: Surrogate key.
    id: Mapped[int] = mapped_column(primary_key=True)
    #: The assessment amended.
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessment.id"), index=True)
    #: The member whose result changed, if any.
    member_id: Mapped[int | None] = mapped_column(ForeignKey("member.id"), default=None)
    #: What changed, in words, and the before/after grade.
    description: Mapped[str] = mapped_column(Text)
    grade_before: Mapped[str | None] = mapped_column(String(24), default=None)
    grade_after: Mapped[str | None] = mapped_column(String(24), default=None)
    #: Why; required.
    reason: Mapped[str] = mapped_column(Text)
    #: The snapshot after the amendment.
    snapshot_id: Mapped[int | None] = mapped_column(ForeignKey("result_snapshot.id"), default=None)
    #: Who and when (UTC).
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    member: Mapped[Member | None] = relationship()
    user: Mapped[User] = relationship()
