"""What a voter's pages show about an evaluation, loaded once per process.

An evaluation's roster, Excellent cap, county and year never change once it exists (the roster
is frozen by ``replace_roster``), so the voting pages read them from this cache instead of the
database on every request; only the slip and the evaluation's state are read each time.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar, cast

from sqlalchemy import select
from sqlalchemy.orm import Session

from ballot.assessments.models import Assessment, County, Member
from ballot.evaluations.models import Evaluation
from tally import box

#: Per database engine (tests run many databases in one process): evaluation id -> view.
_CACHE: weakref.WeakKeyDictionary[object, dict[int, BallotView]] = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()
_MAX = 512


@dataclass(frozen=True)
class MemberView:
    id: int
    name: str
    position: str
    portfolio: str

    @property
    def field(self) -> str:
        """The form field carrying this member's rating."""
        return f"m{self.id}"


@dataclass(frozen=True)
class BallotView:
    id: int
    kind: str
    county_name: str
    year: int
    excellent_cap: int | None
    members: tuple[MemberView, ...]


def ballot_view(session: Session, evaluation_id: int) -> BallotView:
    """The evaluation as the ballot shows it (cached per process)."""
    engine = session.get_bind()
    cache = _CACHE.get(engine)
    view = cache.get(evaluation_id) if cache is not None else None
    if view is not None:
        return view
    kind, cap, county_name, year = session.execute(
        select(Evaluation.kind, Evaluation.excellent_cap, County.name, Assessment.year)
        .join(Assessment, Assessment.id == Evaluation.assessment_id)
        .join(County, County.id == Assessment.county_id)
        .where(Evaluation.id == evaluation_id)
    ).one()
    members = tuple(
        MemberView(*row) for row in session.execute(
            select(Member.id, Member.name, Member.position, Member.portfolio)
            .join(Evaluation, Evaluation.assessment_id == Member.assessment_id)
            .where(Evaluation.id == evaluation_id)
            .order_by(Member.order)
        )
    )
    view = BallotView(evaluation_id, kind, county_name, year, cap, members)
    with _LOCK:
        cache = _CACHE.setdefault(engine, {})
        if len(cache) >= _MAX:
            cache.clear()
        cache[evaluation_id] = view
    return view


#: Per engine: evaluation id -> its box encryptor (public keys parsed once).
_ENCRYPTORS: weakref.WeakKeyDictionary[object, dict[int, box.Encryptor]] = (
    weakref.WeakKeyDictionary()
)


class NoBoxKey(Exception):
    """The evaluation has no public keys: it was never opened."""


def encryptor(session: Session, evaluation_id: int) -> box.Encryptor:
    """The evaluation's encryptor (cached per process: public keys never change once open)."""
    engine = session.get_bind()
    cache = _ENCRYPTORS.get(engine)
    found = cache.get(evaluation_id) if cache is not None else None
    if found is not None:
        return found
    keys = session.execute(
        select(Evaluation.box_keys).where(Evaluation.id == evaluation_id)).scalar_one_or_none()
    if not keys:
        raise NoBoxKey(evaluation_id)
    found = box.Encryptor(bytes(keys))
    with _LOCK:
        cache = _ENCRYPTORS.setdefault(engine, {})
        if len(cache) >= _MAX:
            cache.clear()
        cache[evaluation_id] = found
    return found


#: Per engine: things rendered from a frozen evaluation (and a language), by key.
_RENDERED: weakref.WeakKeyDictionary[object, dict[tuple[object, ...], object]] = (
    weakref.WeakKeyDictionary()
)

T = TypeVar("T")
_MISSING = object()


def rendered(session: Session, key: tuple[object, ...], render: Callable[[], T]) -> T:
    """``render()``'s result, made once per process for ``key``. The key must name everything
    the result depends on (the evaluation, the language, ...). Nothing here is ever refreshed:
    templates and catalogs are read at start-up (restart the server after changing them), and
    an evaluation's roster and wording never change once it exists."""
    engine = session.get_bind()
    cache = _RENDERED.get(engine)
    found = cache.get(key, _MISSING) if cache is not None else _MISSING
    if found is not _MISSING:
        return cast(T, found)
    value = render()
    with _LOCK:
        cache = _RENDERED.setdefault(engine, {})
        if len(cache) >= _MAX:
            cache.clear()
        cache[key] = value
    return value
