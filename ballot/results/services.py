"""From the database to form 6 (量化评分表): gather the six inputs, score them with ``tally/``,
apply the team's recorded decisions. Views and reports only ever show what this returns.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction

from sqlalchemy import select
from sqlalchemy.orm import Session

from ballot.assessments.models import Assessment, Member
from ballot.evaluations.models import Evaluation, Kind, State, VoteTally
from ballot.results.models import Decision
from ballot.scores.models import CountyLeaderScore, CountyScore, MemberScore, Scorer
from tally import (
    AssessmentInput,
    AssessmentResult,
    Grade,
    MemberInput,
    MemberResult,
    Ranking,
    Rules,
    Veto,
    VetoArea,
    VoteCounts,
    publish,
    score_assessment,
)

COMPONENTS = ("P", "T", "L", "H", "D", "I")


@dataclass(frozen=True)
class MemberRow:
    """One line of form 6: the member, the tally's result, the decisions that apply, the grade."""

    member: Member
    result: MemberResult
    #: Each component times its weight, published (A9), None where missing.
    weighted: dict[str, Decimal | None]
    #: The effective decisions by kind (tie, veto, missing_input, promotion).
    decisions: dict[str, Decision]
    #: The grade after the team's decisions; None while the team still has to decide.
    grade: str | None
    #: The tally's flags plus the decision marks (decided, promotion_candidate).
    flags: tuple[str, ...]

    @property
    def needs_decision(self) -> bool:
        return self.grade is None


@dataclass(frozen=True)
class Summary:
    assessment: Assessment
    result: AssessmentResult
    rows: list[MemberRow]
    ranking: Ranking | None
    #: Inputs still missing for the assessment as a whole, e.g. ["P", "L"].
    missing: list[str] = field(default_factory=list)

    @property
    def undecided(self) -> list[MemberRow]:
        return [r for r in self.rows if r.needs_decision]

    @property
    def excellent_count(self) -> int:
        return sum(1 for r in self.rows if r.grade == Grade.EXCELLENT)


def rules_for(assessment: Assessment) -> Rules:
    """The assessment's rules: SPEC defaults with its own decimals."""
    return Rules(decimals=assessment.decimals)


def competition_rank(scores: dict[int, Decimal], county_id: int) -> int | None:
    """The county's place by score, equal scores sharing a place (1, 1, 3); None if unscored."""
    if county_id not in scores:
        return None
    mine = scores[county_id]
    return 1 + sum(1 for value in scores.values() if value > mine)


def ranking_for(session: Session, county_id: int, year: int) -> Ranking | None:
    """A13: the county's place among the city's counties by P this year and last year.

    None unless the county has P in both years; ``counties`` is the number ranked this year.
    """
    def scores(of_year: int) -> dict[int, Decimal]:
        rows = session.execute(
            select(CountyScore.county_id, CountyScore.performance).where(
                CountyScore.year == of_year, CountyScore.performance.is_not(None)
            )
        )
        return {county: Decimal(value) for county, value in rows}

    current, previous = scores(year), scores(year - 1)
    now, before = competition_rank(current, county_id), competition_rank(previous, county_id)
    if now is None or before is None:
        return None
    counties = len(current)
    return Ranking(counties=counties, previous=min(before, counties), current=now)


def effective_decisions(session: Session, assessment: Assessment) -> dict[int, dict[str, Decision]]:
    """The newest decision per member and kind (older ones stay on record)."""
    latest: dict[int, dict[str, Decision]] = defaultdict(dict)
    for decision in session.scalars(
        select(Decision).where(Decision.assessment_id == assessment.id).order_by(Decision.id)
    ):
        latest[decision.member_id][decision.kind] = decision
    return latest


def _votes(session: Session, assessment: Assessment, kind: Kind) -> dict[int, VoteCounts]:
    """Counts per member summed over the closed evaluations of one kind (A8.5 / A8.6)."""
    totals: dict[int, list[int]] = {}
    rows = session.scalars(
        select(VoteTally)
        .join(Evaluation, Evaluation.id == VoteTally.evaluation_id)
        .where(Evaluation.assessment_id == assessment.id, Evaluation.kind == kind.value,
               Evaluation.state == State.CLOSED.value)
    )
    for tally_row in rows:
        counts = totals.setdefault(tally_row.member_id, [0, 0, 0, 0])
        counts[0] += tally_row.excellent
        counts[1] += tally_row.competent
        counts[2] += tally_row.basically_competent
        counts[3] += tally_row.incompetent
    return {member_id: VoteCounts(*counts) for member_id, counts in totals.items()}


def _submitted(kind: str):  # type: ignore[no-untyped-def]
    return (Scorer.kind == kind, Scorer.signed_at.is_not(None), Scorer.withdrawn.is_(False))


def build_input(session: Session, assessment: Assessment) -> AssessmentInput:
    """Every input of the assessment as the tally's input (ids are member ids as strings)."""
    county_score = session.scalar(
        select(CountyScore).where(
            CountyScore.county_id == assessment.county_id, CountyScore.year == assessment.year
        )
    )
    leader_scores = tuple(
        Decimal(score) for score in session.scalars(
            select(CountyLeaderScore.score)
            .join(Scorer, Scorer.id == CountyLeaderScore.scorer_id)
            .where(Scorer.assessment_id == assessment.id, *_submitted("city_leader"))
            .order_by(Scorer.id)
        )
    )
    head_scores: dict[int, list[Decimal]] = defaultdict(list)
    for member_id, score in session.execute(
        select(MemberScore.member_id, MemberScore.score)
        .join(Scorer, Scorer.id == MemberScore.scorer_id)
        .where(Scorer.assessment_id == assessment.id, *_submitted("county_head"))
        .order_by(Scorer.id)
    ):
        head_scores[member_id].append(Decimal(score))
    democratic = _votes(session, assessment, Kind.DEMOCRATIC)
    interview = _votes(session, assessment, Kind.INTERVIEW)
    decisions = effective_decisions(session, assessment)
    members = []
    for member in assessment.members:
        veto_decision = decisions.get(member.id, {}).get("veto")
        veto = None
        if veto_decision is not None and veto_decision.veto_area:
            veto = Veto(
                area=VetoArea(veto_decision.veto_area),
                facts=veto_decision.facts or "",
                grade=Grade(veto_decision.grade) if veto_decision.grade else None,
                reason=veto_decision.reason,
            )
        members.append(MemberInput(
            id=str(member.id),
            name=member.name,
            position=member.position,
            portfolio=member.portfolio,
            H=tuple(head_scores.get(member.id, ())),
            D=democratic.get(member.id),
            I=interview.get(member.id),
            veto=veto,
            previous_grade=Grade(member.previous_grade) if member.previous_grade else None,
        ))
    return AssessmentInput(
        county=assessment.county.name,
        year=assessment.year,
        rules=rules_for(assessment),
        P=Decimal(county_score.performance) if county_score and county_score.performance else None,
        T=Decimal(county_score.target) if county_score and county_score.target else None,
        L=leader_scores,
        other_cadres_count=assessment.other_cadres_count,
        other_cadres_excellent=assessment.other_cadres_excellent,
        ranking=ranking_for(session, assessment.county_id, assessment.year),
        quota_ratio=Decimal(assessment.quota_ratio) if assessment.quota_ratio else None,
        quota_reason=assessment.quota_reason,
        members=tuple(members),
    )


def summarize(session: Session, assessment: Assessment) -> Summary:
    """Form 6 for the assessment as it stands: the tally's result with the team's decisions."""
    data = build_input(session, assessment)
    result = score_assessment(data)
    decisions = effective_decisions(session, assessment)
    weights = data.rules.weights
    by_id = {str(m.id): m for m in assessment.members}
    rows = []
    for member_result in result.members:
        member = by_id[member_result.id]
        mine = decisions.get(member.id, {})
        weighted = {}
        for name in COMPONENTS:
            exact = member_result.exact.get(name)
            weighted[name] = None if exact is None else publish(
                exact * Fraction(getattr(weights, name)), data.rules)
        grade: str | None = member_result.grade.value if member_result.grade else None
        flags = list(member_result.flags)
        for kind in ("tie", "missing_input"):
            if grade is None and kind in mine and mine[kind].grade:
                grade = mine[kind].grade
                flags.append("decided")
        if "promotion" in mine:
            flags.append("promotion_candidate")
        rows.append(MemberRow(member, member_result, weighted, mine, grade, tuple(flags)))
    missing = []
    if data.P is None:
        missing.append("P")
    if data.T is None:
        missing.append("T")
    if not data.L:
        missing.append("L")
    return Summary(assessment, result, rows, data.ranking, missing)
