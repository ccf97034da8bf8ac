"""The one place typed input is read (ballot/parsing.py): never raises, refuses what is not
asked for (None), and guards length before Python's int() limit of 4,300 digits."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from ballot import parsing

HUGE = "9" * 5000


@pytest.mark.parametrize(("text", "expected"), [
    ("12", 12), (" 12 ", 12), ("0", 0), ("2147483647", 2**31 - 1), ("2147483648", None),
    (HUGE, None), ("-1", None), ("1.0", None), ("１２", None), ("²", None), ("", None),
    (None, None), ("1e3", None),
])
def test_whole_number(text, expected):
    assert parsing.whole_number(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("2026", 2026), ("2000", 2000), ("2100", 2100), ("1999", None), ("2101", None),
    (HUGE, None), ("２０２６", None),
])
def test_year(text, expected):
    assert parsing.year(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("85", Decimal("85")), ("85.5", Decimal("85.5")), ("100", Decimal("100")),
    ("0", Decimal("0")), ("100.001", None), ("85.555", None), ("-1", None), ("1e2", None),
    ("NaN", None), ("Infinity", None), ("8_5", None), (HUGE, None), ("85.", Decimal("85")),
])
def test_score(text, expected):
    assert parsing.score(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("0.18", Decimal("0.18")), ("18%", Decimal("0.18")), ("18％", Decimal("0.18")),
    ("1.5", None), ("0.12345", None), (HUGE, None), ("-0.1", None),
])
def test_ratio(text, expected):
    assert parsing.ratio(text) == expected


def test_times_are_read_in_beijing_and_stored_in_utc():
    assert parsing.beijing_datetime("2026-12-01T11:30") == dt.datetime(2026, 12, 1, 3, 30)
    assert parsing.beijing_datetime("2026-12-01T11:30+00:00") == dt.datetime(2026, 12, 1, 11, 30)
    assert parsing.beijing_datetime("1999-12-31T23:00") is None
    assert parsing.beijing_datetime(HUGE) is None
    assert parsing.beijing_datetime("tomorrow") is None
    # The command line must say its offset: a bare time names no zone there.
    assert parsing.datetime_with_offset("2026-12-01T11:30") is None
    assert parsing.datetime_with_offset("2026-12-01T11:30+08:00") == dt.datetime(2026, 12, 1, 3, 30)


def test_dates():
    assert parsing.date("2026-01-31") == dt.date(2026, 1, 31)
    assert parsing.date("2026-02-30") is None
    assert parsing.date(HUGE) is None
