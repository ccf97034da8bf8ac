"""The A15 approval chain: the team proposes a frozen snapshot of form 6, the Organization
Department, Supervision Office and Poverty Alleviation Office each sign off or return it, the city
leading group deliberates, the city Party committee approves; afterwards only amendments.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from ballot.accounts.models import REVIEW_OFFICES, Office, Role, User
from ballot.assessments.models import Assessment, Member, Stage
from ballot.audit.services import record
from ballot.errors import Refusal
from ballot.evaluations.models import Evaluation, State
from ballot.labels import STAGE_LABELS
from ballot.results.models import GRADES, Amendment, ApprovalStep, ResultSnapshot
from ballot.results.services import (
    AMENDED,
    approved_figures,
    snapshot_payload,
    summarize,
)
from tally import Grade, Ranking, consequence_flags
from tally.scoring import Flag

#: Which office may take which actions, and at which stage (A15).
OFFICE_ACTIONS: dict[str, tuple[Stage, tuple[str, ...]]] = {
    Office.ORGANIZATION.value: (Stage.REVIEW, ("sign_off", "return")),
    Office.SUPERVISION.value: (Stage.REVIEW, ("sign_off", "return")),
    Office.POVERTY.value: (Stage.REVIEW, ("sign_off", "return")),
    Office.LEADING_GROUP.value: (Stage.DELIBERATION, ("deliberate", "return")),
    Office.PARTY_COMMITTEE.value: (Stage.APPROVAL, ("approve", "return")),
}
#: Where an action other than a sign-off moves the assessment (the last of the three offices'
#: sign-offs moves it to deliberation).
_NEXT_STAGE = {"deliberate": Stage.APPROVAL, "approve": Stage.APPROVED, "return": Stage.SETUP}
_CONSEQUENCES = (Flag.PRIORITY_PROMOTION, Flag.ADMONITION, Flag.ADJUSTMENT)


class ApprovalError(Refusal):
    """An approval action refused; ``status`` is 400 (bad input), 403 (not this account's to
    take) or 409 (not at this stage). Nothing was changed."""

    def __init__(self, message: object, status: int = 409) -> None:
        super().__init__(message)
        self.status = status


def check_move(assessment: Assessment, stage: Stage) -> Stage:
    """The assessment's stage now, once ``stage`` is known to be a legal A15 move from it
    (``Stage.may_move_to``); refused (409) otherwise."""
    current = Stage(assessment.stage)
    if not current.may_move_to(stage):
        raise ApprovalError(_l("审批流程不能从“%(before)s”转到“%(after)s”。",
                               before=STAGE_LABELS[current.value],
                               after=STAGE_LABELS[stage.value]))
    return current


def take_snapshot(session: Session, assessment: Assessment, actor: User,
                  payload: dict[str, Any]) -> ResultSnapshot:
    """Freeze ``payload`` (the snapshot JSON of results.services.snapshot_payload)."""
    snapshot = ResultSnapshot(assessment_id=assessment.id, user_id=actor.id,
                              payload=json.dumps(payload, ensure_ascii=False, sort_keys=True))
    session.add(snapshot)
    session.flush()
    return snapshot


def trail(session: Session, assessment: Assessment) -> list[ApprovalStep]:
    """Every step of the chain, oldest first."""
    return list(session.scalars(
        select(ApprovalStep).where(ApprovalStep.assessment_id == assessment.id)
        .order_by(ApprovalStep.id)
    ))


def current_proposal(session: Session, assessment: Assessment) -> ApprovalStep | None:
    """The newest proposal; steps before it (and sign-offs of earlier proposals) no longer count."""
    return session.scalar(
        select(ApprovalStep).where(ApprovalStep.assessment_id == assessment.id,
                                   ApprovalStep.action == "propose")
        .order_by(ApprovalStep.id.desc()).limit(1)
    )


def signed_off(session: Session, assessment: Assessment) -> set[str]:
    """The review offices that signed off the current proposal."""
    proposal = current_proposal(session, assessment)
    if proposal is None:
        return set()
    return set(session.scalars(
        select(ApprovalStep.office).where(
            ApprovalStep.assessment_id == assessment.id, ApprovalStep.action == "sign_off",
            ApprovalStep.id > proposal.id)
    ))


def waiting_for(session: Session, assessment: Assessment) -> list[str]:
    """Who acts next: "team" in setup, the review offices not yet signed off, the leading group,
    the Party committee, or nobody once approved."""
    stage = Stage(assessment.stage)
    if stage in (Stage.SETUP, Stage.PROPOSED):
        return ["team"]
    if stage is Stage.REVIEW:
        done = signed_off(session, assessment)
        return [office.value for office in REVIEW_OFFICES if office.value not in done]
    if stage is Stage.DELIBERATION:
        return [Office.LEADING_GROUP.value]
    if stage is Stage.APPROVAL:
        return [Office.PARTY_COMMITTEE.value]
    return []


def propose(session: Session, assessment: Assessment, actor: User, comment: str = ""
            ) -> ApprovalStep:
    """A15 first step: the team proposes the grades. Needs the inputs locked and every member
    graded; freezes form 6 as a snapshot and sends it to the three offices (stage review)."""
    if actor.role not in (Role.ADMIN, Role.TEAM):
        raise ApprovalError(_l("只有考核组可以提出考核等次建议。"), 403)
    if Stage(assessment.stage) is not Stage.SETUP:
        raise ApprovalError(_l("考核等次建议已经提出，正在审批中（或已审定），不能再次提出。"))
    if not assessment.inputs_locked:
        raise ApprovalError(_l("录入尚未锁定：请先锁定录入，再提出等次建议。"))
    if not assessment.members:
        raise ApprovalError(_l("名单为空，无法提出等次建议。"))
    open_evaluation = session.scalar(select(Evaluation.id).where(
        Evaluation.assessment_id == assessment.id, Evaluation.state == State.OPEN.value).limit(1))
    if open_evaluation is not None:
        raise ApprovalError(_l("还有进行中的测评，请先结束测评再提出等次建议。"))
    summary = summarize(session, assessment)
    if summary.undecided:
        names = "、".join(row.member.name for row in summary.undecided)
        raise ApprovalError(_l("还有成员没有等次，须先作出决定：%(names)s。", names=names))
    # A11.6/A12: whatever was decided on the way, the proposal never exceeds the quota.
    available = summary.result.quota.available
    if summary.excellent_count > available:
        raise ApprovalError(_l("“优秀”共 %(n)s 人，超过可用名额 %(available)s 人，请调整决定后再提出。",
                               n=summary.excellent_count, available=available))
    before = check_move(assessment, Stage.REVIEW)
    snapshot = take_snapshot(session, assessment, actor, snapshot_payload(summary))
    step = ApprovalStep(assessment_id=assessment.id, action="propose", office=None,
                        comment=comment.strip(), snapshot_id=snapshot.id, user_id=actor.id)
    session.add(step)
    assessment.stage = Stage.REVIEW
    session.flush()
    record(session, "approval.propose", actor=actor, assessment_id=assessment.id,
           target=f"assessment:{assessment.id}", before={"stage": before.value},
           after={"stage": Stage.REVIEW.value, "snapshot_id": snapshot.id,
                  "comment": step.comment})
    return step


def act(session: Session, assessment: Assessment, actor: User, action: str, comment: str = ""
        ) -> ApprovalStep:
    """One step of A15 by the actor's office on the current proposal: sign off or return
    (the three offices, stage review), deliberate or return (leading group), approve or return
    (Party committee). A return needs a comment and sends the results back to the team."""
    if action == "propose":
        return propose(session, assessment, actor, comment)
    if action not in ("sign_off", "return", "deliberate", "approve"):
        raise ApprovalError(_l("操作无效：%(action)s。", action=action), 400)
    if actor.role != Role.REVIEWER or actor.office not in OFFICE_ACTIONS:
        raise ApprovalError(_l("只有审核部门、领导小组或市委的账户可以审批。"), 403)
    stage, actions = OFFICE_ACTIONS[actor.office]
    if action not in actions:
        raise ApprovalError(_l("本部门不能执行此操作。"), 403)
    before = Stage(assessment.stage)
    if before is not stage:
        raise ApprovalError(_l("现在不是本部门审批的环节（当前：%(stage)s）。",
                               stage=STAGE_LABELS[before.value]))
    comment = comment.strip()
    if action == "return" and not comment:
        raise ApprovalError(_l("退回必须写明意见。"), 400)
    if len(comment) > 2000:
        raise ApprovalError(_l("意见最多 2000 字。"), 400)
    after = before
    if action == "sign_off":
        done = signed_off(session, assessment)
        if actor.office in done:
            raise ApprovalError(_l("本部门已经审核同意了当前的建议。"))
        if done | {actor.office} >= {office.value for office in REVIEW_OFFICES}:
            after = Stage.DELIBERATION
    else:
        after = _NEXT_STAGE[action]
    if after is not before:
        check_move(assessment, after)
    proposal = current_proposal(session, assessment)
    step = ApprovalStep(assessment_id=assessment.id, action=action, office=actor.office,
                        comment=comment, snapshot_id=proposal.snapshot_id if proposal else None,
                        user_id=actor.id)
    session.add(step)
    assessment.stage = after
    session.flush()
    record(session, f"approval.{action}", actor=actor, assessment_id=assessment.id,
           target=f"assessment:{assessment.id}", before={"stage": before.value},
           after={"stage": after.value, "office": actor.office, "comment": comment,
                  "snapshot_id": step.snapshot_id})
    return step


def amendments(session: Session, assessment: Assessment) -> list[Amendment]:
    """The corrections recorded after approval, oldest first."""
    return list(session.scalars(
        select(Amendment).where(Amendment.assessment_id == assessment.id).order_by(Amendment.id)
    ))


def amend(
    session: Session,
    assessment: Assessment,
    actor: User,
    member_id: int,
    grade: str,
    description: str,
    reason: str,
) -> Amendment:
    """A15: a correction after approval, never a silent edit: an Amendment with its reason and a
    new snapshot of the approved figures with the member's grade changed (A18/A19 consequences
    follow the new grade), audited. Refused before approval and beyond the Excellent quota."""
    if actor.role not in (Role.ADMIN, Role.TEAM):
        raise ApprovalError(_l("只有考核组可以登记更正。"), 403)
    figures = approved_figures(session, assessment)
    if figures is None:
        raise ApprovalError(_l("结果尚未审定：审定前请直接修改决定，无需登记更正。"))
    member = session.get(Member, member_id)
    entry = next((m for m in figures["members"] if m["id"] == member_id), None)
    if member is None or entry is None:
        raise ApprovalError(_l("成员：本次考核中没有编号为 %(id)s 的成员。", id=member_id), 400)
    description, reason, grade = description.strip(), reason.strip(), grade.strip()
    if grade not in GRADES:
        raise ApprovalError(_l("新等次：请选择等次。"), 400)
    if not description:
        raise ApprovalError(_l("更正内容：请说明更正了什么。"), 400)
    if not reason:
        raise ApprovalError(_l("理由：更正必须写明理由。"), 400)
    if len(description) > 2000 or len(reason) > 2000:
        raise ApprovalError(_l("更正内容和理由：每项最多 2000 字。"), 400)
    before = entry["grade"]
    if grade == before:
        raise ApprovalError(_l("%(name)s 的等次已经是这个等次，无需更正。", name=member.name), 400)
    payload = copy.deepcopy(figures)
    entry = next(m for m in payload["members"] if m["id"] == member_id)
    if grade == "excellent":
        available = payload["quota"]["available"]
        taken = sum(1 for m in payload["members"] if m["grade"] == "excellent")
        if taken + 1 > available:
            raise ApprovalError(_l(
                "新等次：优秀名额不足，不能把 %(name)s 更正为优秀。可用名额 %(available)s 个，"
                "已评优秀 %(taken)s 个。", name=member.name, available=available, taken=taken), 400)
    entry["grade"] = grade
    ranking = payload.get("ranking")
    flags = [f for f in entry["flags"] if f not in _CONSEQUENCES and f != AMENDED]
    flags += consequence_flags(
        Grade(grade), Grade(entry["previous_grade"]) if entry.get("previous_grade") else None,
        Ranking(**ranking) if ranking else None)
    entry["flags"] = [*flags, AMENDED]
    amendment = Amendment(assessment_id=assessment.id, member_id=member.id,
                          description=description, grade_before=before, grade_after=grade,
                          reason=reason, user_id=actor.id)
    session.add(amendment)
    session.flush()
    payload["amendments"] = [*payload.get("amendments", []), {
        "id": amendment.id, "member_id": member.id, "name": member.name,
        "grade_before": before, "grade_after": grade, "description": description,
        "reason": reason, "by": actor.display_name,
        "at": amendment.at.isoformat(timespec="seconds") if amendment.at else None,
    }]
    snapshot = take_snapshot(session, assessment, actor, payload)
    amendment.snapshot_id = snapshot.id
    session.flush()
    record(session, "amendment.record", actor=actor, assessment_id=assessment.id,
           target=f"member:{member.id}", before={"grade": before},
           after={"grade": grade, "description": description, "reason": reason,
                  "snapshot_id": snapshot.id})
    return amendment


def snapshot_of(session: Session, step: ApprovalStep) -> ResultSnapshot | None:
    """The snapshot a step acted on."""
    return None if step.snapshot_id is None else session.get(ResultSnapshot, step.snapshot_id)
