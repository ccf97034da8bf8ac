"""Properties that must hold for any input, checked with hypothesis."""

from __future__ import annotations

import json
import random
import re
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from tally import (
    AssessmentInput,
    Grade,
    MemberInput,
    Ranking,
    VoteCounts,
    parse_assessment,
    score_assessment,
    to_json,
    vote_score,
)

FAST = settings(database=None, max_examples=150, deadline=None)

scores = st.integers(0, 10000).map(lambda n: Decimal(n).scaleb(-2))
score_lists = st.lists(scores, min_size=0, max_size=3)
counts = st.builds(
    VoteCounts,
    excellent=st.integers(0, 60),
    competent=st.integers(0, 60),
    basically_competent=st.integers(0, 60),
    incompetent=st.integers(0, 60),
)


@st.composite
def members(draw: st.DrawFn, member_id: str) -> MemberInput:
    return MemberInput(
        id=member_id,
        name=member_id,
        H=tuple(draw(st.lists(scores, min_size=1, max_size=3))),
        D=draw(st.one_of(counts, st.none())),
        I=draw(counts),
        previous_grade=draw(st.one_of(st.none(), st.sampled_from(list(Grade)))),
    )


@st.composite
def assessments(draw: st.DrawFn) -> AssessmentInput:
    size = draw(st.integers(1, 10))
    others = draw(st.integers(0, 30))
    # high county scores so that many members reach 90 and the quota matters
    high = st.integers(8500, 10000).map(lambda n: Decimal(n).scaleb(-2))
    counties = draw(st.integers(1, 12))
    ranking = draw(
        st.one_of(
            st.none(),
            st.builds(
                Ranking,
                counties=st.just(counties),
                previous=st.integers(1, counties),
                current=st.integers(1, counties),
            ),
        )
    )
    return AssessmentInput(
        county="测试县",
        year=2026,
        P=draw(high),
        T=draw(high),
        L=tuple(draw(st.lists(high, min_size=1, max_size=3))),
        other_cadres_count=others,
        other_cadres_excellent=draw(st.integers(0, others)),
        ranking=ranking,
        members=tuple(draw(members(f"m{index}")) for index in range(size)),
    )


@FAST
@given(assessments())
def test_composite_is_within_0_and_100(a: AssessmentInput) -> None:
    for member in score_assessment(a).members:
        if member.composite is not None:
            assert Decimal(0) <= member.composite <= Decimal(100)
            assert member.composite_exact is not None
            assert 0 <= member.composite_exact <= 100


@FAST
@given(counts, st.integers(1, 50))
def test_more_excellent_votes_never_lower_the_score(base: VoteCounts, more: int) -> None:
    raised = VoteCounts(
        base.excellent + more, base.competent, base.basically_competent, base.incompetent
    )
    before, after = vote_score(base), vote_score(raised)
    assert after is not None
    assert before is None or after >= before


@FAST
@given(assessments())
def test_excellent_grades_never_exceed_the_quota(a: AssessmentInput) -> None:
    result = score_assessment(a)
    excellent = sum(1 for member in result.members if member.grade is Grade.EXCELLENT)
    assert excellent <= result.quota.available
    assert result.quota.available <= result.quota.cap <= result.quota.pool * Decimal("0.20")


@FAST
@given(assessments(), st.randoms(use_true_random=False))
def test_reordering_members_changes_nothing(a: AssessmentInput, rng: random.Random) -> None:
    shuffled = list(a.members)
    rng.shuffle(shuffled)
    original = {m.id: m for m in score_assessment(a).members}
    reordered = score_assessment(
        AssessmentInput(**{**a.__dict__, "members": tuple(shuffled)})
    ).members
    assert [m.id for m in reordered] == [m.id for m in shuffled]
    for m in reordered:
        assert m == original[m.id]


def as_json_object(a: AssessmentInput, as_strings: bool) -> dict[str, object]:
    def num(value: Decimal | int) -> object:
        return str(value) if as_strings else value

    def votes(c: VoteCounts | None) -> object:
        if c is None:
            return None
        return {
            "excellent": num(c.excellent),
            "competent": num(c.competent),
            "basically_competent": num(c.basically_competent),
            "incompetent": num(c.incompetent),
        }

    assert a.P is not None and a.T is not None
    return {
        "county": a.county,
        "year": a.year,
        "county_scores": {"P": num(a.P), "T": num(a.T), "L": [num(x) for x in a.L]},
        "other_cadres": {
            "count": num(a.other_cadres_count),
            "excellent": num(a.other_cadres_excellent),
        },
        "ranking": None
        if a.ranking is None
        else {
            "counties": num(a.ranking.counties),
            "previous": num(a.ranking.previous),
            "current": num(a.ranking.current),
        },
        "members": [
            {
                "id": m.id,
                "name": m.name,
                "H": [num(x) for x in m.H],
                "D": votes(m.D),
                "I": votes(m.I),
                "previous_grade": None if m.previous_grade is None else m.previous_grade.value,
            }
            for m in a.members
        ],
    }


def json_text_with_numbers(obj: object) -> str:
    """JSON text with every Decimal written as a bare JSON number (no float on the way)."""
    text = json.dumps(obj, default=lambda value: f"__number__{value}", ensure_ascii=False)
    return re.sub(r'"__number__([^"]*)"', r"\1", text)


@FAST
@given(assessments())
def test_numbers_as_strings_or_numbers_give_identical_results(a: AssessmentInput) -> None:
    numbers_text = json_text_with_numbers(as_json_object(a, as_strings=False))
    assert '"__number__' not in numbers_text
    as_numbers = json.loads(numbers_text, parse_float=Decimal)
    as_strings = json.loads(json.dumps(as_json_object(a, as_strings=True)))
    from_numbers = score_assessment(parse_assessment(as_numbers))
    from_strings = score_assessment(parse_assessment(as_strings))
    assert from_numbers == from_strings
    assert to_json(from_numbers) == to_json(from_strings)
    assert from_numbers == score_assessment(a)
