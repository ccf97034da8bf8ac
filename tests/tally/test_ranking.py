"""A13 places from the counties' P scores, each place checked by hand in the comment beside it."""

from __future__ import annotations

from decimal import Decimal

from tally import (
    Ranking,
    Rules,
    carried_place,
    competition_rank,
    county_ranking,
    excellent_ratio,
)


def scores(**by_county: str) -> dict[str, Decimal]:
    return {county: Decimal(value) for county, value in by_county.items()}


def test_equal_scores_share_a_place_and_the_next_place_is_skipped() -> None:
    p = scores(a="90.5", b="90.5", c="80", d="95")
    # d 95 first; a and b 90.5 share second; c is fourth, not third.
    assert [competition_rank(p, c) for c in "dabc"] == [1, 2, 2, 4]


def test_a_county_without_p_has_no_place() -> None:
    assert competition_rank(scores(a="90"), "b") is None


def test_top_places_are_carried_as_they_are() -> None:
    # 2nd of 9 last year is 2nd on this year's scale of 10: still "near the top" (top 3).
    assert carried_place(2, 9, 10) == 2


def test_last_places_keep_their_distance_from_the_bottom() -> None:
    # Last of 9 is last of 10; second to last of 9 (8th) is second to last of 10 (9th).
    assert carried_place(9, 9, 10) == 10
    assert carried_place(8, 9, 10) == 9
    # With fewer counties: last of 10 is last of 8.
    assert carried_place(10, 10, 8) == 8


def test_middle_places_stay_out_of_both_groups() -> None:
    # 7th of 10 is not in the last two; on a scale of 8 a plain 7 would be (7 > 8 - 2), so it is
    # held at 6, the lowest place outside the last two.
    assert carried_place(7, 10, 8) == 6
    # 5th of 9 on a scale of 10 stays 5th (between 4 and 8).
    assert carried_place(5, 9, 10) == 5
    # 4th of 10 on a scale of 12 stays 4th, never lifted into the top 3.
    assert carried_place(4, 10, 12) == 4


def test_a_carried_place_stays_on_this_years_scale() -> None:
    # 3rd of 10 with only 2 counties this year: 2nd, not a 3rd place that does not exist.
    assert carried_place(3, 10, 2) == 2
    # 9th of 10 (second to last) with 1 county: 1st, not the place 1 - 2 + 1 = 0.
    assert carried_place(9, 10, 1) == 1


def test_carried_place_follows_the_rules_top_and_bottom() -> None:
    rules = Rules(top_n=1, bottom_n=1)
    # 2nd of 5 is outside the top 1 and the last 1: stays 2nd.
    assert carried_place(2, 5, 5, rules) == 2
    # 4th of 5 is second to last: in the last two by default, not in the last one here.
    assert carried_place(4, 5, 6) == 5
    assert carried_place(4, 5, 6, rules) == 4


def test_no_ranking_until_every_county_of_the_city_has_p() -> None:
    city = ["a", "b", "c"]
    last_year = scores(a="90", b="80", c="70")
    assert county_ranking("a", scores(a="91", b="81"), last_year, city) is None
    ranking = county_ranking("a", scores(a="91", b="81", c="71"), last_year, city)
    assert ranking == Ranking(counties=3, previous=1, current=1)


def test_no_ranking_without_p_last_year() -> None:
    city = ["a", "b", "c"]
    this_year = scores(a="91", b="81", c="71")
    assert county_ranking("c", this_year, scores(a="90", b="80"), city) is None


def test_a_county_last_two_years_running_gets_the_lowered_ratio() -> None:
    # Last year 9 counties, i last (9th); this year 10, i 9th: last two both years (A13).
    city = list("abcdefghij")
    last_year = {c: Decimal(100 - n) for n, c in enumerate(city[:9])}
    this_year = {c: Decimal(100 - n) for n, c in enumerate(city)}
    ranking = county_ranking("i", this_year, last_year, city)
    assert ranking == Ranking(counties=10, previous=10, current=9)
    assert excellent_ratio(ranking) == (Decimal("0.10"), "lowered")
    # h was 8th of 9 (second to last), now 8th of 10: not in the last two this year.
    h = county_ranking("h", this_year, last_year, city)
    assert h == Ranking(counties=10, previous=9, current=8)
    assert excellent_ratio(h) == (Decimal("0.15"), "base")
