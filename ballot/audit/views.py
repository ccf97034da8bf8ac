"""Reading and filtering the audit log (A21); recording and resolving complaints and appeals (A22).

Nothing here edits or deletes an audit entry: there is no such page or command.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_babel import get_timezone
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
from ballot.accounts.models import Role
from ballot.audit import complaints as complaint_services
from ballot.audit.labels import COMPLAINT_KIND_LABELS, COMPLAINT_STATUS_LABELS
from ballot.audit.models import AuditEntry, Complaint
from ballot.audit.services import verify_chain
from ballot.db import get_session
from ballot.parsing import whole_number
from ballot.reports.services import local_time

bp = Blueprint("audit", __name__)

PER_PAGE = 50
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


def _utc_start(day: dt.date) -> dt.datetime:
    """Midnight of a local day (Asia/Shanghai), in naive UTC as stored."""
    local = dt.datetime.combine(day, dt.time.min).replace(tzinfo=get_timezone())
    return local.astimezone(dt.UTC).replace(tzinfo=None)


def _parse_filter() -> tuple[LogFilter, list[str]]:
    problems = []
    raw_assessment = request.args.get("assessment", "").strip()
    assessment_id = None
    if raw_assessment:
        assessment_id = whole_number(raw_assessment)
        if assessment_id is None:
            problems.append(_("考核编号：应为数字，收到 “%(value)s”。", value=raw_assessment))
    dates: dict[str, dt.date | None] = {}
    for key, label in (("from", _("起始日期")), ("to", _("截止日期"))):
        raw = request.args.get(key, "").strip()
        dates[key] = None
        if raw:
            try:
                dates[key] = dt.date.fromisoformat(raw)
                if not 2000 <= dates[key].year <= 2100:  # type: ignore[union-attr]
                    raise ValueError(raw)
            except ValueError:
                dates[key] = None
                problems.append(_("%(field)s：应为 2026-01-31 这样的日期，收到 “%(value)s”。",
                                  field=label, value=raw))
    return LogFilter(
        assessment_id=assessment_id,
        action=request.args.get("action", "").strip()[:60],
        account=request.args.get("account", "").strip()[:60],
        since=dates["from"],
        until=dates["to"],
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
        query = query.where(AuditEntry.at >= _utc_start(wanted.since))
    if wanted.until:
        query = query.where(AuditEntry.at < _utc_start(wanted.until + dt.timedelta(days=1)))
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
def log():  # type: ignore[no-untyped-def]
    db = get_session()
    wanted, problems = _parse_filter()
    raw_page = request.args.get("page", "1")
    page = whole_number(raw_page, 1, 1_000_000) or 1
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
        pretty=pretty, local_time=local_time, args=request.args,
    )
    return page_html, 400 if problems else 200


def _complaints_page(assessment_id: int, error: str | None = None, status: int = 200):  # type: ignore[no-untyped-def]
    assessment = assessment_for(assessment_id)
    user = current_user()
    assert user is not None
    items = complaint_services.list_complaints(get_session(), assessment)
    return render_template(
        "audit/complaints.html", assessment=assessment, complaints=items, error=error,
        may_handle=user.role in COMPLAINT_HANDLERS, form=request.form,
        COMPLAINT_KIND_LABELS=COMPLAINT_KIND_LABELS,
        COMPLAINT_STATUS_LABELS=COMPLAINT_STATUS_LABELS, NEXT=complaint_services.NEXT,
        local_time=local_time,
    ), status


@bp.get("/assessments/<int:assessment_id>/complaints")
@require(*READERS)
def complaints(assessment_id: int):  # type: ignore[no-untyped-def]
    return _complaints_page(assessment_id)


@bp.post("/assessments/<int:assessment_id>/complaints")
@require(*COMPLAINT_HANDLERS)
def record_complaint(assessment_id: int):  # type: ignore[no-untyped-def]
    """Record a complaint (检举) or appeal (申诉) against the assessment (A22)."""
    assessment = assessment_to_change(assessment_id, COMPLAINT_HANDLERS)
    db = get_session()
    user = current_user()
    assert user is not None
    try:
        complaint_services.record_complaint(
            db, assessment, user, request.form.get("kind", ""), request.form.get("raised_by", ""),
            request.form.get("summary", ""))
    except complaint_services.ComplaintError as problem:
        db.rollback()
        return _complaints_page(assessment_id, str(problem), 400)
    db.commit()
    return redirect(url_for("audit.complaints", assessment_id=assessment_id), 303)


@bp.post("/assessments/<int:assessment_id>/complaints/<int:complaint_id>")
@require(*COMPLAINT_HANDLERS)
def complaint_status(assessment_id: int, complaint_id: int):  # type: ignore[no-untyped-def]
    assessment = assessment_to_change(assessment_id, COMPLAINT_HANDLERS)
    db = get_session()
    complaint = db.get(Complaint, complaint_id)
    if complaint is None or complaint.assessment_id != assessment.id:
        abort(404)
    user = current_user()
    assert user is not None
    raw_version = request.form.get("version", "")
    try:
        version = whole_number(raw_version)
        if version is None:
            raise complaint_services.ComplaintError(_("页面已过期，请刷新后再试。"))
        complaint_services.change_status(
            db, complaint, user, request.form.get("status", ""),
            request.form.get("resolution", ""), version)
    except complaint_services.ComplaintError as problem:
        db.rollback()
        return _complaints_page(assessment_id, str(problem), 400)
    db.commit()
    return redirect(url_for("audit.complaints", assessment_id=assessment_id), 303)
