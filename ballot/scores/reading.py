"""How a typed score reads, and what is wrong with one that does not (A8: 0-100, at most two
decimals): the one reading behind the score sheets (forms 4 and 5), the team's paper entry, and
P and T typed or imported (STYLE habit 14). The number itself comes from ``ballot.parsing``; each
page words the problem its own way.
"""

from __future__ import annotations

import re
from decimal import Decimal
from enum import StrEnum

from ballot import parsing

#: Decimals a score may have (A8's sheets and the offices' P and T alike).
PLACES = 2
#: What a score looks like: digits, a point with digits after it, a minus sign (which is then
#: out of range). No exponent, no "NaN", no leading "+" or ".", no point without digits after it.
_SHAPE = re.compile(r"-?[0-9]+(?:\.([0-9]+))?")
#: Full-width forms (a phone's Chinese keyboard types ８５．５) as their ASCII twins.
_FULLWIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}
#: Larger than any number ``parsing`` reads: only the range check below refuses.
_ANY = Decimal(10) ** parsing.MAX_NUMBER_TEXT


class ScoreProblem(StrEnum):
    """Why a typed text is no score."""

    EMPTY = "empty"
    NOT_A_NUMBER = "not_a_number"
    OUT_OF_RANGE = "out_of_range"
    TOO_MANY_DECIMALS = "too_many_decimals"


def halfwidth(text: str) -> str:
    """The text with full-width letters, digits and signs as ASCII, and trimmed."""
    return text.translate(_FULLWIDTH).strip()


def read_score(text: str | None) -> Decimal | ScoreProblem:
    """The score typed (full-width digits allowed), or why it is none.

    A number too long for ``parsing`` (5,000 digits) is out of range; a number both out of
    range and with too many decimals is reported out of range.
    """
    text = halfwidth(text or "")
    if not text:
        return ScoreProblem.EMPTY
    shape = _SHAPE.fullmatch(text)
    if shape is None:
        return ScoreProblem.NOT_A_NUMBER
    value = parsing.decimal_number(text, low=-_ANY, high=_ANY, places=parsing.MAX_NUMBER_TEXT)
    if value is None or not Decimal(0) <= value <= Decimal(100):
        return ScoreProblem.OUT_OF_RANGE
    if len(shape.group(1) or "") > PLACES:
        return ScoreProblem.TOO_MANY_DECIMALS
    return value if value else Decimal(0)  # "-0" is 0


def shown(text: str | None) -> str:
    """What was typed, trimmed and cut short for a message."""
    text = halfwidth(text or "")
    return text if len(text) <= 20 else text[:20] + "…"


def stored(score: Decimal) -> str:
    """A score as the database keeps it (``85.5``; never an exponent)."""
    return format(score, "f")
