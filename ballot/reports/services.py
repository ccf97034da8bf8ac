"""What the reports print: form 6 (from the approved snapshot or the live summary), vote counts,
score sheets, decisions, the approval trail, and the city-wide state of a year (A9-A15)."""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ballot.accounts.access import may_see_county
from ballot.accounts.models import User
from ballot.assessments.models import Assessment, County, Member, Stage
from ballot.clock import to_beijing
from ballot.evaluations.floor import withheld, withheld_kinds
from ballot.evaluations.models import Evaluation, Kind, State, VoteTally
from ballot.evaluations.services import turnout
from ballot.results.models import Amendment, ApprovalStep, Decision, ResultSnapshot
from ballot.results.services import effective_decisions, rules_for, summarize
from ballot.scores.models import CountyLeaderScore, CountyScore, MemberScore, Scorer
from tally import COMPONENTS, VoteCounts, publish, vote_score


@dataclass(frozen=True)
class ReportRow:
    """One line of form 6 as printed: published components, weighted parts, composite, grade."""

    member_id: int
    order: int
    name: str
    position: str
    scores: dict[str, Decimal | None]
    weighted: dict[str, Decimal | None]
    composite: Decimal | None
    rank: int | None
    grade: str | None
    flags: tuple[str, ...]


@dataclass(frozen=True)
class ReportQuota:
    """The Excellent quota as applied (A11.6, A13)."""

    ratio: Decimal | None
    ratio_basis: str
    pool: int | None
    cap: int | None
    taken_by_others: int | None
    available: int | None
    reason: str | None = None


@dataclass(frozen=True)
class ReportData:
    """Everything form 6 prints; ``source`` is "snapshot" for the approved figures (A15)."""

    assessment: Assessment
    rows: list[ReportRow]
    quota: ReportQuota
    missing: list[str] = field(default_factory=list)
    source: str = "live"
    snapshot_at: dt.datetime | None = None


def local_time(value: dt.datetime | None) -> dt.datetime | None:
    """A stored time (naive UTC) in Beijing time, naive, for printing (``clock.to_beijing``);
    None stays None."""
    return None if value is None else to_beijing(value)


def _decimal(value: Any) -> Decimal | None:
    """A figure as stored (a snapshot's decimal string, a score column); None if absent."""
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def _int(value: Any) -> int | None:
    """A count or place as stored in a snapshot; None if absent."""
    try:
        return None if value is None else int(value)
    except (TypeError, ValueError):
        return None


def _from_summary(session: Session, assessment: Assessment) -> ReportData:
    summary = summarize(session, assessment)
    rows = [
        ReportRow(
            member_id=row.member.id,
            order=row.member.order,
            name=row.member.name,
            position=row.member.position,
            scores={name: row.result.published.get(name) for name in COMPONENTS},
            weighted=dict(row.weighted),
            composite=row.result.composite,
            rank=row.result.rank,
            grade=row.grade,
            flags=tuple(row.flags),
        )
        for row in summary.rows
    ]
    quota = summary.result.quota
    return ReportData(
        assessment=assessment,
        rows=rows,
        quota=ReportQuota(quota.ratio, quota.ratio_basis, quota.pool, quota.cap,
                          quota.taken_by_others, quota.available, quota.reason),
        missing=list(summary.missing),
    )


def _from_snapshot(assessment: Assessment, snapshot: ResultSnapshot) -> ReportData:
    """Form 6 as frozen in a snapshot (``results.services.snapshot_payload``'s shape)."""
    payload = json.loads(snapshot.payload)
    by_id = {m.id: m for m in assessment.members}
    rows = []
    for item in payload["members"]:
        member = by_id[int(item["id"])]
        components = item["components"]
        rows.append(ReportRow(
            member_id=member.id,
            order=member.order,
            name=item["name"],
            position=item["position"],
            scores={name: _decimal(components[name]["score"]) for name in COMPONENTS},
            weighted={name: _decimal(components[name]["weighted"]) for name in COMPONENTS},
            composite=_decimal(item["composite"]),
            rank=_int(item["rank"]),
            grade=item["grade"],
            flags=tuple(item["flags"]),
        ))
    rows.sort(key=lambda r: r.order)
    quota = payload["quota"]
    return ReportData(
        assessment=assessment,
        rows=rows,
        quota=ReportQuota(
            ratio=_decimal(quota["ratio"]),
            ratio_basis=quota["basis"],
            pool=_int(quota["pool"]),
            cap=_int(quota["cap"]),
            taken_by_others=_int(quota["taken_by_others"]),
            available=_int(quota["available"]),
            reason=quota["reason"],
        ),
        missing=list(payload.get("missing", [])),
        source="snapshot",
        snapshot_at=snapshot.at,
    )


def newest_snapshot(session: Session, assessment: Assessment) -> ResultSnapshot | None:
    return session.scalar(
        select(ResultSnapshot).where(ResultSnapshot.assessment_id == assessment.id)
        .order_by(ResultSnapshot.id.desc()).limit(1)
    )


def report_data(session: Session, assessment: Assessment) -> ReportData:
    """Form 6 as the reports print it. Once approved (A15) the figures are the newest snapshot's
    (the approved one, or the latest amendment), so they cannot move after approval."""
    if assessment.stage == Stage.APPROVED:
        snapshot = newest_snapshot(session, assessment)
        if snapshot is not None:
            return _from_snapshot(assessment, snapshot)
    return _from_summary(session, assessment)


@dataclass(frozen=True)
class VoteLine:
    """One member's counts over the closed evaluations of one kind, and the vote score (A8.5)."""

    member: Member
    excellent: int
    competent: int
    basically_competent: int
    incompetent: int
    abstained: int
    score: Decimal | None

    @property
    def valid(self) -> int:
        return self.excellent + self.competent + self.basically_competent + self.incompetent


@dataclass(frozen=True)
class TurnoutLine:
    """A closed evaluation's slips and ballots (the ledger, shown even when its counts are not)."""

    evaluation: Evaluation
    issued: int
    used: int
    ballots: int
    invalid: int
    #: Below the anonymity floor and not published: its per-member counts are withheld (SPEC).
    withheld: bool = False


def closed_evaluations(session: Session, assessment: Assessment, kind: Kind) -> list[Evaluation]:
    return list(session.scalars(
        select(Evaluation).where(Evaluation.assessment_id == assessment.id,
                                 Evaluation.kind == kind.value,
                                 Evaluation.state == State.CLOSED.value)
        .order_by(Evaluation.id)
    ))


def vote_table(session: Session, assessment: Assessment,
               kind: Kind) -> tuple[list[VoteLine], list[TurnoutLine]]:
    """Form 2 (democratic) or form 3 (interview): counts summed over the closed evaluations of
    the kind, as ``summarize`` does, with the turnout of each; open ones stay hidden.

    While one of them is withheld below the anonymity floor (SPEC "Ballots") there are no
    lines at all, as in ``summarize``: the turnouts alone, that evaluation's marked withheld.
    """
    evaluations = closed_evaluations(session, assessment, kind)
    counts: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])
    shown = kind.value not in withheld_kinds(session, assessment)
    if evaluations and shown:
        for row in session.scalars(select(VoteTally).where(
                VoteTally.evaluation_id.in_([e.id for e in evaluations]))):
            total = counts[row.member_id]
            total[0] += row.excellent
            total[1] += row.competent
            total[2] += row.basically_competent
            total[3] += row.incompetent
            total[4] += row.abstained
    rules = rules_for(assessment)
    lines = []
    if evaluations and shown:
        for member in assessment.members:
            e, c, b, i, a = counts[member.id]
            exact = vote_score(VoteCounts(e, c, b, i), rules)
            lines.append(VoteLine(member, e, c, b, i, a,
                                  None if exact is None else publish(exact, rules)))
    turnouts = []
    for evaluation in evaluations:
        slips = turnout(session, evaluation)
        turnouts.append(TurnoutLine(evaluation, slips.issued, slips.used,
                                    evaluation.ballots_cast or 0, evaluation.invalid_ballots or 0,
                                    withheld=withheld(evaluation)))
    return lines, turnouts


@dataclass(frozen=True)
class SheetLine:
    """One score on a signed sheet: a city leader's score of the county (form 4, member None) or
    a county head's score of a member (form 5)."""

    scorer: Scorer
    member: Member | None
    score: Decimal | None


def score_sheets(session: Session, assessment: Assessment) -> list[SheetLine]:
    """Every scorer's sheet, leaders first, then heads member by member (A8.3, A8.4)."""
    scorers = list(session.scalars(
        select(Scorer).where(Scorer.assessment_id == assessment.id)
        .order_by(Scorer.kind, Scorer.id)
    ))
    leader = {s.scorer_id: s.score for s in session.scalars(
        select(CountyLeaderScore).where(CountyLeaderScore.scorer_id.in_([s.id for s in scorers])))}
    heads: dict[tuple[int, int], str] = {
        (s.scorer_id, s.member_id): s.score for s in session.scalars(
            select(MemberScore).where(MemberScore.scorer_id.in_([s.id for s in scorers])))}
    lines = []
    for scorer in scorers:
        if scorer.kind == "city_leader":
            lines.append(SheetLine(scorer, None, _decimal(leader.get(scorer.id))))
        else:
            for member in assessment.members:
                lines.append(SheetLine(scorer, member, _decimal(heads.get((scorer.id, member.id)))))
    return lines


@dataclass(frozen=True)
class DecisionLine:
    decision: Decision
    effective: bool


def decision_lines(session: Session, assessment: Assessment) -> list[DecisionLine]:
    """Every decision in the order made; the newest per member and kind is the one in effect."""
    effective = {d.id for kinds in effective_decisions(session, assessment).values()
                 for d in kinds.values()}
    return [DecisionLine(d, d.id in effective) for d in session.scalars(
        select(Decision).where(Decision.assessment_id == assessment.id).order_by(Decision.id))]


def approval_trail(session: Session, assessment: Assessment) -> list[ApprovalStep]:
    """The A15 steps in order."""
    return list(session.scalars(
        select(ApprovalStep).where(ApprovalStep.assessment_id == assessment.id)
        .order_by(ApprovalStep.id)))


def amendments(session: Session, assessment: Assessment) -> list[Amendment]:
    """Corrections after approval, in order."""
    return list(session.scalars(
        select(Amendment).where(Amendment.assessment_id == assessment.id).order_by(Amendment.id)))


def closed_boxes(session: Session, assessment: Assessment) -> list[Evaluation]:
    """Every closed evaluation of the assessment, the meeting's first, for the box digests the
    report prints (SPEC "Ballots": anyone can recount a box with ``tally verify-box``)."""
    return [e for kind in Kind for e in closed_evaluations(session, assessment, kind)]


@dataclass(frozen=True)
class CountyStatus:
    """Where one county stands in the procedure for the year (A10, A11, A15)."""

    county: County
    assessment: Assessment | None
    #: Per kind: (closed evaluations, all evaluations).
    evaluations: dict[str, tuple[int, int]]
    has_P: bool
    has_T: bool
    data: ReportData | None


def city_overview(session: Session, year: int, user: User) -> list[CountyStatus]:
    """Every county the account may see, with its assessment's state and form 6 for the year."""
    counties = [c for c in session.scalars(select(County).order_by(County.name))
                if may_see_county(user, c.id)]
    scores = {s.county_id: s for s in session.scalars(
        select(CountyScore).where(CountyScore.year == year))}
    assessments = {a.county_id: a for a in session.scalars(
        select(Assessment).where(Assessment.year == year))}
    statuses = []
    for county in counties:
        assessment = assessments.get(county.id)
        evaluations: dict[str, tuple[int, int]] = {k.value: (0, 0) for k in Kind}
        data = None
        if assessment is not None:
            for evaluation in session.scalars(
                    select(Evaluation).where(Evaluation.assessment_id == assessment.id)):
                closed, total = evaluations[evaluation.kind]
                evaluations[evaluation.kind] = (
                    closed + (evaluation.state == State.CLOSED.value), total + 1)
            if assessment.members:
                data = report_data(session, assessment)
        score = scores.get(county.id)
        statuses.append(CountyStatus(
            county, assessment, evaluations,
            has_P=bool(score and score.performance), has_T=bool(score and score.target),
            data=data,
        ))
    return statuses
