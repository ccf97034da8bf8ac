"""What the sign-in page and the admin's accounts page read (STYLE habit 14). The rules of an
account (name, password length, office) are the services', which the CLI shares; the forms
read the fields and refuse what no field may hold (control characters, overlong text)."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import PasswordField, SelectMultipleField

from ballot.forms import Form, TextField, WholeNumberField


def _county_choices() -> Any:
    """The counties picked in a multiple select, as typed (``admin_services`` resolves them)."""
    return SelectMultipleField(_l("县区范围"), validate_choice=False)


class SignInForm(Form):
    """Name and password, read as given: a wrong one is a failed attempt, never a form error
    (every failure counts towards the limit)."""

    username = TextField(_l("用户名"))
    password = PasswordField(_l("密码"), default="")


class AccountForm(Form):
    """A new account (``admin_services.create_account``)."""

    username = TextField(_l("用户名"), max_length=60)
    display_name = TextField(_l("姓名"), max_length=60)
    role = TextField(_l("角色"), max_length=20)
    office = TextField(_l("部门"), max_length=30)
    counties = _county_choices()
    password = PasswordField(_l("密码"), default="")


class ActiveForm(Form):
    """Enable (1) or disable (0) an account."""

    active = WholeNumberField(_l("状态"), required=True, low=0, high=1)


class PasswordForm(Form):
    """A new password for an account."""

    password = PasswordField(_l("密码"), default="")


class CountiesForm(Form):
    """The counties an account is limited to (none: every county)."""

    counties = _county_choices()
