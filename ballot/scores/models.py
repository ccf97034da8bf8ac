"""County scores (P, T) and the signed score sheets of city leaders (L) and county heads (H).

Scores are stored as decimal strings (at most 2 decimals, 0-100) and parsed with Decimal.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ballot.assessments.models import Assessment, County, Member
from ballot.db import Base


class CountyScore(Base):
    """A county's P (实绩考核, A8.1, poverty office) and T (目标管理, A8.2, supervision office)."""

    __tablename__ = "county_score"
    __table_args__ = (UniqueConstraint("county_id", "year"),)

    #: Surrogate key.
    id: Mapped[int] = mapped_column(primary_key=True)
    #: The county.
    county_id: Mapped[int] = mapped_column(ForeignKey("county.id"), index=True)
    #: The year the scores are for.
    year: Mapped[int] = mapped_column(Integer)
    #: P, 0-100 with at most 2 decimals; NULL until supplied. Also ranks the counties (A13).
    performance: Mapped[str | None] = mapped_column(String(12), default=None)
    #: T, 0-100 with at most 2 decimals; NULL until supplied.
    target: Mapped[str | None] = mapped_column(String(12), default=None)

    county: Mapped[County] = relationship()


class Scorer(Base):
    """A named scorer of one assessment: a city leader (form 4) or one of the county's heads
    (form 5). Their sheet is signed, not anonymous (A8.3, A8.4)."""

    __tablename__ = "scorer"
    __table_args__ = (
        CheckConstraint("kind IN ('city_leader', 'county_head')", name="kind_known"),
        CheckConstraint("source IN ('link', 'paper')", name="source_known"),
    )

    #: Surrogate key.
    id: Mapped[int] = mapped_column(primary_key=True)
    #: The assessment scored.
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessment.id"), index=True)
    #: city_leader (scores the county, L) or county_head (scores each member, H).
    kind: Mapped[str] = mapped_column(String(20))
    #: The scorer's name and title, e.g. 张三, 市委常委.
    name: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(80), default="")
    #: HMAC of the personal link's token (like slips, the token exists in clear only when made).
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True, default=None)
    #: An account that may also open this sheet after signing in (role scorer).
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), default=None)
    #: Name typed as signature when the sheet was submitted; NULL while not submitted.
    signed_name: Mapped[str | None] = mapped_column(String(40), default=None)
    #: When the sheet was last submitted (UTC).
    signed_at: Mapped[dt.datetime | None] = mapped_column(DateTime, default=None)
    #: link (filled by the scorer) or paper (entered by the team from a paper sheet).
    source: Mapped[str] = mapped_column(String(10), default="link")
    #: A sheet can be withdrawn by the team (e.g. added by mistake); it then counts for nothing.
    withdrawn: Mapped[bool] = mapped_column(Boolean, default=False)

    assessment: Mapped[Assessment] = relationship()
    member_scores: Mapped[list[MemberScore]] = relationship(
        back_populates="scorer", cascade="all, delete-orphan"
    )


class CountyLeaderScore(Base):
    """A city leader's score of the county (form 4, L)."""

    __tablename__ = "leader_score"

    #: The scorer (kind city_leader).
    scorer_id: Mapped[int] = mapped_column(
        ForeignKey("scorer.id", ondelete="CASCADE"), primary_key=True
    )
    #: 0-100, at most 2 decimals.
    score: Mapped[str] = mapped_column(String(12))


class MemberScore(Base):
    """A county head's score of one member (form 5, H)."""

    __tablename__ = "member_score"

    #: The scorer (kind county_head).
    scorer_id: Mapped[int] = mapped_column(
        ForeignKey("scorer.id", ondelete="CASCADE"), primary_key=True
    )
    #: The member scored.
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), primary_key=True)
    #: 0-100, at most 2 decimals.
    score: Mapped[str] = mapped_column(String(12))

    scorer: Mapped[Scorer] = relationship(back_populates="member_scores")
    member: Mapped[Member] = relationship()
