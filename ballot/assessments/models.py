"""County, assessment (county + year) and assessed member (A4)."""

from __future__ import annotations

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ballot.db import Base


class County(Base):
    """One of the city's counties or districts (县/区)."""

    __tablename__ = "county"

    #: Surrogate key.
    id: Mapped[int] = mapped_column(primary_key=True)
    #: Name as printed on forms, e.g. 武都区; unique in the city.
    name: Mapped[str] = mapped_column(String(60), unique=True)

    assessments: Mapped[list[Assessment]] = relationship(back_populates="county")


class Assessment(Base):
    """One county's annual assessment: holds the roster, the inputs and the results."""

    __tablename__ = "assessment"
    __table_args__ = (
        UniqueConstraint("county_id", "year", name="county_year"),
        CheckConstraint("year BETWEEN 2000 AND 2100", name="year_range"),
    )

    #: Surrogate key.
    id: Mapped[int] = mapped_column(primary_key=True)
    #: The county assessed.
    county_id: Mapped[int] = mapped_column(ForeignKey("county.id"), index=True)
    #: The assessment year (考核年度).
    year: Mapped[int] = mapped_column(Integer)

    county: Mapped[County] = relationship(back_populates="assessments")
    members: Mapped[list[Member]] = relationship(
        back_populates="assessment", order_by="Member.order"
    )

    @property
    def title(self) -> str:
        return f"{self.county.name} {self.year}"


class Member(Base):
    """An assessed member of the county's leadership team other than the two heads (A4)."""

    __tablename__ = "member"
    __table_args__ = (
        UniqueConstraint("assessment_id", "order", name="display_order"),
        CheckConstraint('"order" >= 1', name="order_positive"),
    )

    #: Surrogate key.
    id: Mapped[int] = mapped_column(primary_key=True)
    #: The assessment whose roster lists this member.
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessment.id"), index=True)
    #: Full name (姓名).
    name: Mapped[str] = mapped_column(String(40))
    #: Position (职务), e.g. 副县长.
    position: Mapped[str] = mapped_column(String(80))
    #: Portfolio (分管工作).
    portfolio: Mapped[str] = mapped_column(String(200), default="")
    #: Display order on ballots and forms (排序), from 1.
    order: Mapped[int] = mapped_column("order", Integer)

    assessment: Mapped[Assessment] = relationship(back_populates="members")
