"""From the database to form 6 (量化评分表): gather the six inputs, score them with ``tally/``,
apply the team's recorded decisions. Views and reports only ever show what this returns.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field, replace
from decimal import Decimal
from fractions import Fraction
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from ballot.accounts.models import User
from ballot.assessments.models import Assessment, County, Member, Stage
from ballot.assessments.ranking import ranking_for
from ballot.assessments.services import LockedError, ensure_decisions_open, ensure_inputs_open
from ballot.audit.services import record
from ballot.errors import Refusal
from ballot.evaluations.floor import withheld_kinds
from ballot.evaluations.models import Evaluation, Kind, State, VoteTally
from ballot.results.models import GRADES, Decision, ResultSnapshot
from ballot.scores.models import CountyLeaderScore, CountyScore, MemberScore, Scorer
from tally import (
    COMPONENTS,
    DECISION_KINDS,
    AssessmentInput,
    AssessmentResult,
    Grade,
    MemberInput,
    MemberResult,
    Ranking,
    Rules,
    TeamDecision,
    VoteCounts,
    admit_decision,
    apply_decisions,
    member_veto,
    publish,
    score_assessment,
)
from tally import PROMOTION_BASES as PROMOTION_BASES  # for ballot.results.views
from tally import Refusal as Inadmissible  # why tally.admit_decision refuses a decision

#: Flag of an amended grade, added here on top of the tally's and those of ``tally.decisions``
#: (ballot/results/labels.py names them all).
AMENDED = "amended"
#: The component's counts are withheld below the anonymity floor (SPEC "Ballots"); replaces the
#: tally's missing_D / missing_I for every member.
WITHHELD = {"D": "withheld_D", "I": "withheld_I"}
#: Version of the snapshot JSON (see snapshot_payload).
PAYLOAD_VERSION = 1


class DecisionError(Refusal):
    """A decision (or a last-year grade) refused: the message says which field and why;
    nothing was recorded. The page answers 400, as for any bad input it re-shows."""

    status = 400


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


def effective_decisions(session: Session, assessment: Assessment) -> dict[int, dict[str, Decision]]:
    """The newest decision per member and kind (older ones stay on record)."""
    latest: dict[int, dict[str, Decision]] = defaultdict(dict)
    for decision in session.scalars(
        select(Decision).where(Decision.assessment_id == assessment.id).order_by(Decision.id)
    ):
        latest[decision.member_id][decision.kind] = decision
    return latest


def _team_decisions(mine: dict[str, Decision]) -> dict[str, TeamDecision]:
    """A member's decisions by kind as ``tally.decisions`` reads them."""
    return {kind: TeamDecision(kind=decision.kind,
                               grade=Grade(decision.grade) if decision.grade else None,
                               veto_area=decision.veto_area, facts=decision.facts,
                               reason=decision.reason)
            for kind, decision in mine.items()}


def _votes(session: Session, assessment: Assessment, kind: Kind) -> dict[int, VoteCounts]:
    """Counts per member summed over the closed evaluations of one kind (A8.5 / A8.6).

    None at all while one of them is withheld below the anonymity floor (SPEC "Ballots",
    ``ballot.evaluations.floor``): the component is then missing for every member, never 0,
    and never the sum of the other evaluations (that would change D silently, and give the
    withheld one away by subtraction from an evaluation's own published counts).
    """
    if kind.value in withheld_kinds(session, assessment):
        return {}
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


def _submitted(kind: str) -> tuple[ColumnElement[bool], ...]:
    """A scorer of ``kind`` whose sheet counts: signed and not withdrawn (A8.3, A8.4)."""
    return (Scorer.kind == kind, Scorer.signed_at.is_not(None), Scorer.withdrawn.is_(False))


def build_input(
    session: Session,
    assessment: Assessment,
    decisions: dict[int, dict[str, Decision]] | None = None,
) -> AssessmentInput:
    """Every input of the assessment as the tally's input (ids are member ids as strings);
    ``decisions`` (default: the recorded ones) supplies the A14 vetoes."""
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
    if decisions is None:
        decisions = effective_decisions(session, assessment)
    members = []
    for member in assessment.members:
        veto = member_veto(_team_decisions(decisions.get(member.id, {})))
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
        ranking=ranking_for(session, assessment.county_id, assessment.year, rules_for(assessment)),
        quota_ratio=Decimal(assessment.quota_ratio) if assessment.quota_ratio else None,
        quota_reason=assessment.quota_reason,
        members=tuple(members),
    )


def summarize(
    session: Session,
    assessment: Assessment,
    decisions: dict[int, dict[str, Decision]] | None = None,
) -> Summary:
    """Form 6 for the assessment as it stands: the tally's result with the team's decisions
    (``decisions`` overrides the recorded ones, to try a decision before recording it).

    A component whose counts are withheld below the anonymity floor (SPEC "Ballots") is a
    missing input: no figure, and the flag withheld_D / withheld_I ("票数暂不公开") in place
    of missing_D / missing_I, so the team sees why and can publish the counts or decide.
    """
    if decisions is None:
        decisions = effective_decisions(session, assessment)
    withheld = _withheld_components(session, assessment)
    return _summary(assessment, build_input(session, assessment, decisions), decisions, withheld)


def _withheld_components(session: Session, assessment: Assessment) -> set[str]:
    """D and/or I, where the counts are withheld below the anonymity floor (SPEC "Ballots")."""
    kinds = withheld_kinds(session, assessment)
    return {name for name, kind in (("D", Kind.DEMOCRATIC), ("I", Kind.INTERVIEW))
            if kind.value in kinds}


def _summary(
    assessment: Assessment,
    data: AssessmentInput,
    decisions: dict[int, dict[str, Decision]],
    withheld: set[str],
) -> Summary:
    """Form 6 from the gathered input: the tally's result, then the team's ``decisions``
    (``tally.apply_decisions``), the ``withheld`` components flagged as such."""
    result = score_assessment(data)
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
        decided, flags = apply_decisions(
            member_result, _team_decisions(mine),
            Grade(member.previous_grade) if member.previous_grade else None,
            data.ranking, data.rules)
        grade = decided.value if decided else None
        flags = tuple(WITHHELD[f[-1]] if f in ("missing_D", "missing_I") and f[-1] in withheld
                      else f for f in flags)
        rows.append(MemberRow(member, member_result, weighted, mine, grade, flags))
    missing = []
    if data.P is None:
        missing.append("P")
    if data.T is None:
        missing.append("T")
    if not data.L:
        missing.append("L")
    return Summary(assessment, result, rows, data.ranking, missing)


def decision_history(session: Session, assessment: Assessment) -> dict[int, list[Decision]]:
    """Every decision per member, newest first (the first of each kind is the one that applies)."""
    history: dict[int, list[Decision]] = defaultdict(list)
    for decision in session.scalars(
        select(Decision).where(Decision.assessment_id == assessment.id)
        .order_by(Decision.id.desc())
    ):
        history[decision.member_id].append(decision)
    return history


def _decision_dict(decision: Decision | None) -> dict[str, Any] | None:
    if decision is None:
        return None
    return {
        "id": decision.id, "kind": decision.kind, "grade": decision.grade,
        "veto_area": decision.veto_area, "facts": decision.facts, "reason": decision.reason,
        "by": decision.user.display_name if decision.user else None,
        "at": decision.at.isoformat(timespec="seconds") if decision.at else None,
    }


def _clean(text: str | None) -> str:
    return (text or "").strip()


def _with_vetoes(data: AssessmentInput, decisions: dict[int, dict[str, Decision]]
                 ) -> AssessmentInput:
    """``data`` with the A14 vetoes ``decisions`` record (the only decisions the tally reads)."""
    return replace(data, members=tuple(
        replace(m, veto=member_veto(_team_decisions(decisions.get(int(m.id), {}))))
        for m in data.members))


def _refusal_message(refusal: Inadmissible, name: str, area: str | None, basis: str | None
                     ) -> object:
    """What the team reads when ``tally.admit_decision`` refuses a decision for ``name``."""
    match refusal:
        case Inadmissible.NOT_TIED:
            return _l("%(name)s 没有处在优秀名额线上的同分并列，无需并列决定。", name=name)
        case Inadmissible.TIE_GRADE:
            return _l("等次：名额线上同分的 %(name)s 只能定为优秀或称职。", name=name)
        case Inadmissible.NOT_MISSING:
            return _l("%(name)s 的综合得分已算出，不缺少录入，无需此项决定。", name=name)
        case Inadmissible.GRADE_NEEDED:
            return _l("等次：请为 %(name)s 选择等次。", name=name)
        case Inadmissible.NO_VETO:
            return _l("否决领域：%(name)s 没有一票否决可撤销；登记否决请选择领域。", name=name)
        case Inadmissible.VETO_AREA:
            return _l("否决领域：无效的领域 %(area)s。", area=area)
        case Inadmissible.VETO_FACTS:
            return _l("事实：请写明 %(name)s 被一票否决的事实。", name=name)
        case Inadmissible.VETO_GRADE:
            return _l("等次：请为被一票否决的 %(name)s 提出等次。", name=name)
        case Inadmissible.PROMOTION_BASIS:
            return _l("提拔依据：无效的依据 %(basis)s。", basis=basis)
        case Inadmissible.NOT_MARKED:
            return _l("%(name)s 没有被标记为提拔使用人选，无可撤销。", name=name)


def record_decision(
    session: Session,
    assessment: Assessment,
    member_id: int,
    kind: str,
    *,
    actor: User,
    reason: str,
    grade: str | None = None,
    veto_area: str | None = None,
    facts: str | None = None,
) -> Decision:
    """Record what the tally cannot decide (A12 tie at the quota line, A14 veto with area, facts
    and proposed grade, a missing input, the A17 promotion mark), audited with before/after.

    Refused (DecisionError, nothing written) without a reason, for a member the kind does not
    apply to, or when the grade would give Excellent beyond the available quota (A11.6, A12);
    refused with LockedError once the results are in the A15 chain.
    """
    try:
        ensure_decisions_open(assessment)
    except LockedError as error:
        raise LockedError(_l("结果已进入审批流程，不能再修改决定；审定后的更正请登记为更正记录。")
                          if assessment.stage == Stage.APPROVED else
                          _l("结果已提交审批，不能再修改决定；须退回后才能修改。")) from error
    member = session.get(Member, member_id)
    if member is None or member.assessment_id != assessment.id:
        raise DecisionError(_l("成员：本次考核中没有编号为 %(id)s 的成员。", id=member_id))
    if kind not in DECISION_KINDS:
        raise DecisionError(_l("决定类型：无效的类型 %(kind)s。", kind=kind))
    reason, facts, grade = _clean(reason), _clean(facts) or None, _clean(grade) or None
    veto_area = _clean(veto_area) or None
    if not reason:
        raise DecisionError(_l("理由：%(name)s 的决定必须写明理由。", name=member.name))
    if len(reason) > 2000 or (facts and len(facts) > 2000):
        raise DecisionError(_l("理由和事实：每项最多 2000 字。"))
    if grade is not None and grade not in GRADES:
        raise DecisionError(_l("等次：无效的等次 %(grade)s。", grade=grade))
    decisions = effective_decisions(session, assessment)
    data = build_input(session, assessment, decisions)
    withheld = _withheld_components(session, assessment)
    row = next(r for r in _summary(assessment, data, decisions, withheld).rows
               if r.member.id == member.id)
    admitted = admit_decision(
        TeamDecision(kind=kind, grade=Grade(grade) if grade else None, veto_area=veto_area,
                     facts=facts, reason=reason),
        row.result, _team_decisions(row.decisions))
    if isinstance(admitted, Inadmissible):
        raise DecisionError(_refusal_message(admitted, member.name, veto_area, facts))
    grade = admitted.grade.value if admitted.grade else None
    decision = Decision(assessment_id=assessment.id, member_id=member.id, kind=kind, grade=grade,
                        veto_area=admitted.veto_area, facts=admitted.facts, reason=reason,
                        user_id=actor.id)
    decision.user = actor
    # Form 6 as it will be with the decision, from the same input: recording it changes only
    # the decisions, and of them only a veto is the tally's input.
    trial = {m: dict(kinds) for m, kinds in decisions.items()}
    trial.setdefault(member.id, {})[kind] = decision
    tried = _summary(assessment, _with_vetoes(data, trial), trial, withheld)
    if grade == "excellent":
        available = tried.result.quota.available
        if tried.excellent_count > available:
            others = tried.excellent_count - 1
            raise DecisionError(_l(
                "等次：优秀名额不足，不能把 %(name)s 定为优秀。可用名额 %(available)s 个，"
                "其他成员已占 %(taken)s 个。",
                name=member.name, available=available, taken=others))
    before = {"decision": _decision_dict(row.decisions.get(kind)), "grade": row.grade}
    session.add(decision)
    session.flush()
    after_row = next(r for r in tried.rows if r.member.id == member.id)
    record(session, "decision.record", actor=actor, assessment_id=assessment.id,
           target=f"member:{member.id}", before=before,
           after={"decision": _decision_dict(decision), "grade": after_row.grade})
    return decision


def _figure(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def snapshot_payload(summary: Summary, amendments: list[dict[str, Any]] | None = None
                     ) -> dict[str, Any]:
    """Form 6 as JSON-ready data (figures as decimal strings), the shape kept in ResultSnapshot:
    quota, ranking, missing inputs, and per member the six components with weighted values,
    composite, rank, band, grade, flags, effective decisions."""
    assessment, quota = summary.assessment, summary.result.quota
    members = []
    for row in summary.rows:
        result, member = row.result, row.member
        members.append({
            "id": member.id, "order": member.order, "name": member.name,
            "position": member.position, "portfolio": member.portfolio,
            "components": {name: {"score": _figure(result.published.get(name)),
                                  "weighted": _figure(row.weighted[name])}
                           for name in COMPONENTS},
            "composite": _figure(result.composite), "rank": result.rank,
            "band": result.band.value if result.band else None,
            "grade": row.grade, "flags": list(row.flags),
            "previous_grade": member.previous_grade,
            "decisions": [_decision_dict(d) for _kind, d in sorted(row.decisions.items())],
        })
    ranking = summary.ranking
    return {
        "version": PAYLOAD_VERSION,
        "assessment": {"id": assessment.id, "county_id": assessment.county_id,
                       "county": assessment.county.name, "year": assessment.year,
                       "decimals": assessment.decimals},
        "quota": {"ratio": str(quota.ratio),
                  "percent": f"{(quota.ratio * 100).normalize():f}", "basis": quota.ratio_basis, "reason": quota.reason,
                  "pool": quota.pool, "cap": quota.cap, "taken_by_others": quota.taken_by_others,
                  "available": quota.available},
        "ranking": None if ranking is None else {
            "counties": ranking.counties, "previous": ranking.previous,
            "current": ranking.current},
        "missing": list(summary.missing),
        "undecided": [row.member.id for row in summary.undecided],
        "members": members,
        "amendments": list(amendments or []),
    }


def latest_snapshot(session: Session, assessment: Assessment) -> ResultSnapshot | None:
    """The newest snapshot of the assessment (a proposal, or an amendment after approval)."""
    return session.scalar(
        select(ResultSnapshot).where(ResultSnapshot.assessment_id == assessment.id)
        .order_by(ResultSnapshot.id.desc()).limit(1)
    )


def approved_figures(session: Session, assessment: Assessment) -> dict[str, Any] | None:
    """A15: the approved results (the approved snapshot with every amendment since), as the
    snapshot JSON; None unless the city Party committee has approved."""
    if assessment.stage != Stage.APPROVED:
        return None
    snapshot = latest_snapshot(session, assessment)
    return None if snapshot is None else dict(json.loads(snapshot.payload))


def figures_for(session: Session, assessment: Assessment) -> tuple[dict[str, Any], bool]:
    """What form 6 shows: while in setup the live summary; once proposed the snapshot under
    review (figures cannot move under the reviewers); after approval the approved figures.
    Returns (payload, frozen)."""
    if assessment.stage != Stage.SETUP:
        snapshot = latest_snapshot(session, assessment)
        if snapshot is not None:
            return dict(json.loads(snapshot.payload)), True
    return snapshot_payload(summarize(session, assessment)), False


def _previous_assessment(session: Session, assessment: Assessment) -> Assessment | None:
    return session.scalar(select(Assessment).where(
        Assessment.county_id == assessment.county_id, Assessment.year == assessment.year - 1))


def fill_previous_grades(session: Session, assessment: Assessment, actor: User) -> int:
    """A18 input: each member's grade in last year's approved assessment of the same county,
    matched by name; returns how many members changed. Audited; refused once inputs are locked."""
    try:
        ensure_inputs_open(assessment)
    except LockedError as error:
        raise LockedError(_l("录入已锁定，不能修改上年等次。")) from error
    previous = _previous_assessment(session, assessment)
    figures = approved_figures(session, previous) if previous is not None else None
    if figures is None:
        raise DecisionError(_l("%(year)s 年度本县的考核尚未审定，无法取得上年等次。",
                               year=assessment.year - 1))
    by_name = {m["name"]: m["grade"] for m in figures["members"]}
    grades = {m.id: by_name[m.name] for m in assessment.members if m.name in by_name}
    return _set_grades(session, assessment, grades, actor, "previous_grade.fill")


def set_previous_grades(
    session: Session, assessment: Assessment, grades: dict[int, str | None], actor: User
) -> int:
    """The team's own last-year grades (A18 input), per member id; None or "" clears one.
    Returns how many changed. Audited; refused once inputs are locked."""
    try:
        ensure_inputs_open(assessment)
    except LockedError as error:
        raise LockedError(_l("录入已锁定，不能修改上年等次。")) from error
    ids = {m.id for m in assessment.members}
    for member_id, grade in grades.items():
        if member_id not in ids:
            raise DecisionError(_l("成员：本次考核中没有编号为 %(id)s 的成员。", id=member_id))
        if grade and grade not in GRADES:
            raise DecisionError(_l("上年等次：无效的等次 %(grade)s。", grade=grade))
    return _set_grades(session, assessment, {k: v or None for k, v in grades.items()}, actor,
                       "previous_grade.set")


def _set_grades(session: Session, assessment: Assessment, grades: dict[int, str | None],
                actor: User, action: str) -> int:
    before, after = {}, {}
    for member in assessment.members:
        if member.id in grades and member.previous_grade != grades[member.id]:
            before[member.name] = member.previous_grade
            after[member.name] = member.previous_grade = grades[member.id]
    if after:
        session.flush()
        record(session, action, actor=actor, assessment_id=assessment.id,
               target=f"assessment:{assessment.id}", before=before, after=after)
    return len(after)


@dataclass(frozen=True)
class History:
    """A county's members' grades by year, from approved assessments (A16-A19 use of results)."""

    county: County
    years: list[int]
    #: (name, {year: grade}) in name order of first appearance, newest year first.
    people: list[tuple[str, dict[int, str | None]]]


def county_history(session: Session, county: County) -> History:
    """Grades by year per person (matched by name) from the approved figures of every approved
    assessment of the county, amendments included."""
    years: list[int] = []
    people: dict[str, dict[int, str | None]] = {}
    for assessment in session.scalars(
        select(Assessment).where(Assessment.county_id == county.id, Assessment.stage == Stage.APPROVED)
        .order_by(Assessment.year.desc())
    ):
        figures = approved_figures(session, assessment)
        if figures is None:
            continue
        years.append(assessment.year)
        for member in figures["members"]:
            people.setdefault(member["name"], {})[assessment.year] = member["grade"]
    return History(county, years, list(people.items()))
