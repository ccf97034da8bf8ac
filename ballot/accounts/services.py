"""Making accounts and signing in, with a limit on failed attempts."""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from ballot.accounts.models import LoginAttempt, Office, Role, User
from ballot.assessments.models import County
from ballot.clock import utcnow

#: Failed sign-ins allowed per name, and per address, within the window.
MAX_FAILURES_PER_NAME = 5
MAX_FAILURES_PER_ADDRESS = 20
FAILURE_WINDOW = dt.timedelta(minutes=15)
MIN_PASSWORD_LENGTH = 10
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,59}$")
# A fixed hash to compare against when the name is unknown, so timing does not tell names apart.
_DUMMY_HASH = generate_password_hash("not-a-real-password")


class AccountError(Exception):
    """An account that cannot be made as asked; the message says which field and why."""


class TooManyAttempts(Exception):
    """Sign-in refused for a while after repeated failures."""


def create_user(
    session: Session,
    username: str,
    password: str,
    role: Role,
    *,
    display_name: str = "",
    office: Office | None = None,
    counties: list[County] | None = None,
) -> User:
    """A new account; reviewers need their office, others must not have one."""
    username = username.strip().lower()
    if not USERNAME.match(username):
        raise AccountError(
            f"username: 2-60 lower-case letters, digits, '.', '_' or '-', got {username!r}"
        )
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise AccountError(f"username: {username!r} is taken")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"password: at least {MIN_PASSWORD_LENGTH} characters")
    if (role == Role.REVIEWER) != (office is not None):
        raise AccountError("office: give an office for a reviewer, and only for a reviewer")
    user = User(
        username=username,
        display_name=display_name.strip() or username,
        password_hash=generate_password_hash(password),
        role=role.value,
        office=office.value if office else None,
        counties=list(counties or []),
    )
    session.add(user)
    session.flush()
    return user


def authenticate(session: Session, username: str, password: str, address: str) -> User | None:
    """The active account for these credentials, or None; TooManyAttempts after repeated failures.

    Each failure is recorded (and committed by the caller) whatever the outcome.
    """
    username = username.strip().lower()[:60]
    since = utcnow() - FAILURE_WINDOW
    by_name = session.scalar(
        select(func.count()).where(LoginAttempt.username == username, LoginAttempt.at >= since)
    )
    by_address = session.scalar(
        select(func.count()).where(LoginAttempt.address == address, LoginAttempt.at >= since)
    )
    if (by_name or 0) >= MAX_FAILURES_PER_NAME or (by_address or 0) >= MAX_FAILURES_PER_ADDRESS:
        raise TooManyAttempts
    user = session.scalar(select(User).where(User.username == username))
    valid = check_password_hash(user.password_hash if user else _DUMMY_HASH, password)
    if user is None or not valid or not user.active:
        session.add(LoginAttempt(username=username, address=address[:64]))
        session.flush()
        return None
    session.execute(delete(LoginAttempt).where(LoginAttempt.username == username))
    return user


def set_password(session: Session, user: User, password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"password: at least {MIN_PASSWORD_LENGTH} characters")
    user.password_hash = generate_password_hash(password)
    session.flush()
