"""The city view's year (a query parameter, read by ``CityFilterForm``): a bad one is a clear
400 page in the visitor's language, never a 500, and the year defaults to Beijing's."""

from __future__ import annotations

import datetime as dt

import pytest

from ballot import clock

HUGE = "9" * 5000


@pytest.mark.parametrize("year", [HUGE, "20x6", "1999", "2101", "２０２６", "-2026"])
@pytest.mark.parametrize("path", ["/city", "/city.xlsx"])
def test_a_bad_year_is_a_clear_400(team, path, year) -> None:
    response = team.get(path, query_string={"year": year})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "年度：应为 2000 到 2100 之间的整数" in page
    assert HUGE not in page


def test_an_english_visitor_reads_a_bad_year_in_english(team) -> None:
    team.get("/lang/en")
    response = team.get("/city", query_string={"year": HUGE})
    assert response.status_code == 400
    assert "Year: must be a whole number between 2000 and 2100" in response.get_data(
        as_text=True)


def test_no_year_is_this_year_in_beijing(team, monkeypatch) -> None:
    # 31 December 2026, 16:30 UTC is already 1 January 2027 in Beijing.
    monkeypatch.setattr(clock, "utcnow", lambda: dt.datetime(2026, 12, 31, 16, 30))
    page = team.get("/city").get_data(as_text=True)
    assert "2027年度 全市汇总" in page
    assert team.get("/city", query_string={"year": " 2026 "}).status_code == 200
