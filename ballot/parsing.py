"""Reading small whole numbers from URLs and forms without ever raising; spotting control
characters in names."""

from __future__ import annotations

#: Ids and counts beyond this are refused (the largest 32-bit signed integer).
MAX_ID = 2**31 - 1


def has_control(text: str) -> bool:
    """True when ``text`` holds a control character (C0, DEL or C1: tabs, line breaks, NUL...),
    which no name, position or county on a ballot or a report may contain."""
    return any(ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0 for c in text)


def whole_number(text: str | None, low: int = 0, high: int = MAX_ID) -> int | None:
    """The number written in ASCII digits, if it lies in [low, high]; otherwise None.

    ``str.isdigit`` alone accepts characters such as '²' that ``int`` refuses, and a huge value
    overflows the database's integer columns; both are simply not numbers here.
    """
    if not text or len(text) > 10 or not (text.isascii() and text.isdigit()):
        return None
    value = int(text)
    return value if low <= value <= high else None
