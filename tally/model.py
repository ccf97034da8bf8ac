"""The input values: frozen dataclasses a caller (the CLI or the Flask app) builds and scores."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from tally.rules import DEFAULT_RULES, Rules


class Grade(StrEnum):
    """The four grades of A12."""

    EXCELLENT = "excellent"
    COMPETENT = "competent"
    BASICALLY_COMPETENT = "basically_competent"
    INCOMPETENT = "incompetent"


class VetoArea(StrEnum):
    """The nine areas in which A14 allows a one-vote veto (一票否决)."""

    WORK_SAFETY = "work_safety"
    ENVIRONMENTAL_PROTECTION = "environmental_protection"
    ENERGY_SAVING_EMISSION_REDUCTION = "energy_saving_emission_reduction"
    POPULATION_FAMILY_PLANNING = "population_family_planning"
    LAND_RESOURCES = "land_resources"
    PRODUCT_QUALITY = "product_quality"
    PUBLIC_SECURITY = "public_security"
    PARTY_CONDUCT_INTEGRITY = "party_conduct_integrity"
    SOCIAL_CONFLICTS_PETITIONS = "social_conflicts_petitions"


@dataclass(frozen=True)
class VoteCounts:
    """How many ratings of each kind one member received on one form (A8.5 form 2, A8.6 form 3).

    Only ratings actually given are counted: a ballot that leaves the member blank is not a
    valid vote for that member (SPEC Decision).
    """

    excellent: int
    competent: int
    basically_competent: int
    incompetent: int

    @property
    def valid(self) -> int:
        """Valid votes: every rating given, of any kind (the divisor of A8.5 and A8.6)."""
        return self.excellent + self.competent + self.basically_competent + self.incompetent


@dataclass(frozen=True)
class Veto:
    """An A14 one-vote veto: the area, the facts, and the team's proposed grade with its reason.

    The grade is None until the team has proposed one.
    """

    area: VetoArea
    facts: str
    grade: Grade | None = None
    reason: str | None = None


@dataclass(frozen=True)
class Ranking:
    """The county's place among `counties` by its P score last year and this year (A13)."""

    counties: int
    previous: int
    current: int


@dataclass(frozen=True)
class MemberInput:
    """One assessed member (A4): who they are, the heads' scores H and their two vote counts."""

    id: str
    name: str
    position: str = ""
    portfolio: str = ""
    H: tuple[Decimal, ...] = ()
    D: VoteCounts | None = None
    I: VoteCounts | None = None  # noqa: E741 - the component's name in SPEC
    veto: Veto | None = None
    previous_grade: Grade | None = None


@dataclass(frozen=True)
class AssessmentInput:
    """One county's assessment for one year: county scores P, T, L, the members, the quota inputs.

    `quota_ratio`, when given, is the team's own ratio and replaces the A13 computed one.
    """

    county: str
    year: int
    rules: Rules = DEFAULT_RULES
    P: Decimal | None = None
    T: Decimal | None = None
    L: tuple[Decimal, ...] = ()
    other_cadres_count: int = 0
    other_cadres_excellent: int = 0
    ranking: Ranking | None = None
    quota_ratio: Decimal | None = None
    members: tuple[MemberInput, ...] = field(default_factory=tuple)
    quota_reason: str | None = None
