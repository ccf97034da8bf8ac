"""Worked examples for every rule, each number checked by hand in the comment beside it."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest

from tally import (
    DEFAULT_RULES,
    AssessmentInput,
    Grade,
    InputError,
    MemberInput,
    Ranking,
    Rules,
    Veto,
    VetoArea,
    VoteCounts,
    Weights,
    average,
    band,
    competition_ranks,
    composite,
    excellent_quota,
    excellent_ratio,
    publish,
    score_assessment,
    vote_score,
)
from tally.scoring import Components


def counts(e: int, c: int = 0, b: int = 0, i: int = 0) -> VoteCounts:
    return VoteCounts(excellent=e, competent=c, basically_competent=b, incompetent=i)


# A8.5 / A8.6: vote score


def test_vote_score_weights_each_rating_and_scales_to_100() -> None:
    # (40×1.0 + 12×0.8 + 3×0.5 + 1×0) ÷ 56 × 100 = 51.1 ÷ 56 × 100 = 91.25
    assert vote_score(counts(40, 12, 3, 1)) == Fraction("91.25")


def test_vote_score_is_exact_for_thirds() -> None:
    # (1 + 0.8 + 0.5) ÷ 3 × 100 = 230/3 = 76.666..., published 76.67
    score = vote_score(counts(1, 1, 1))
    assert score == Fraction(230, 3)
    assert publish(score) == Decimal("76.67")


def test_vote_score_all_incompetent_is_zero_but_no_votes_is_none() -> None:
    assert vote_score(counts(0, 0, 0, 5)) == 0
    assert vote_score(counts(0, 0, 0, 0)) is None


def test_valid_votes_count_every_rating_given() -> None:
    assert counts(40, 12, 3, 1).valid == 56


# A8.3 / A8.4: averages


def test_average_is_over_the_scorers_who_gave_a_score() -> None:
    assert average([Decimal("90"), Decimal("86.5")]) == Fraction("88.25")
    assert average([Decimal("90"), Decimal("85"), Decimal("86")]) == Fraction(261, 3)
    assert average([]) is None


# Rounding


@pytest.mark.parametrize(
    ("exact", "published"),
    [
        (Fraction("89.995"), "90.00"),  # half up, not half to even
        (Fraction("90.125"), "90.13"),  # round() would give 90.12
        (Fraction("90.124999"), "90.12"),
        (Fraction(200, 3), "66.67"),
        (Fraction(100), "100.00"),
        (Fraction(0), "0.00"),
    ],
)
def test_publish_rounds_half_up_to_two_decimals(exact: Fraction, published: str) -> None:
    assert str(publish(exact)) == published


def test_publish_honours_the_decimals_rule() -> None:
    assert str(publish(Fraction("89.45"), Rules(decimals=1))) == "89.5"
    assert str(publish(Fraction("89.5"), Rules(decimals=0))) == "90"


# A9: composite


def test_composite_uses_the_a9_weights() -> None:
    parts = Components(
        P=Fraction(90),
        T=Fraction(80),
        L=Fraction(70),
        H=Fraction(60),
        D=Fraction(50),
        I=Fraction(40),
    )
    # 40.5 + 16 + 7 + 6 + 5 + 2 = 76.5
    assert composite(parts) == Fraction("76.5")


def test_composite_is_none_when_a_component_is_missing() -> None:
    parts = Components(
        P=Fraction(90), T=Fraction(80), L=Fraction(70), H=Fraction(60), D=None, I=Fraction(40)
    )
    assert composite(parts) is None


def test_weights_must_add_up_to_exactly_one() -> None:
    with pytest.raises(InputError) as raised:
        Rules(weights=Weights(P=Decimal("0.50")))
    assert str(raised.value) == "rules.weights: must add up to 1, got 1.05"


def test_weights_can_be_overridden_if_they_add_up_to_one() -> None:
    rules = Rules(weights=Weights(P=Decimal("0.40"), T=Decimal("0.25")))
    parts = Components(
        P=Fraction(100), T=Fraction(0), L=Fraction(0), H=Fraction(0), D=Fraction(0), I=Fraction(0)
    )
    assert composite(parts, rules) == 40


# A12: bands


@pytest.mark.parametrize(
    ("published", "grade"),
    [
        ("100.00", Grade.EXCELLENT),
        ("90.00", Grade.EXCELLENT),
        ("89.99", Grade.COMPETENT),
        ("80.00", Grade.COMPETENT),
        ("79.99", Grade.BASICALLY_COMPETENT),
        ("60.00", Grade.BASICALLY_COMPETENT),
        ("59.99", Grade.INCOMPETENT),
        ("0.00", Grade.INCOMPETENT),
    ],
)
def test_bands_on_the_published_figure(published: str, grade: Grade) -> None:
    assert band(Decimal(published)) is grade


# Ranks


def test_equal_scores_share_a_rank_and_missing_scores_have_none() -> None:
    scores = [Decimal("88"), None, Decimal("91"), Decimal("91"), Decimal("85")]
    assert competition_ranks(scores) == [3, None, 1, 1, 4]


# A11.6 / A13: quota


def test_quota_is_floor_of_ratio_times_pool_minus_others_excellent() -> None:
    # pool 8 + 18 = 26; 0.15 × 26 = 3.9 → 3; minus 1 already given → 2
    assert excellent_quota(Decimal("0.15"), 8, 18, 1) == (26, 3, 2)
    # never below zero
    assert excellent_quota(Decimal("0.15"), 8, 18, 5) == (26, 3, 0)
    # 0.20 × 26 = 5.2 → 5
    assert excellent_quota(Decimal("0.20"), 8, 18, 0) == (26, 5, 5)


@pytest.mark.parametrize(
    ("previous", "current", "ratio", "basis"),
    [
        (1, 3, "0.20", "raised"),  # top 3 both years
        (4, 1, "0.15", "base"),  # top 3 this year only
        (8, 9, "0.10", "lowered"),  # last 2 of 9 both years
        (9, 7, "0.15", "base"),  # last 2 last year only
        (5, 5, "0.15", "base"),
    ],
)
def test_a13_ratio_from_the_county_rank(
    previous: int, current: int, ratio: str, basis: str
) -> None:
    ranking = Ranking(counties=9, previous=previous, current=current)
    assert excellent_ratio(ranking) == (Decimal(ratio), basis)


def test_no_ranking_uses_the_base_ratio() -> None:
    assert excellent_ratio(None) == (Decimal("0.15"), "base")


def test_a_ratio_above_twenty_percent_is_refused() -> None:
    with pytest.raises(InputError) as raised:
        Rules(raised_ratio=Decimal("0.25"))
    assert raised.value.path == "rules.raised_ratio"
    with pytest.raises(InputError):
        Rules(ratio_ceiling=Decimal("0.21"))


# Whole assessments: quota, ties, vetoes, flags

COMMON = {"P": Decimal(100), "T": Decimal(100), "L": (Decimal(100),)}


def member(member_id: str, h: str, d: VoteCounts | None = None, **extra: object) -> MemberInput:
    """With P = T = L = 100 and D, I all Excellent, the composite is 90 + h/10."""
    return MemberInput(
        id=member_id,
        name=member_id,
        H=(Decimal(h),),
        D=counts(10) if d is None else d,
        I=counts(10),
        **extra,
    )


def assess(*members: MemberInput, **extra: object) -> dict[str, tuple[str | None, tuple[str, ...]]]:
    result = score_assessment(
        AssessmentInput(county="X", year=2026, members=members, **COMMON, **extra)
    )
    return {m.id: (None if m.grade is None else m.grade.value, m.flags) for m in result.members}


def test_member_composite_in_this_fixture() -> None:
    # 45 + 20 + 10 + 0.1 × 50 + 10 + 5 = 95
    result = score_assessment(
        AssessmentInput(county="X", year=2026, members=(member("a", "50"),), **COMMON)
    )
    assert result.members[0].composite == Decimal("95.00")


def test_members_beyond_the_quota_become_competent_and_are_flagged() -> None:
    # pool 3 + 7 = 10 → cap floor(1.5) = 1
    grades = assess(
        member("a", "10"),  # 91
        member("b", "20"),  # 92
        member("c", "0"),  # 90
        other_cadres_count=7,
    )
    assert grades == {
        "a": ("competent", ("over_quota",)),
        "b": ("excellent", ()),
        "c": ("competent", ("over_quota",)),
    }


def test_others_excellent_use_up_the_quota() -> None:
    grades = assess(member("a", "10"), other_cadres_count=7, other_cadres_excellent=1)
    assert grades == {"a": ("competent", ("over_quota",))}


def test_tie_straddling_the_quota_line_is_left_to_the_team() -> None:
    # pool 5 + 15 = 20 → cap 3: b (92) in; a, c, d tied at 91 for two places → all ungraded;
    # e (90) below the tie → over quota
    grades = assess(
        member("a", "10"),
        member("b", "20"),
        member("c", "10"),
        member("d", "10"),
        member("e", "0"),
        other_cadres_count=15,
    )
    assert grades == {
        "a": (None, ("tie_at_quota",)),
        "b": ("excellent", ()),
        "c": (None, ("tie_at_quota",)),
        "d": (None, ("tie_at_quota",)),
        "e": ("competent", ("over_quota",)),
    }


def test_tie_that_fits_entirely_inside_the_quota_is_excellent() -> None:
    # cap floor(0.15 × 20) = 3: b, a, c all fit
    grades = assess(member("a", "10"), member("b", "20"), member("c", "10"), other_cadres_count=17)
    assert {k: v[0] for k, v in grades.items()} == {
        "a": "excellent",
        "b": "excellent",
        "c": "excellent",
    }


def test_tie_entirely_outside_the_quota_is_over_quota() -> None:
    # cap floor(0.15 × 10) = 1: b in; a and c tied below the line, both out
    grades = assess(member("a", "10"), member("b", "20"), member("c", "10"), other_cadres_count=7)
    assert grades["a"] == grades["c"] == ("competent", ("over_quota",))


def test_tie_decided_on_the_published_figure_not_the_exact_one() -> None:
    # D (2 + 0.8) ÷ 3 × 100 = 93.333...; composite 45 + 20 + 10 + H/10 + 9.3333... + 5
    # a: H 58 → 95.1333... → 95.13; b: H 57.99 → 95.1323... → 95.13: equal published scores
    rules_cap_one = {"other_cadres_count": 8}  # pool 10 → cap 1
    grades = assess(
        member("a", "58", counts(2, 1)), member("b", "57.99", counts(2, 1)), **rules_cap_one
    )
    assert grades == {"a": (None, ("tie_at_quota",)), "b": (None, ("tie_at_quota",))}


def test_veto_carries_the_teams_grade_and_takes_no_automatic_place() -> None:
    veto = Veto(area=VetoArea.WORK_SAFETY, facts="矿难", grade=Grade.COMPETENT, reason="负领导责任")
    grades = assess(member("a", "20", veto=veto), member("b", "10"), other_cadres_count=7)
    assert grades == {"a": ("competent", ("veto",)), "b": ("excellent", ())}


def test_veto_without_a_proposed_grade_leaves_the_grade_open() -> None:
    veto = Veto(area=VetoArea.PRODUCT_QUALITY, facts="...")
    assert assess(member("a", "20", veto=veto)) == {"a": (None, ("veto",))}


def test_vetoed_excellent_uses_a_place_before_the_automatic_picks() -> None:
    veto = Veto(area=VetoArea.LAND_RESOURCES, facts="...", grade=Grade.EXCELLENT, reason="...")
    grades = assess(member("a", "0", veto=veto), member("b", "20"), other_cadres_count=7)
    assert grades == {"a": ("excellent", ("veto",)), "b": ("competent", ("over_quota",))}


def test_vetoed_excellent_beyond_the_quota_is_flagged() -> None:
    veto = Veto(area=VetoArea.LAND_RESOURCES, facts="...", grade=Grade.EXCELLENT, reason="...")
    grades = assess(member("a", "0", veto=veto), other_cadres_count=9, other_cadres_excellent=1)
    assert grades == {"a": ("excellent", ("veto", "veto_exceeds_quota"))}


def test_no_valid_votes_gives_no_score_no_rank_no_grade() -> None:
    result = score_assessment(
        AssessmentInput(
            county="X",
            year=2026,
            members=(member("a", "50", counts(0)),),
            **COMMON,
        )
    )
    only = result.members[0]
    assert only.published.D is None
    assert (only.composite, only.rank, only.band, only.grade) == (None, None, None, None)
    assert only.flags == ("no_valid_votes_D",)


def test_missing_county_scores_and_forms_are_flagged() -> None:
    lone = MemberInput(id="a", name="a")
    result = score_assessment(AssessmentInput(county="X", year=2026, members=(lone,)))
    assert result.members[0].flags == (
        "missing_P",
        "missing_T",
        "missing_L",
        "missing_H",
        "missing_D",
        "missing_I",
    )
    assert result.members[0].grade is None


def test_team_quota_ratio_replaces_the_computed_one() -> None:
    result = score_assessment(
        AssessmentInput(
            county="X",
            year=2026,
            members=(member("a", "1"), member("b", "2")),
            other_cadres_count=8,
            quota_ratio=Decimal("0.10"),
            quota_reason="考核组研究决定",
            **COMMON,
        )
    )
    assert (result.quota.ratio, result.quota.ratio_basis, result.quota.cap) == (
        Decimal("0.10"),
        "team",
        1,
    )


# A18 / A19


def test_priority_promotion_needs_excellent_twice_and_a_top_county() -> None:
    top = Ranking(counties=9, previous=5, current=3)
    low = Ranking(counties=9, previous=1, current=4)
    twice = member("a", "20", previous_grade=Grade.EXCELLENT)
    once = member("b", "20", previous_grade=Grade.COMPETENT)
    pool = {"other_cadres_count": 9}  # pool 10 → cap 1
    assert assess(twice, ranking=top, **pool)["a"] == ("excellent", ("priority_promotion",))
    assert assess(twice, ranking=low, **pool)["a"] == ("excellent", ())
    assert assess(twice, **pool)["a"] == ("excellent", ())
    assert assess(once, ranking=top, **pool)["b"] == ("excellent", ())
    # over the quota: not Excellent this year, so no priority promotion
    assert assess(twice, ranking=top)["a"] == ("competent", ("over_quota",))


def test_admonition_and_adjustment_follow_the_grade() -> None:
    result = score_assessment(
        AssessmentInput(
            county="X",
            year=2026,
            P=Decimal(40),
            T=Decimal(40),
            L=(Decimal(40),),
            members=(
                # 18 + 8 + 4 + 8 + 10 + 5 = 53 → incompetent
                MemberInput(id="low", name="low", H=(Decimal(80),), D=counts(10), I=counts(10)),
            ),
        )
    )
    assert result.members[0].composite == Decimal("53.00")
    assert result.members[0].grade is Grade.INCOMPETENT
    assert result.members[0].flags == ("adjustment",)
    fair = score_assessment(
        AssessmentInput(
            county="X",
            year=2026,
            P=Decimal(60),
            T=Decimal(60),
            L=(Decimal(60),),
            # 27 + 12 + 6 + 6 + 10 + 5 = 66 → basically competent
            members=(MemberInput(id="m", name="m", H=(Decimal(60),), D=counts(10), I=counts(10)),),
        )
    )
    assert fair.members[0].composite == Decimal("66.00")
    assert fair.members[0].flags == ("admonition",)


def test_default_rules_are_spec_defaults() -> None:
    r = DEFAULT_RULES
    assert (r.weights.P, r.weights.T, r.weights.L, r.weights.H, r.weights.D, r.weights.I) == (
        Decimal("0.45"),
        Decimal("0.20"),
        Decimal("0.10"),
        Decimal("0.10"),
        Decimal("0.10"),
        Decimal("0.05"),
    )
    assert (r.base_ratio, r.raised_ratio, r.lowered_ratio, r.ratio_ceiling) == (
        Decimal("0.15"),
        Decimal("0.20"),
        Decimal("0.10"),
        Decimal("0.20"),
    )
    assert (r.top_n, r.bottom_n, r.decimals) == (3, 2, 2)
