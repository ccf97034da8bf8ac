"""Reading and filtering the audit log (A21); recording and resolving complaints and appeals (A22).

Nothing here edits or deletes an audit entry: there is no such page or command. A refused
complaint answers 400 with the page and the reason, so nothing of it is kept.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.sql import Select

from ballot.accounts.access import (
    READERS,
    assessment_for,
    assessment_to_change,
    current_user,
    require,
)
from ballot.accounts.models import Role, User
from ballot.audit import complaints as complaint_services
from ballot.audit.forms import ComplaintForm, ComplaintStatusForm, LogFilterForm
from ballot.audit.labels import COMPLAINT_KIND_LABELS, COMPLAINT_STATUS_LABELS
from ballot.audit.models import AuditEntry, Complaint
from ballot.audit.services import verify_chain
from ballot.clock import day_start, to_beijing
from ballot.db import get_session
from ballot.parsing import whole_number

bp = Blueprint("audit", __name__)

PER_PAGE = 50
#: Pages beyond this are not asked for by any link; a larger number shows the first page.
LAST_PAGE = 1_000_000
#: Up to this many entries the chain is checked on every visit; beyond, on request.
VERIFY_ALWAYS_UP_TO = 5000
#: Who may record complaints and move them on (A22); observers and other readers only read.
COMPLAINT_HANDLERS = (Role.ADMIN, Role.TEAM, Role.REVIEWER)


@dataclass(frozen=True)
class LogFilter:
    assessment_id: int | None = None
    action: str = ""
    account: str = ""
    since: dt.date | None = None
    until: dt.date | None = None

    def args(self) -> dict[str, Any]:
        """The filter as query parameters, for the pager links."""
        values = {"assessment": self.assessment_id, "action": self.action,
                  "account": self.account, "from": self.since, "to": self.until}
        return {k: v for k, v in values.items() if v not in (None, "")}


def _parse_filter() -> tuple[LogFilter, list[str]]:
    """The filter asked for, and what is wrong with it (then nothing is listed)."""
    form = LogFilterForm(request.args)
    problems = [] if form.validate() else form.problems()
    return LogFilter(
        assessment_id=form.assessment.data,
        action=form.action.data,
        account=form.account.data,
        since=form.since.data,
        until=form.until.data,
    ), problems


def _filtered(query: Select[Any], wanted: LogFilter) -> Select[Any]:
    if wanted.assessment_id is not None:
        query = query.where(AuditEntry.assessment_id == wanted.assessment_id)
    if wanted.action:
        escaped = wanted.action.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(AuditEntry.action.like(escaped + "%", escape="\\"))
    if wanted.account:
        query = query.where(AuditEntry.actor == wanted.account.lower())
    if wanted.since:
        query = query.where(AuditEntry.at >= day_start(wanted.since))
    if wanted.until:
        query = query.where(AuditEntry.at < day_start(wanted.until + dt.timedelta(days=1)))
    return query


def pretty(value: str) -> str:
    """Stored JSON, indented for reading; "" for null."""
    try:
        parsed = json.loads(value)
    except (TypeError, ValueError):
        return value
    if parsed is None:
        return ""
    return json.dumps(parsed, ensure_ascii=False, indent=2, sort_keys=True)


@bp.get("/audit")
@require(Role.ADMIN, Role.OBSERVER)
def log() -> ResponseReturnValue:
    db = get_session()
    wanted, problems = _parse_filter()
    page = whole_number(request.args.get("page"), 1, LAST_PAGE) or 1
    total_entries = db.scalar(select(func.count()).select_from(AuditEntry)) or 0
    chain: list[str] | None = None
    if request.args.get("verify") == "1" or total_entries <= VERIFY_ALWAYS_UP_TO:
        chain = verify_chain(db)
    entries: list[AuditEntry] = []
    matching = 0
    if not problems:
        matching = db.scalar(_filtered(select(func.count()).select_from(AuditEntry), wanted)) or 0
        entries = list(db.scalars(
            _filtered(select(AuditEntry), wanted).order_by(AuditEntry.id.desc())
            .limit(PER_PAGE).offset((page - 1) * PER_PAGE)))
    pages = max(1, (matching + PER_PAGE - 1) // PER_PAGE)
    page_html = render_template(
        "audit/log.html", entries=entries, wanted=wanted, problems=problems, page=page,
        pages=pages, matching=matching, total_entries=total_entries, chain=chain,
        pretty=pretty, local_time=to_beijing, args=request.args,
    )
    return page_html, 400 if problems else 200


def _handler() -> User:
    user = current_user()
    assert user is not None  # require() let only a signed-in account in
    return user


def _complaints_page(assessment_id: int, error: str | None = None,
                     status: int = 200) -> ResponseReturnValue:
    assessment = assessment_for(assessment_id)
    items = complaint_services.list_complaints(get_session(), assessment)
    return render_template(
        "audit/complaints.html", assessment=assessment, complaints=items, error=error,
        may_handle=_handler().role in COMPLAINT_HANDLERS, form=request.form,
        COMPLAINT_KIND_LABELS=COMPLAINT_KIND_LABELS,
        COMPLAINT_STATUS_LABELS=COMPLAINT_STATUS_LABELS, NEXT=complaint_services.NEXT,
        local_time=to_beijing,
    ), status


@bp.get("/assessments/<int:assessment_id>/complaints")
@require(*READERS)
def complaints(assessment_id: int) -> ResponseReturnValue:
    return _complaints_page(assessment_id)


@bp.post("/assessments/<int:assessment_id>/complaints")
@require(*COMPLAINT_HANDLERS)
def record_complaint(assessment_id: int) -> ResponseReturnValue:
    """Record a complaint (检举) or appeal (申诉) against the assessment (A22)."""
    assessment = assessment_to_change(assessment_id, COMPLAINT_HANDLERS)
    form = ComplaintForm(request.form)
    try:
        if not form.validate():
            raise complaint_services.ComplaintError(form.problems()[0])
        complaint_services.record_complaint(
            get_session(), assessment, _handler(), form.kind.data, form.raised_by.data,
            form.summary.data or "")
    except complaint_services.ComplaintError as problem:
        return _complaints_page(assessment_id, str(problem), 400)
    return redirect(url_for("audit.complaints", assessment_id=assessment_id), 303)


@bp.post("/assessments/<int:assessment_id>/complaints/<int:complaint_id>")
@require(*COMPLAINT_HANDLERS)
def complaint_status(assessment_id: int, complaint_id: int) -> ResponseReturnValue:
    assessment = assessment_to_change(assessment_id, COMPLAINT_HANDLERS)
    db = get_session()
    complaint = db.get(Complaint, complaint_id)
    if complaint is None or complaint.assessment_id != assessment.id:
        abort(404)
    form = ComplaintStatusForm(request.form)
    try:
        if form.version.data is None:  # the hidden field of a page from before, or made up
            raise complaint_services.ComplaintError(_("页面已过期，请刷新后再试。"))
        if not form.validate():
            raise complaint_services.ComplaintError(form.problems()[0])
        complaint_services.change_status(
            db, complaint, _handler(), form.status.data, form.resolution.data or "",
            form.version.data)
    except complaint_services.ComplaintError as problem:
        return _complaints_page(assessment_id, str(problem), 400)
    return redirect(url_for("audit.complaints", assessment_id=assessment_id), 303)
