"""Complaints (检举) and appeals (申诉) against an assessment, tracked to a resolution (A22).

Each change is audited in the same transaction; a resolved one never changes again.
"""

from __future__ import annotations

from typing import Any, cast

from flask_babel import lazy_gettext as _l
from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session

from ballot.accounts.models import User
from ballot.assessments.models import Assessment
from ballot.audit.models import Complaint
from ballot.audit.services import record, snapshot
from ballot.clock import utcnow
from ballot.errors import Refusal

KINDS = ("complaint", "appeal")
STATUSES = ("open", "investigating", "resolved")
#: Where each status may go next; resolved is final.
NEXT = {"open": ("investigating", "resolved"), "investigating": ("resolved",), "resolved": ()}
_FIELDS = ("kind", "raised_by", "summary", "status", "resolution", "version")


class ComplaintError(Refusal):
    """A complaint change that is not allowed or not complete; the message says why."""


def list_complaints(session: Session, assessment: Assessment) -> list[Complaint]:
    """The assessment's complaints and appeals, newest first."""
    return list(session.scalars(
        select(Complaint).where(Complaint.assessment_id == assessment.id)
        .order_by(Complaint.id.desc())))


def record_complaint(session: Session, assessment: Assessment, actor: User, kind: str,
                     raised_by: str, summary: str) -> Complaint:
    """A new open complaint or appeal; ``raised_by`` may be empty (anonymous)."""
    kind, raised_by, summary = kind.strip(), raised_by.strip(), summary.strip()
    if kind not in KINDS:
        raise ComplaintError(_l("类型：应为检举或申诉，收到 “%(value)s”。", value=kind))
    if len(raised_by) > 100:
        raise ComplaintError(_l("提出人：最多 100 个字。"))
    if not summary:
        raise ComplaintError(_l("内容：请填写检举或申诉的内容。"))
    if len(summary) > 5000:
        raise ComplaintError(_l("内容：最多 5000 个字。"))
    complaint = Complaint(assessment_id=assessment.id, kind=kind, raised_by=raised_by,
                          summary=summary, status="open", recorded_by=actor.id,
                          recorded_at=utcnow(), version=0)
    session.add(complaint)
    session.flush()
    record(session, "complaint.record", actor=actor, assessment_id=assessment.id,
           target=f"complaint:{complaint.id}", after=snapshot(complaint, _FIELDS))
    return complaint


def change_status(session: Session, complaint: Complaint, actor: User, status: str,
                  resolution: str, version: int) -> None:
    """Move a complaint on (open -> investigating -> resolved; open may be resolved at once).

    Resolving needs the resolution text. ``version`` is what the person saw: if someone changed
    the complaint since, nothing is written (one UPDATE decides).
    """
    resolution = resolution.strip()
    if status not in STATUSES:
        raise ComplaintError(_l("状态：未知的状态 “%(value)s”。", value=status))
    if complaint.status == "resolved":
        raise ComplaintError(_l("第 %(n)s 号已办结，不能再更改。", n=complaint.id))
    if status not in NEXT[complaint.status]:
        raise ComplaintError(_l("状态：第 %(n)s 号不能从当前状态改为所选状态。", n=complaint.id))
    if status == "resolved" and not resolution:
        raise ComplaintError(_l("办理结果：办结时必须填写办理结果。"))
    if len(resolution) > 5000:
        raise ComplaintError(_l("办理结果：最多 5000 个字。"))
    before = snapshot(complaint, _FIELDS)
    values: dict[str, object] = {"status": status, "version": version + 1}
    if status == "resolved":
        values.update(resolution=resolution, resolved_by=actor.id, resolved_at=utcnow())
    changed = cast("CursorResult[Any]", session.execute(
        update(Complaint)
        .where(Complaint.id == complaint.id, Complaint.version == version,
               Complaint.status != "resolved")
        .values(**values)
        .execution_options(synchronize_session=False)
    ))
    if changed.rowcount != 1:
        raise ComplaintError(_l("第 %(n)s 号已被他人更新，请刷新页面后再试。", n=complaint.id))
    session.refresh(complaint)
    record(session, "complaint.status", actor=actor, assessment_id=complaint.assessment_id,
           target=f"complaint:{complaint.id}", before=before,
           after=snapshot(complaint, _FIELDS))
