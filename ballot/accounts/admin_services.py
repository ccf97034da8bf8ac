"""The admin's account changes, each audited (never a password or its hash)."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from ballot.accounts.models import Office, Role, User
from ballot.accounts.services import (
    MIN_PASSWORD_LENGTH,
    USERNAME,
    AccountError,
    create_user,
    set_password,
)
from ballot.assessments.models import County
from ballot.audit.services import record
from ballot.parsing import whole_number


def _describe(user: User) -> dict[str, object]:
    return {"username": user.username, "display_name": user.display_name, "role": user.role,
            "office": user.office, "counties": sorted(c.name for c in user.counties),
            "active": user.active}


def _counties(session: Session, county_ids: list[str]) -> list[County]:
    counties = []
    for raw in county_ids:
        county_id = whole_number(raw)
        county = session.get(County, county_id) if county_id is not None else None
        if county is None:
            raise AccountError(_("县区：没有编号为 “%(value)s” 的县区。", value=raw))
        counties.append(county)
    return counties


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(_("密码：至少 %(n)s 个字符。", n=MIN_PASSWORD_LENGTH))


def create_account(session: Session, actor: User, *, username: str, display_name: str, role: str,
                   office: str, county_ids: list[str], password: str) -> User:
    """A new account: reviewers need the office they sign for (A15); others have none."""
    username = username.strip().lower()
    if not USERNAME.match(username):
        raise AccountError(_("用户名：2 至 60 个小写字母、数字或 . _ -，收到 “%(value)s”。",
                             value=username))
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise AccountError(_("用户名：“%(value)s” 已被使用。", value=username))
    if role not in {r.value for r in Role}:
        raise AccountError(_("角色：未知的角色 “%(value)s”。", value=role))
    office = office.strip()
    if role == Role.REVIEWER and office not in {o.value for o in Office}:
        raise AccountError(_("部门：审核人必须选择所代表的部门。"))
    if role != Role.REVIEWER:
        office = ""
    _check_password(password)
    if len(display_name.strip()) > 60:
        raise AccountError(_("姓名：最多 60 个字。"))
    user = create_user(session, username, password, Role(role), display_name=display_name,
                       office=Office(office) if office else None,
                       counties=_counties(session, county_ids))
    record(session, "user.create", actor=actor, target=f"user:{user.id}", after=_describe(user))
    return user


def set_active(session: Session, actor: User, user: User, active: bool) -> None:
    """Disable (cannot sign in; their open session ends) or enable an account."""
    if user.id == actor.id and not active:
        raise AccountError(_("不能停用自己的账号。"))
    before = _describe(user)
    user.active = active
    session.flush()
    record(session, "user.enable" if active else "user.disable", actor=actor,
           target=f"user:{user.id}", before=before, after=_describe(user))


def reset_password(session: Session, actor: User, user: User, password: str) -> None:
    """A new password; the log says that it changed, never what to."""
    _check_password(password)
    set_password(session, user, password)
    record(session, "user.password_reset", actor=actor, target=f"user:{user.id}",
           after={"username": user.username})


def change_counties(session: Session, actor: User, user: User, county_ids: list[str]) -> None:
    """Limit the account to these counties (none: every county)."""
    before = _describe(user)
    user.counties = _counties(session, county_ids)
    session.flush()
    record(session, "user.counties", actor=actor, target=f"user:{user.id}", before=before,
           after=_describe(user))
