"""Who may do what: the signed-in account, role checks and county limits.

Every staff page goes through ``require`` (or ``assessment_for``); a test walks the whole URL
map to prove nothing but the voter, score-sheet and sign-in pages answers without an account.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import abort, current_app, g, redirect, request, session, url_for

from ballot.accounts.models import Role, User
from ballot.assessments.models import Assessment
from ballot.db import get_session

F = TypeVar("F", bound=Callable[..., Any])

#: Roles that may see an assessment's pages (team, reviewers, observers within their counties).
READERS = (Role.ADMIN, Role.TEAM, Role.REVIEWER, Role.OBSERVER)
#: Roles that may change an assessment's setup and inputs.
EDITORS = (Role.ADMIN, Role.TEAM)
#: Idle time after which a signed-in session ends.
IDLE_SECONDS = 30 * 60


def load_user() -> None:
    """Before each request: the signed-in account, or None; ends idle or disabled sessions."""
    g.user = None
    user_id = session.get("user_id")
    if user_id is None:
        return
    now = int(time.time())
    idle = current_app.config.get("IDLE_SECONDS", IDLE_SECONDS)
    if now - int(session.get("seen", 0)) > idle:
        session.pop("user_id", None)
        g.session_expired = True
        return
    user = get_session().get(User, user_id)
    if user is None or not user.active or session.get("pw") != password_mark(user):
        # Disabled, or the password changed since this session signed in: sign out.
        session.pop("user_id", None)
        return
    session["seen"] = now
    g.user = user


def password_mark(user: User) -> str:
    """A short piece of the password hash kept in the session: a new password ends old sessions."""
    return user.password_hash[-12:]


def current_user() -> User | None:
    user: User | None = g.get("user")
    return user


def may_see_county(user: User, county_id: int) -> bool:
    """Admins and observers see every county; others every county unless limited to some."""
    if user.role in (Role.ADMIN, Role.OBSERVER) or not user.counties:
        return True
    return any(c.id == county_id for c in user.counties)


def require(*roles: Role) -> Callable[[F], F]:
    """Decorator: sign-in needed (redirect), and one of ``roles`` (403 otherwise)."""

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            user = current_user()
            if user is None:
                return redirect(url_for("accounts.sign_in", next=request.full_path.rstrip("?")))
            if roles and user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        wrapped.required_roles = tuple(roles)  # type: ignore[attr-defined]
        return wrapped  # type: ignore[return-value]

    return decorator


def assessment_for(assessment_id: int, roles: tuple[Role, ...] = READERS) -> Assessment:
    """The assessment, if the signed-in account has one of ``roles`` and may see its county.
    Reads only; a change goes through ``assessment_to_change``."""
    return _load(assessment_id, roles, lock=False)


def assessment_to_change(assessment_id: int, roles: tuple[Role, ...] = EDITORS) -> Assessment:
    """The same, for a POST that changes the assessment: its row is held until the unit of work
    ends, so two staff actions on one assessment (two offices signing off, two quota
    decisions) run one after the other (PostgreSQL; SQLite's writers already queue, see
    ``ballot.db.begin_write``)."""
    return _load(assessment_id, roles, lock=True)


def _load(assessment_id: int, roles: tuple[Role, ...], lock: bool) -> Assessment:
    user = current_user()
    if user is None or user.role not in roles:
        abort(403)
    assessment = get_session().get(Assessment, assessment_id, with_for_update=lock,
                                   populate_existing=lock)
    if assessment is None:
        abort(404)
    if not may_see_county(user, assessment.county_id):
        abort(403)
    return assessment
