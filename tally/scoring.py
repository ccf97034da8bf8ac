"""The Longnan method's arithmetic: vote scores, averages, composite, bands, quota, grades, flags.

Exact values are `Fraction`s (a Decimal cannot hold 1/3, and a sum of rounded thirds could land
on the wrong side of a rounding half point); published figures are `Decimal`s rounded half up.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Generic, TypeVar

from tally.model import AssessmentInput, Grade, MemberInput, Ranking, Veto, VoteCounts
from tally.rules import DEFAULT_RULES, Rules

N = TypeVar("N", Fraction, Decimal)

COMPONENTS = ("P", "T", "L", "H", "D", "I")

_HALF = Fraction(1, 2)


class Flag:
    """The flag strings a member result can carry; each is explained in docs/tally.md."""

    MISSING_P = "missing_P"
    MISSING_T = "missing_T"
    MISSING_L = "missing_L"
    MISSING_H = "missing_H"
    MISSING_D = "missing_D"
    MISSING_I = "missing_I"
    NO_VALID_VOTES_D = "no_valid_votes_D"
    NO_VALID_VOTES_I = "no_valid_votes_I"
    VETO = "veto"
    VETO_EXCEEDS_QUOTA = "veto_exceeds_quota"
    OVER_QUOTA = "over_quota"
    TIE_AT_QUOTA = "tie_at_quota"
    PRIORITY_PROMOTION = "priority_promotion"
    ADMONITION = "admonition"
    ADJUSTMENT = "adjustment"


ALL_FLAGS: tuple[str, ...] = tuple(
    value for name, value in vars(Flag).items() if name.isupper() and isinstance(value, str)
)


@dataclass(frozen=True)
class Components(Generic[N]):
    """The six component scores of one member (A8); None where a component is missing."""

    P: N | None
    T: N | None
    L: N | None
    H: N | None
    D: N | None
    I: N | None  # noqa: E741 - the component's name in SPEC

    def get(self, name: str) -> N | None:
        """The component called `name` (one of P, T, L, H, D, I)."""
        value: N | None = getattr(self, name)
        return value


@dataclass(frozen=True)
class MemberResult:
    """One member's scores, rank, band, grade and flags; `composite` is the published figure."""

    id: str
    name: str
    position: str
    exact: Components[Fraction]
    published: Components[Decimal]
    composite_exact: Fraction | None
    composite: Decimal | None
    rank: int | None
    band: Grade | None
    grade: Grade | None
    flags: tuple[str, ...]
    veto: Veto | None


@dataclass(frozen=True)
class QuotaResult:
    """The Excellent quota of A11.6/A13: ratio, pool, cap, Excellent already given, places left.

    `ratio_basis` says where the ratio came from: "base", "raised", "lowered" (A13) or "team".
    """

    ratio: Decimal
    ratio_basis: str
    pool: int
    cap: int
    taken_by_others: int
    available: int
    reason: str | None = None


@dataclass(frozen=True)
class AssessmentResult:
    """The scored assessment: members in input order, and the quota that was applied."""

    county: str
    year: int
    rules: Rules
    members: tuple[MemberResult, ...]
    quota: QuotaResult


def vote_score(counts: VoteCounts, rules: Rules = DEFAULT_RULES) -> Fraction | None:
    """A8.5 (form 2) and A8.6 (form 3): weighted ratings ÷ valid votes × 100, exact.

    None when there is no valid vote: a member nobody rated has no score, never 0 (SPEC Decision).
    """
    if counts.valid == 0:
        return None
    values = rules.vote_values
    weighted = (
        counts.excellent * Fraction(values.excellent)
        + counts.competent * Fraction(values.competent)
        + counts.basically_competent * Fraction(values.basically_competent)
        + counts.incompetent * Fraction(values.incompetent)
    )
    return weighted / counts.valid * 100


def average(scores: Sequence[Decimal]) -> Fraction | None:
    """A8.3 (L) and A8.4 (H): the mean over however many scorers gave a score; None if none did."""
    if not scores:
        return None
    return sum((Fraction(score) for score in scores), Fraction(0)) / len(scores)


def publish(value: Fraction | Decimal | int, rules: Rules = DEFAULT_RULES) -> Decimal:
    """Round to `rules.decimals` places half up (四舍五入, SPEC Decision), not half to even."""
    scaled = Fraction(value) * 10**rules.decimals
    magnitude = math.floor(abs(scaled) + _HALF)
    return Decimal(-magnitude if scaled < 0 else magnitude).scaleb(-rules.decimals)


def composite(parts: Components[Fraction], rules: Rules = DEFAULT_RULES) -> Fraction | None:
    """A9: the weighted sum of the six components; None if any of them is missing."""
    total = Fraction(0)
    for name in COMPONENTS:
        value = parts.get(name)
        if value is None:
            return None
        total += Fraction(getattr(rules.weights, name)) * value
    return total


def band(published_composite: Decimal, rules: Rules = DEFAULT_RULES) -> Grade:
    """A12: the grade band of a published composite: >=90, >=80, >=60, below."""
    bands = rules.bands
    if published_composite >= bands.excellent:
        return Grade.EXCELLENT
    if published_composite >= bands.competent:
        return Grade.COMPETENT
    if published_composite >= bands.basically_competent:
        return Grade.BASICALLY_COMPETENT
    return Grade.INCOMPETENT


def ranked_near_top(place: int, rules: Rules = DEFAULT_RULES) -> bool:
    """A13/A18 "名次靠前": a place within the top `rules.top_n`."""
    return place <= rules.top_n


def ranked_in_last_places(place: int, counties: int, rules: Rules = DEFAULT_RULES) -> bool:
    """A13 "名次在后两位": a place within the last `rules.bottom_n` of `counties`."""
    return place > counties - rules.bottom_n


def excellent_ratio(ranking: Ranking | None, rules: Rules = DEFAULT_RULES) -> tuple[Decimal, str]:
    """A13: the raised ratio for a county near the top two years running, the lowered one for a
    county in the last places two years running, else the A11.6 base ratio; with its basis.

    If a short list of counties puts a county in both groups, the raised ratio wins.
    """
    if ranking is None:
        return rules.base_ratio, "base"
    if ranked_near_top(ranking.previous, rules) and ranked_near_top(ranking.current, rules):
        return rules.raised_ratio, "raised"
    if ranked_in_last_places(ranking.previous, ranking.counties, rules) and ranked_in_last_places(
        ranking.current, ranking.counties, rules
    ):
        return rules.lowered_ratio, "lowered"
    return rules.base_ratio, "base"


def excellent_quota(
    ratio: Decimal, members: int, other_cadres: int, other_cadres_excellent: int
) -> tuple[int, int, int]:
    """A11.6: pool = members + other assessed cadres, cap = floor(ratio × pool), and the places
    left for members = cap − Excellent already given to the others, never below 0.

    Returns (pool, cap, available).
    """
    pool = members + other_cadres
    cap = math.floor(Fraction(ratio) * pool)
    return pool, cap, max(0, cap - other_cadres_excellent)


def competition_ranks(scores: Sequence[Decimal | None]) -> list[int | None]:
    """Rank by published composite, highest first; equal scores share a rank (1, 1, 3); members
    without a composite get no rank."""
    known = sorted((score for score in scores if score is not None), reverse=True)
    first_place: dict[Decimal, int] = {}
    for index, score in enumerate(known):
        first_place.setdefault(score, index + 1)
    return [None if score is None else first_place[score] for score in scores]


def consequence_flags(
    grade: Grade | None,
    previous_grade: Grade | None,
    ranking: Ranking | None,
    rules: Rules = DEFAULT_RULES,
) -> list[str]:
    """A18: Excellent this year and last, in a county ranked near the top, → priority promotion.
    A19: Basically competent → admonition talk; Incompetent → organizational adjustment."""
    flags: list[str] = []
    if (
        grade is Grade.EXCELLENT
        and previous_grade is Grade.EXCELLENT
        and ranking is not None
        and ranked_near_top(ranking.current, rules)
    ):
        flags.append(Flag.PRIORITY_PROMOTION)
    if grade is Grade.BASICALLY_COMPETENT:
        flags.append(Flag.ADMONITION)
    if grade is Grade.INCOMPETENT:
        flags.append(Flag.ADJUSTMENT)
    return flags


@dataclass
class _Work:
    """A member's scores while grades are being decided (mutable scratch, never returned)."""

    member: MemberInput
    exact: Components[Fraction]
    published: Components[Decimal]
    composite_exact: Fraction | None
    composite: Decimal | None
    band: Grade | None
    grade: Grade | None
    flags: list[str]


def _member_components(
    a: AssessmentInput, member: MemberInput, common: tuple[Fraction | None, ...]
) -> tuple[Components[Fraction], list[str]]:
    """Gather the six exact components of one member and the flags for any that are missing."""
    p, t, l_avg = common
    flags = [f"missing_{name}" for name, value in zip("PTL", common, strict=True) if value is None]
    h = average(member.H)
    if h is None:
        flags.append(Flag.MISSING_H)
    votes: dict[str, Fraction | None] = {}
    for name, counts in (("D", member.D), ("I", member.I)):
        if counts is None:
            flags.append(f"missing_{name}")
            votes[name] = None
            continue
        votes[name] = vote_score(counts, a.rules)
        if votes[name] is None:
            flags.append(f"no_valid_votes_{name}")
    return Components(P=p, T=t, L=l_avg, H=h, D=votes["D"], I=votes["I"]), flags


def _publish_all(parts: Components[Fraction], rules: Rules) -> Components[Decimal]:
    def pub(value: Fraction | None) -> Decimal | None:
        return None if value is None else publish(value, rules)

    return Components(
        P=pub(parts.P),
        T=pub(parts.T),
        L=pub(parts.L),
        H=pub(parts.H),
        D=pub(parts.D),
        I=pub(parts.I),
    )


def _assign_quota(work: list[_Work], available: int) -> None:
    """A12 with A11.6 and A14: vetoed members keep the team's grade and use places first; the
    others at >= 90 take the remaining places in published-score order; the rest become Competent
    (`over_quota`); equal scores straddling the line are left to the team (`tie_at_quota`)."""
    vetoed_excellent = [
        w for w in work if w.member.veto is not None and w.member.veto.grade is Grade.EXCELLENT
    ]
    if len(vetoed_excellent) > available:
        for w in vetoed_excellent:
            w.flags.append(Flag.VETO_EXCEEDS_QUOTA)
    places = max(0, available - len(vetoed_excellent))
    candidates = sorted(
        (w for w in work if w.member.veto is None and w.band is Grade.EXCELLENT),
        key=lambda w: w.composite or Decimal(0),
        reverse=True,
    )
    if len(candidates) <= places:
        return
    line = candidates[places].composite  # the best score that does not fit
    tie_straddles = places > 0 and candidates[places - 1].composite == line
    for w in candidates[places:]:
        if tie_straddles and w.composite == line:
            w.grade = None
            w.flags.append(Flag.TIE_AT_QUOTA)
        else:
            w.grade = Grade.COMPETENT
            w.flags.append(Flag.OVER_QUOTA)
    if tie_straddles:
        for w in candidates[:places]:
            if w.composite == line:
                w.grade = None
                w.flags.append(Flag.TIE_AT_QUOTA)


def score_assessment(a: AssessmentInput) -> AssessmentResult:
    """Score one county's assessment: components (A8), composite (A9), published figures, bands
    and ranks (A12), the Excellent quota (A11.6, A13), vetoes (A14) and consequences (A18, A19)."""
    rules = a.rules
    common = (
        None if a.P is None else Fraction(a.P),
        None if a.T is None else Fraction(a.T),
        average(a.L),
    )
    work: list[_Work] = []
    for member in a.members:
        exact, flags = _member_components(a, member, common)
        total = composite(exact, rules)
        published_total = None if total is None else publish(total, rules)
        member_band = None if published_total is None else band(published_total, rules)
        if member.veto is not None:
            flags.append(Flag.VETO)
            grade = member.veto.grade
        else:
            grade = member_band
        work.append(
            _Work(
                member,
                exact,
                _publish_all(exact, rules),
                total,
                published_total,
                member_band,
                grade,
                flags,
            )
        )

    if a.quota_ratio is not None:
        ratio, basis = a.quota_ratio, "team"
    else:
        ratio, basis = excellent_ratio(a.ranking, rules)
    pool, cap, available = excellent_quota(
        ratio, len(a.members), a.other_cadres_count, a.other_cadres_excellent
    )
    _assign_quota(work, available)

    ranks = competition_ranks([w.composite for w in work])
    results = tuple(
        MemberResult(
            id=w.member.id,
            name=w.member.name,
            position=w.member.position,
            exact=w.exact,
            published=w.published,
            composite_exact=w.composite_exact,
            composite=w.composite,
            rank=rank,
            band=w.band,
            grade=w.grade,
            flags=tuple(
                w.flags + consequence_flags(w.grade, w.member.previous_grade, a.ranking, rules)
            ),
            veto=w.member.veto,
        )
        for w, rank in zip(work, ranks, strict=True)
    )
    quota = QuotaResult(
        ratio=ratio,
        ratio_basis=basis,
        pool=pool,
        cap=cap,
        taken_by_others=a.other_cadres_excellent,
        available=available,
        reason=a.quota_reason,
    )
    return AssessmentResult(county=a.county, year=a.year, rules=rules, members=results, quota=quota)
