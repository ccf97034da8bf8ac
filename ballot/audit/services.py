"""Appending to the audit log and checking its hash chain (A21), recording complaints (A22)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterator
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from ballot.accounts.models import User
from ballot.audit.models import AuditEntry
from ballot.clock import to_beijing, utcnow

GENESIS = "0" * 64


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def entry_hash(previous: str, entry: AuditEntry) -> str:
    """SHA-256 over the previous hash and everything the entry says."""
    content = _json([
        entry.at.isoformat(timespec="microseconds"), entry.user_id, entry.actor, entry.action,
        entry.assessment_id, entry.target, entry.before, entry.after,
    ])
    return hashlib.sha256((previous + content).encode()).hexdigest()


def record(
    session: Session,
    action: str,
    *,
    actor: User | None,
    assessment_id: int | None = None,
    target: str = "",
    before: Any = None,
    after: Any = None,
    actor_label: str | None = None,
) -> AuditEntry:
    """Append one entry in the caller's transaction (it commits with the change it describes).

    ``actor_label`` names an actor without an account, e.g. "scorer:张三" for a score sheet.
    """
    if session.get_bind().dialect.name == "postgresql":
        # One writer at a time extends the chain; released at commit or rollback.
        session.execute(text("SELECT pg_advisory_xact_lock(2122)"))
    previous = session.scalar(select(AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1))
    entry = AuditEntry(
        at=utcnow(),
        user_id=actor.id if actor else None,
        actor=actor.username if actor else (actor_label or "system"),
        action=action,
        assessment_id=assessment_id,
        target=target,
        before=_json(before),
        after=_json(after),
    )
    entry.hash = entry_hash(previous or GENESIS, entry)
    session.add(entry)
    session.flush()
    return entry


def verify_chain(session: Session) -> list[str]:
    """Problems found walking the log in order: an entry whose hash does not follow from the one
    before it was edited, or one before it was removed. Empty when the log is intact. In the
    language of the moment (the page's visitor, the CLI's operator), times in Beijing time."""
    problems = []
    previous = GENESIS
    for entry in _entries(session):
        if entry.hash != entry_hash(previous, entry):
            moment = to_beijing(entry.at).strftime("%Y-%m-%d %H:%M:%S")
            problems.append(_("第 %(id)s 条（%(action)s，%(at)s）与前一条接不上。",
                              id=entry.id, action=entry.action, at=moment))
        previous = entry.hash
    return problems


def _entries(session: Session) -> Iterator[AuditEntry]:
    yield from session.scalars(select(AuditEntry).order_by(AuditEntry.id).execution_options(
        yield_per=500))


def snapshot(obj: Any, fields: tuple[str, ...]) -> dict[str, Any]:
    """The named attributes of a model as a dict, for ``before``/``after``."""
    values = {}
    for name in fields:
        value = getattr(obj, name)
        values[name] = value.isoformat() if isinstance(value, dt.datetime) else value
    return values
