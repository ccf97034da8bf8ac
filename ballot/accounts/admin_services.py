"""The admin's account changes, each audited (never a password or its hash)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from ballot.accounts.models import Office, Role, User
from ballot.accounts.services import AccountError, create_user, set_password
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
            raise AccountError(_l("县区：没有编号为 “%(value)s” 的县区。", value=raw))
        counties.append(county)
    return counties


def create_account(session: Session, actor: User, *, username: str, display_name: str, role: str,
                   office: str, county_ids: list[str], password: str) -> User:
    """A new account: reviewers need the office they sign for (A15); others have none. The
    name, the password and the office pairing are checked by ``create_user`` (the CLI's too)."""
    if role not in {r.value for r in Role}:
        raise AccountError(_l("角色：未知的角色 “%(value)s”。", value=role))
    office = office.strip()
    if role == Role.REVIEWER and office not in {o.value for o in Office}:
        raise AccountError(_l("部门：审核人必须选择所代表的部门。"))
    chosen = _counties(session, county_ids)
    user = create_user(session, username, password, Role(role), display_name=display_name,
                       office=Office(office) if role == Role.REVIEWER else None,
                       counties=chosen)
    record(session, "user.create", actor=actor, target=f"user:{user.id}", after=_describe(user))
    return user


def set_active(session: Session, actor: User, user: User, active: bool) -> None:
    """Disable (cannot sign in; their open session ends) or enable an account."""
    if user.id == actor.id and not active:
        raise AccountError(_l("不能停用自己的账号。"))
    before = _describe(user)
    user.active = active
    session.flush()
    record(session, "user.enable" if active else "user.disable", actor=actor,
           target=f"user:{user.id}", before=before, after=_describe(user))


def reset_password(session: Session, actor: User, user: User, password: str) -> None:
    """A new password; the log says that it changed, never what to."""
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
