"""Making accounts and signing in, with a limit on failed attempts."""

from __future__ import annotations

import datetime as dt
import re

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from ballot.accounts.models import LoginAttempt, Office, Role, User
from ballot.assessments.models import County
from ballot.clock import utcnow
from ballot.db import then
from ballot.errors import Refusal

#: Failed sign-ins allowed per name, and per address, within the window.
MAX_FAILURES_PER_NAME = 5
MAX_FAILURES_PER_ADDRESS = 20
FAILURE_WINDOW = dt.timedelta(minutes=15)
MIN_PASSWORD_LENGTH = 10
MAX_DISPLAY_NAME = 60
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,59}$")
# A fixed hash to compare against when the name is unknown, so timing does not tell names apart.
_DUMMY_HASH = generate_password_hash("not-a-real-password")


class AccountError(Refusal):
    """An account that cannot be made or changed as asked; the message says which field and
    why."""


class TooManyAttempts(Refusal):
    """Sign-in refused for a while after repeated failures."""

    status = 429

    def __init__(self) -> None:
        super().__init__(_l("登录失败次数过多，请 15 分钟后再试。"))


def check_password(password: str) -> None:
    """A new password is long enough (the only rule: a passphrase beats symbol rules)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(_l("密码：至少 %(n)s 个字符。", n=MIN_PASSWORD_LENGTH))


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
        raise AccountError(_l("用户名：2 至 60 个小写字母、数字或 . _ -，收到 “%(value)s”。",
                              value=username))
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise AccountError(_l("用户名：“%(value)s” 已被使用。", value=username))
    check_password(password)
    if role == Role.REVIEWER and office is None:
        raise AccountError(_l("部门：审核人必须选择所代表的部门。"))
    if role != Role.REVIEWER and office is not None:
        raise AccountError(_l("部门：只有审核人有所代表的部门。"))
    if len(display_name.strip()) > MAX_DISPLAY_NAME:
        raise AccountError(_l("姓名：最多 60 个字。"))
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

    A failure is counted in a transaction of its own once the request's has ended (``then``):
    the failed page rolls its own work back, and the count must survive it.
    """
    username = username.strip().lower()[:60]
    address = address[:64]
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
        then(session, lambda later: _count_failure(later, username, address))
        return None
    session.execute(delete(LoginAttempt).where(LoginAttempt.username == username))
    return user


def _count_failure(session: Session, username: str, address: str) -> None:
    session.add(LoginAttempt(username=username, address=address))
    session.flush()


def set_password(session: Session, user: User, password: str) -> None:
    check_password(password)
    user.password_hash = generate_password_hash(password)
    session.flush()
