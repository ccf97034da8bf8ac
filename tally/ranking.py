"""A13: the county's place among the city's counties by P, this year and last year.

The database gathers the P scores; these functions decide the places from them, so the rule can
be checked without a database.
"""

from __future__ import annotations

from collections.abc import Collection, Hashable, Mapping
from decimal import Decimal
from typing import TypeVar

from tally.model import Ranking
from tally.rules import DEFAULT_RULES, Rules
from tally.scoring import competition_ranks

K = TypeVar("K", bound=Hashable)


def competition_rank(scores: Mapping[K, Decimal], county: K) -> int | None:
    """The county's place by score, equal scores sharing a place (1, 1, 3), by the same rule as
    members' ranks (``competition_ranks``); None if unscored."""
    if county not in scores:
        return None
    counties = list(scores)
    return competition_ranks([scores[c] for c in counties])[counties.index(county)]


def carried_place(place: int, of_counties: int, counties: int, rules: Rules = DEFAULT_RULES) -> int:
    """Last year's ``place`` among ``of_counties`` carried onto this year's scale of ``counties``
    (A13 decision): a top place stays itself, a place in the last ``rules.bottom_n`` keeps its
    distance from the bottom, any other place stays between the two groups, so "near the top"
    and "in the last two" mean the same when the number of counties changed."""
    from_bottom = of_counties - place + 1
    if place <= rules.top_n:
        carried = place
    elif from_bottom <= rules.bottom_n:
        carried = counties - from_bottom + 1
    else:
        carried = min(max(place, rules.top_n + 1), counties - rules.bottom_n)
    return max(1, min(carried, counties))


def county_ranking(
    county: K,
    current: Mapping[K, Decimal],
    previous: Mapping[K, Decimal],
    city: Collection[K],
    rules: Rules = DEFAULT_RULES,
) -> Ranking | None:
    """A13: the county's place by P this year (``current``) and last year (``previous``, carried
    onto this year's scale), among the ``city``'s counties.

    None until every county of the city has P this year (places from part of the city would be
    wrong), or when the county has no P this year or last year.
    """
    if not set(city) <= set(current):
        return None
    now, before = competition_rank(current, county), competition_rank(previous, county)
    if now is None or before is None:
        return None
    counties = len(current)
    return Ranking(counties=counties, previous=carried_place(before, len(previous), counties, rules),
                   current=now)
