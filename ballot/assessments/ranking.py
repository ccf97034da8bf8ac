"""A13 for one county: its place among the city's counties by P, this year and last, and the
Excellent ratio that follows, from the P scores on record. The rules are ``tally.ranking`` and
``tally.excellent_ratio``; this module only reads what they need. The assessment's settings, the
P/T page and form 6 all ask here."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from ballot.assessments.models import County
from ballot.scores.models import CountyScore
from tally import DEFAULT_RULES, Ranking, Rules, county_ranking, excellent_ratio


def performance_by_county(session: Session, year: int) -> dict[int, Decimal]:
    """P of every county that has it for the year (stored decimal text, read back)."""
    rows = session.execute(select(CountyScore.county_id, CountyScore.performance).where(
        CountyScore.year == year, CountyScore.performance.is_not(None)))
    return {county_id: Decimal(value) for county_id, value in rows if value is not None}


def ranking_for(session: Session, county_id: int, year: int,
                rules: Rules = DEFAULT_RULES) -> Ranking | None:
    """A13: the county's place among the city's counties by P this year and last year; None
    until every county has P this year or when the county had no P last year."""
    city = set(session.scalars(select(County.id)))
    return county_ranking(county_id, performance_by_county(session, year),
                          performance_by_county(session, year - 1), city, rules)


def a13_ratio(session: Session, county_id: int, year: int) -> tuple[Decimal, str]:
    """The Excellent ratio A13 gives the county for the year by the default rules, with its
    basis ("raised", "lowered" or "base" when the county is not ranked both years)."""
    return excellent_ratio(ranking_for(session, county_id, year), DEFAULT_RULES)
