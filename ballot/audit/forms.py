"""What the audit log's filter and the complaints page read (STYLE habit 14)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import TextAreaField

from ballot.forms import DateField, Form, TextField, WholeNumberField


class LogFilterForm(Form):
    """The log page's filter, from the query string; every field may be empty."""

    assessment = WholeNumberField(_l("考核编号"), low=1)
    action = TextField(_l("操作（前缀）"), max_length=60)
    account = TextField(_l("账号"), max_length=60)
    since = DateField(_l("起始日期"), name="from")
    until = DateField(_l("截止日期"), name="to")


class ComplaintForm(Form):
    """A new complaint or appeal (A22); the service says what each field must hold."""

    kind = TextField(_l("类型"), max_length=20)
    raised_by = TextField(_l("提出人"), max_length=100)
    summary = TextAreaField(_l("内容"), default="")


class ComplaintStatusForm(Form):
    """Moving a complaint on: the status chosen, the resolution, and the version the person
    saw (a stale page changes nothing)."""

    status = TextField(_l("状态"), max_length=20)
    resolution = TextAreaField(_l("办理结果"), default="")
    version = WholeNumberField(_l("版本"))
