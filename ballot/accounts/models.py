"""Accounts with one role each, optionally limited to some counties; sign-in attempts."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import Boolean, CheckConstraint, DateTime, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ballot.assessments.models import County
from ballot.clock import utcnow
from ballot.db import Base


class Role(StrEnum):
    ADMIN = "admin"
    TEAM = "team"  # 考核组
    SCORER = "scorer"  # a city leader or county head who fills a score sheet
    REVIEWER = "reviewer"  # A15 offices, leading group, city Party committee
    OBSERVER = "observer"  # discipline inspection: read-only, sees the audit log


class Office(StrEnum):
    """Who a reviewer signs for in the A15 chain."""

    ORGANIZATION = "organization"  # 市委组织部
    SUPERVISION = "supervision"  # 市督考办
    POVERTY = "poverty"  # 市扶贫办
    LEADING_GROUP = "leading_group"  # 市扶贫攻坚行动协调推进领导小组
    PARTY_COMMITTEE = "party_committee"  # 市委


#: The three offices that review the team's proposal (A15).
REVIEW_OFFICES = (Office.ORGANIZATION, Office.SUPERVISION, Office.POVERTY)


class User(Base):
    """A named account. Passwords are stored only as salted hashes."""

    __tablename__ = "user_account"
    __table_args__ = (
        CheckConstraint(
            "role IN ('admin', 'team', 'scorer', 'reviewer', 'observer')", name="role_known"
        ),
        CheckConstraint("role = 'reviewer' OR office IS NULL", name="office_only_for_reviewers"),
        CheckConstraint("role != 'reviewer' OR office IS NOT NULL", name="reviewer_has_office"),
    )

    #: Surrogate key.
    id: Mapped[int] = mapped_column(primary_key=True)
    #: Sign-in name, unique, lower case.
    username: Mapped[str] = mapped_column(String(60), unique=True)
    #: Name shown in the audit log and on approvals.
    display_name: Mapped[str] = mapped_column(String(60))
    #: werkzeug password hash (scrypt), never the password.
    password_hash: Mapped[str] = mapped_column(String(255))
    #: One of Role.
    role: Mapped[str] = mapped_column(String(20))
    #: For reviewers, the office they sign for (Office).
    office: Mapped[str | None] = mapped_column(String(30), default=None)
    #: A disabled account cannot sign in.
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    #: When the account was made (UTC).
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    counties: Mapped[list[County]] = relationship(secondary="user_county")


class UserCounty(Base):
    """Limits a team, scorer or reviewer account to some counties; none listed means all."""

    __tablename__ = "user_county"

    #: The account.
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True
    )
    #: A county it may act on.
    county_id: Mapped[int] = mapped_column(ForeignKey("county.id"), primary_key=True)


class LoginAttempt(Base):
    """A failed sign-in, kept for rate limiting (per name and per address)."""

    __tablename__ = "login_attempt"

    #: Surrogate key.
    id: Mapped[int] = mapped_column(primary_key=True)
    #: The name that was tried, lower case.
    username: Mapped[str] = mapped_column(String(60), index=True)
    #: The client address it came from.
    address: Mapped[str] = mapped_column(String(64), index=True)
    #: When (UTC).
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)
