"""Reading JSON-like values into exact typed values, with one clear error per bad field."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation

from tally.errors import InputError

_WHOLE = re.compile(r"[+-]?[0-9]+")

#: More places than this is a mistake, and exact arithmetic on 1E-999999999 would never end.
MAX_PLACES = 12


def describe(value: object) -> str:
    """Show a bad value the way it is written in JSON, so the user can find it in the file."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | Decimal):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, list | tuple):
        return "a list"
    return type(value).__name__


def as_mapping(value: object, path: str) -> Mapping[str, object]:
    """Require a JSON object."""
    if not isinstance(value, Mapping):
        raise InputError(path, f"must be an object, got {describe(value)}")
    return value


def check_keys(
    obj: Mapping[str, object], path: str, allowed: Iterable[str], required: Iterable[str] = ()
) -> None:
    """Refuse unknown keys (a typo would otherwise pass unnoticed) and missing required ones."""
    allowed_set = set(allowed)
    for key in obj:
        if key not in allowed_set:
            raise InputError(join(path, key), "unknown field")
    for key in required:
        if key not in obj:
            raise InputError(join(path, key), "is required")


def join(path: str, key: str) -> str:
    """Extend a field path: `join("members[0]", "D")` is "members[0].D"."""
    return f"{path}.{key}" if path else key


def as_decimal(
    value: object, path: str, low: Decimal | None = None, high: Decimal | None = None
) -> Decimal:
    """Read a number given as a JSON number or a string, exactly, as a Decimal (never a float)."""
    if isinstance(value, bool) or not isinstance(value, int | Decimal | str):
        raise InputError(path, f"must be a number, got {describe(value)}")
    try:
        number = Decimal(value.strip() if isinstance(value, str) else value)
    except InvalidOperation:
        raise InputError(path, f"must be a number, got {describe(value)}") from None
    if not number.is_finite():
        raise InputError(path, f"must be a number, got {describe(value)}")
    exponent = number.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -MAX_PLACES:
        raise InputError(
            path, f"must have at most {MAX_PLACES} decimal places, got {describe(value)}"
        )
    if (low is not None and number < low) or (high is not None and number > high):
        raise InputError(path, f"must be between {low} and {high}, got {describe(value)}")
    return number


def as_score(value: object, path: str) -> Decimal:
    """A score on the method's 100-point scale (A8)."""
    return as_decimal(value, path, Decimal(0), Decimal(100))


def as_whole(value: object, path: str, low: int = 0, high: int | None = None) -> int:
    """Read a whole number from a JSON integer or a string of digits; 40.0 and 1.5 are refused."""
    number: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and _WHOLE.fullmatch(value.strip()):
        number = int(value.strip())
    if high is None:
        wanted = f"a whole number >= {low}"
    else:
        wanted = f"a whole number from {low} to {high}"
    if number is None or number < low or (high is not None and number > high):
        raise InputError(path, f"must be {wanted}, got {describe(value)}")
    return number


def as_text(value: object, path: str, *, allow_empty: bool = False) -> str:
    """Read a string; names and ids must not be blank."""
    if not isinstance(value, str):
        raise InputError(path, f"must be a string, got {describe(value)}")
    if not allow_empty and not value.strip():
        raise InputError(path, "must not be empty")
    return value


def as_score_list(value: object, path: str) -> tuple[Decimal, ...]:
    """A list of scores from several scorers (L: city leaders, A8.3; H: the county heads, A8.4)."""
    if value is None:
        return ()
    if not isinstance(value, list | tuple):
        raise InputError(path, f"must be a list of scores, got {describe(value)}")
    return tuple(as_score(item, f"{path}[{index}]") for index, item in enumerate(value))
