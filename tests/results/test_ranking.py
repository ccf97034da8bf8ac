"""A13 places: only from the whole city's P, and last year's bottom places survive a change in
the number of counties (SPEC A13 decision)."""

from __future__ import annotations

from ballot.assessments.models import County
from ballot.db import get_session
from ballot.results.services import ranking_for
from ballot.scores.models import CountyScore


def _counties(db, names):  # type: ignore[no-untyped-def]
    rows = [County(name=n) for n in names]
    db.add_all(rows)
    db.flush()
    return rows


def test_no_places_until_every_county_has_p_this_year(app):
    with app.app_context():
        db = get_session()
        a, b, c = _counties(db, ["甲县", "乙县", "丙县"])
        for county, p in ((a, "90"), (b, "80"), (c, "70")):
            db.add(CountyScore(county_id=county.id, year=2025, performance=p))
        db.add(CountyScore(county_id=a.id, year=2026, performance="91"))
        db.add(CountyScore(county_id=b.id, year=2026, performance="81"))
        db.flush()
        assert ranking_for(db, a.id, 2026) is None  # 丙县 has no P yet
        db.add(CountyScore(county_id=c.id, year=2026, performance="71"))
        db.flush()
        ranking = ranking_for(db, a.id, 2026)
        assert ranking is not None
        assert (ranking.counties, ranking.previous, ranking.current) == (3, 1, 1)


def test_last_place_last_year_stays_last_when_a_county_was_added(app):
    with app.app_context():
        db = get_session()
        names = [f"{i}号县" for i in range(1, 11)]
        counties = _counties(db, names)
        # Last year only nine counties were scored; 9号县 was last (9th of 9).
        for place, county in enumerate(counties[:9], start=1):
            db.add(CountyScore(county_id=county.id, year=2025, performance=str(100 - place)))
        # This year ten are scored; 9号县 is 9th of 10.
        for place, county in enumerate(counties, start=1):
            db.add(CountyScore(county_id=county.id, year=2026, performance=str(100 - place)))
        db.flush()
        last = ranking_for(db, counties[8].id, 2026)
        assert last is not None and (last.counties, last.previous, last.current) == (10, 10, 9)
        # 8号县 was 8th of 9 last year (second to last): still "in the last two" on a 10 scale.
        second = ranking_for(db, counties[7].id, 2026)
        assert second is not None and second.previous == 9
        # 1号县 stays first.
        first = ranking_for(db, counties[0].id, 2026)
        assert first is not None and first.previous == 1
