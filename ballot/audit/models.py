"""Audit entries, chained by hash so that an edited or deleted row is detectable (A21), and
complaints and appeals tracked to a resolution (A22)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ballot.accounts.models import User
from ballot.assessments.models import Assessment
from ballot.clock import utcnow
from ballot.db import Base


class AuditEntry(Base):
    """One change: who, when, what, before and after. Never updated or deleted: the database
    refuses both (triggers), and each row carries the hash of the previous one."""

    __tablename__ = "audit_entry"

    #: Sequence number of the entry.
    id: Mapped[int] = mapped_column(primary_key=True)
    #: When (UTC).
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)
    #: The account that made the change; NULL for the system (e.g. closing at a set time).
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), default=None)
    #: The account's name at the time (kept even if the account is renamed).
    actor: Mapped[str] = mapped_column(String(60))
    #: What happened, e.g. "roster.import", "county_score.set", "evaluation.close".
    action: Mapped[str] = mapped_column(String(60), index=True)
    #: The assessment concerned, if any (for filtering).
    assessment_id: Mapped[int | None] = mapped_column(
        ForeignKey("assessment.id"), default=None, index=True
    )
    #: What was changed, e.g. "member:12", "county_score:武都区:2026".
    target: Mapped[str] = mapped_column(String(120), default="")
    #: JSON of the values before and after the change ("null" when created/removed).
    before: Mapped[str] = mapped_column(Text, default="null")
    after: Mapped[str] = mapped_column(Text, default="null")
    #: SHA-256 of the previous entry's hash and this entry's content.
    hash: Mapped[str] = mapped_column(String(64))

    user: Mapped[User | None] = relationship()


class Complaint(Base):
    """A complaint (检举) or appeal (申诉) about an assessment, tracked to a resolution (A22)."""

    __tablename__ = "complaint"
    __table_args__ = (
        CheckConstraint("kind IN ('complaint', 'appeal')", name="kind_known"),
        CheckConstraint("status IN ('open', 'investigating', 'resolved')", name="status_known"),
    )

    #: Surrogate key.
    id: Mapped[int] = mapped_column(primary_key=True)
    #: The assessment concerned.
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessment.id"), index=True)
    #: complaint (检举) or appeal (申诉).
    kind: Mapped[str] = mapped_column(String(20))
    #: Who raised it, as they gave it (may be anonymous: empty).
    raised_by: Mapped[str] = mapped_column(String(100), default="")
    #: What it says.
    summary: Mapped[str] = mapped_column(Text)
    #: open, investigating or resolved.
    status: Mapped[str] = mapped_column(String(20), default="open")
    #: The outcome, once resolved.
    resolution: Mapped[str | None] = mapped_column(Text, default=None)
    #: Who recorded it and when; who resolved it and when.
    recorded_by: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    resolved_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), default=None)
    resolved_at: Mapped[dt.datetime | None] = mapped_column(DateTime, default=None)
    #: Number of status changes so far (for optimistic checks in the views).
    version: Mapped[int] = mapped_column(Integer, default=0)

    assessment: Mapped[Assessment] = relationship()
