"""Time, in one place: the database stores naive UTC; people read and type Beijing time.

China has kept UTC+8 all year since 1991, so Beijing time is a fixed offset (no tz database
needed, and none to be out of date on an offline laptop). Every conversion between the two goes
through this module; tests move "now" by patching ``utcnow``.
"""

from __future__ import annotations

import datetime as dt

#: Beijing time, the time of every page, print-out and form (SPEC: the city's meetings).
BEIJING = dt.timezone(dt.timedelta(hours=8), "Asia/Shanghai")


def utcnow() -> dt.datetime:
    """Naive UTC now, as stored in the database."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def to_beijing(moment: dt.datetime) -> dt.datetime:
    """A stored moment (naive UTC) as naive Beijing wall time, for showing or printing."""
    return moment.replace(tzinfo=dt.UTC).astimezone(BEIJING).replace(tzinfo=None)


def from_beijing(local: dt.datetime) -> dt.datetime:
    """A Beijing wall time (naive, or aware in any zone) as naive UTC, for storing."""
    if local.tzinfo is None:
        local = local.replace(tzinfo=BEIJING)
    return local.astimezone(dt.UTC).replace(tzinfo=None)


def beijing_now() -> dt.datetime:
    """Naive Beijing wall time now."""
    return to_beijing(utcnow())


def beijing_year() -> int:
    """The current year in Beijing (the default assessment year)."""
    return beijing_now().year


def day_start(day: dt.date) -> dt.datetime:
    """Midnight at the start of a Beijing day, as naive UTC (a date filter's lower bound)."""
    return from_beijing(dt.datetime.combine(day, dt.time.min))
