"""Reading what people type, in one place (STYLE habit 14): whole numbers, years, ids,
decimal scores, dates and times. Nothing here raises on any input: a value that is not what was
asked for is ``None``, and the caller (a form, a service) says so in the visitor's language.

Every reader guards the length first: Python refuses ``int()`` on strings of more than 4,300
digits, and ``Decimal`` of a huge string works but costs time and overflows the database.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from ballot.clock import BEIJING, from_beijing

#: Ids and counts beyond this are refused (the largest 32-bit signed integer).
MAX_ID = 2**31 - 1
#: The assessments' years (the database checks the same range).
FIRST_YEAR, LAST_YEAR = 2000, 2100
#: Longest text read as a number or a time: far more than any real value needs.
MAX_NUMBER_TEXT = 32


def has_control(text: str) -> bool:
    """True when ``text`` holds a control character (C0, DEL or C1: tabs, line breaks, NUL...),
    which no name, position or county on a ballot or a report may contain."""
    return any(ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0 for c in text)


def whole_number(text: str | None, low: int = 0, high: int = MAX_ID) -> int | None:
    """The number written in ASCII digits, if it lies in [low, high]; otherwise None.

    ``str.isdigit`` alone accepts characters such as '²' that ``int`` refuses, and a huge value
    overflows the database's integer columns; both are simply not numbers here. Surrounding
    spaces are allowed.
    """
    text = (text or "").strip()
    if not text or len(text) > 10 or not (text.isascii() and text.isdigit()):
        return None
    value = int(text)
    return value if low <= value <= high else None


def record_id(text: str | None) -> int | None:
    """A database id (1 and up) from a URL or a form."""
    return whole_number(text, low=1)


def year(text: str | None) -> int | None:
    """An assessment year, 2000-2100."""
    return whole_number(text, FIRST_YEAR, LAST_YEAR)


def decimal_number(text: str | None, *, low: Decimal, high: Decimal, places: int
                   ) -> Decimal | None:
    """A decimal written in ASCII (``85``, ``85.5``, ``-1`` when ``low`` allows it) with at most
    ``places`` decimals, in [low, high]; otherwise None. Never a float, never NaN or infinity."""
    text = (text or "").strip()
    if not text or len(text) > MAX_NUMBER_TEXT or not text.isascii():
        return None
    if not all(c.isdigit() or c in "+-." for c in text):
        return None  # no exponents, no "NaN", no "Infinity", no spaces or underscores inside
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    if not value.is_finite() or -int(value.as_tuple().exponent) > places:
        return None
    return value if low <= value <= high else None


def score(text: str | None, places: int = 2) -> Decimal | None:
    """A score out of 100 (0-100, at most ``places`` decimals)."""
    return decimal_number(text, low=Decimal(0), high=Decimal(100), places=places)


def date(text: str | None) -> dt.date | None:
    """A date written 2026-01-31, within the assessments' years."""
    text = (text or "").strip()
    if not text or len(text) > 10:
        return None
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        return None
    return day if FIRST_YEAR <= day.year <= LAST_YEAR else None


def _moment(text: str | None) -> dt.datetime | None:
    """An ISO 8601 time, naive or with an offset, whose Beijing date lies in the assessments'
    years; None for anything else."""
    text = (text or "").strip()
    if not text or len(text) > MAX_NUMBER_TEXT:
        return None
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    local = moment.astimezone(BEIJING) if moment.tzinfo is not None else moment
    return moment if FIRST_YEAR <= local.year <= LAST_YEAR else None


def beijing_datetime(text: str | None) -> dt.datetime | None:
    """A time typed in Beijing time (a datetime-local field, ``2026-12-01T11:30``; an explicit
    offset such as ``+08:00`` is honoured) as naive UTC, within the assessments' years."""
    moment = _moment(text)
    return None if moment is None else from_beijing(moment)


def ratio(text: str | None, *, high: Decimal = Decimal(1), places: int = 4) -> Decimal | None:
    """A share written as a decimal (``0.18``) or a percentage (``18%``, ``18％``), as the share
    (``Decimal("0.18")``), in [0, high] with at most ``places`` decimals; otherwise None."""
    text = (text or "").strip()
    percent = text.endswith(("%", "％"))
    number = decimal_number(text[:-1] if percent else text, low=Decimal(0),
                            high=high * 100 if percent else high, places=places)
    if number is None:
        return None
    share = number / 100 if percent else number
    if -int(share.normalize().as_tuple().exponent) > places:
        return None
    return share


def datetime_with_offset(text: str | None) -> dt.datetime | None:
    """A time in ISO 8601 that states its UTC offset (``2026-12-01T11:30+08:00``), as naive UTC,
    within the assessments' years; None for anything else, a time without an offset included
    (the command line, where nothing says which zone a bare time is in)."""
    moment = _moment(text)
    return None if moment is None or moment.tzinfo is None else from_beijing(moment)
