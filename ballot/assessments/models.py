"""County, assessment (county + year) and assessed member (A4)."""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Enum,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ballot.db import Base


class Stage(StrEnum):
    """Where an assessment stands in the A15 approval chain."""

    #: The team sets up, collects the inputs and decides (also after a return).
    SETUP = "setup"
    #: Kept for old rows: proposing now sends the results straight to the three offices.
    PROPOSED = "proposed"
    #: The organization department, the supervision office and the poverty office review.
    REVIEW = "review"
    #: The city's poverty-alleviation leading group deliberates.
    DELIBERATION = "deliberation"
    #: The city's party committee approves.
    APPROVAL = "approval"
    #: Approved: the results are final (changes only by a recorded amendment).
    APPROVED = "approved"

    @property
    def inputs_open(self) -> bool:
        """Roster, P/T/L/H, settings and decisions change only at this stage (A15)."""
        return self is Stage.SETUP

    def may_move_to(self, stage: Stage) -> bool:
        """The legal moves of the A15 chain (``TRANSITIONS``)."""
        return stage in TRANSITIONS[self]


#: The A15 chain: the team proposes (setup -> review); the offices sign off (the last one's
#: sign-off moves it to deliberation) or return it; the leading group deliberates or returns;
#: the party committee approves or returns. A return always goes back to setup.
TRANSITIONS: dict[Stage, frozenset[Stage]] = {
    Stage.SETUP: frozenset({Stage.REVIEW}),
    Stage.PROPOSED: frozenset({Stage.REVIEW, Stage.SETUP}),
    Stage.REVIEW: frozenset({Stage.DELIBERATION, Stage.SETUP}),
    Stage.DELIBERATION: frozenset({Stage.APPROVAL, Stage.SETUP}),
    Stage.APPROVAL: frozenset({Stage.APPROVED, Stage.SETUP}),
    Stage.APPROVED: frozenset(),
}


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
        CheckConstraint(
            "other_cadres_count >= 0 AND other_cadres_excellent >= 0 "
            "AND other_cadres_excellent <= other_cadres_count",
            name="other_cadres_counts",
        ),
        CheckConstraint("decimals BETWEEN 0 AND 4", name="decimals_range"),
        CheckConstraint("anonymity_floor BETWEEN 3 AND 1000", name="anonymity_floor_range"),
        CheckConstraint(
            "stage IN ('setup', 'proposed', 'review', 'deliberation', 'approval', 'approved')",
            name="stage_known",
        ),
    )

    #: Surrogate key.
    id: Mapped[int] = mapped_column(primary_key=True)
    #: The county assessed.
    county_id: Mapped[int] = mapped_column(ForeignKey("county.id"), index=True)
    #: The assessment year (考核年度).
    year: Mapped[int] = mapped_column(Integer)
    #: Other assessed county-level cadres counted in the Excellent quota pool (A11.6).
    other_cadres_count: Mapped[int] = mapped_column(Integer, default=0)
    #: Excellent grades already given to those other cadres (A11.6, SPEC quota decision).
    other_cadres_excellent: Mapped[int] = mapped_column(Integer, default=0)
    #: The team's own Excellent ratio, e.g. "0.18" (A13 override, never above 0.20); NULL: computed.
    quota_ratio: Mapped[str | None] = mapped_column(String(12), default=None)
    #: Why the team set its own ratio (required with ``quota_ratio``).
    quota_reason: Mapped[str | None] = mapped_column(String(500), default=None)
    #: Default Excellent cap per ballot for new evaluations (SPEC decision); NULL: no cap.
    excellent_cap: Mapped[int | None] = mapped_column(Integer, default=None)
    #: Decimals of published figures (SPEC decision: 2).
    decimals: Mapped[int] = mapped_column(Integer, default=2)
    #: k of the anonymity floor: an evaluation with fewer valid ballots withholds its counts
    #: until the team decides to publish them (SPEC "anonymity floor"; never below 3).
    anonymity_floor: Mapped[int] = mapped_column(Integer, default=5)
    #: Once true, P/T/L/H and the roster no longer change (the team locked the inputs).
    inputs_locked: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Where the A15 approval chain stands: setup -> proposed -> review -> deliberation ->
    #: approval -> approved.
    stage: Mapped[Stage] = mapped_column(
        Enum(Stage, native_enum=False, create_constraint=False, length=20,
             values_callable=lambda stages: [s.value for s in stages]),
        default=Stage.SETUP)

    county: Mapped[County] = relationship(back_populates="assessments")
    members: Mapped[list[Member]] = relationship(
        back_populates="assessment", order_by="Member.order"
    )

    @property
    def title(self) -> str:
        return f"{self.county.name} {self.year}"

    @property
    def inputs_open(self) -> bool:
        """The roster, P/T/L/H, the settings and the evaluations change only while this holds:
        at the setup stage, before the team locks the inputs (A15 procedure)."""
        return not self.inputs_locked and self.stage.inputs_open


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
    #: Last year's grade, for A18 (filled from last year's approved assessment, or by the team).
    previous_grade: Mapped[str | None] = mapped_column(String(24), default=None)

    assessment: Mapped[Assessment] = relationship(back_populates="members")
