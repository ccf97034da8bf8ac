"""The anonymity floor (SPEC "Ballots", Decision: anonymity floor).

An evaluation with fewer than k valid ballots (``Assessment.anonymity_floor``, default 5, never
below 3) would show near-individual ratings, so its per-member counts and vote scores stay
withheld, from everyone and everywhere, until the team records a decision (reason, author) to
publish them. ``close_evaluation`` decides whether an evaluation is withheld, once, at close;
this module says who may see what afterwards and records the decision to publish.

Every page, file and command that shows a closed evaluation's per-member counts, its vote
scores or its published box (the result section holds the decrypted sums) asks
:func:`counts_visible` first.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, cast

from flask_babel import gettext as _
from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session

from ballot.accounts.models import User
from ballot.assessments.models import Assessment
from ballot.assessments.services import LockedError, ensure_decisions_open
from ballot.audit.services import record
from ballot.clock import utcnow
from ballot.errors import Refusal
from ballot.evaluations.models import Evaluation, State

#: Longest reason for publishing withheld counts (the column's size).
MAX_REASON = 500


class FloorError(Refusal):
    """A decision to publish refused; the message (translated) says why, nothing was written."""


def counts_visible(evaluation: Evaluation) -> bool:
    """True when the evaluation's per-member counts, vote scores and box may be shown to anyone.

    Only a closed evaluation has counts; a closed one whose valid ballots fell below the
    anonymity floor shows them only once the team recorded its decision to publish them.
    """
    if evaluation.state != State.CLOSED:
        return False
    return not evaluation.counts_withheld or evaluation.counts_published_at is not None


def withheld(evaluation: Evaluation) -> bool:
    """Closed below the anonymity floor and not (yet) published by a recorded decision."""
    return evaluation.state == State.CLOSED and not counts_visible(evaluation)


def valid_ballots(evaluation: Evaluation) -> int:
    """Valid ballots of a closed evaluation (all ballots stored, less the invalid ones)."""
    return (evaluation.ballots_cast or 0) - (evaluation.invalid_ballots or 0)


def withheld_kinds(session: Session, assessment: Assessment) -> set[str]:
    """The kinds (democratic, interview) with a closed evaluation whose counts are withheld.

    Counts of one kind are summed over its closed evaluations (A8.5, A8.6); a sum that includes
    a withheld evaluation, shown beside another evaluation's own counts, would give the withheld
    one away by subtraction. So one withheld evaluation withholds its whole kind.
    """
    return set(session.scalars(
        select(Evaluation.kind).where(
            Evaluation.assessment_id == assessment.id,
            Evaluation.state == State.CLOSED.value,
            Evaluation.counts_withheld.is_(True),
            Evaluation.counts_published_at.is_(None),
        ).distinct()
    ))


@dataclass(frozen=True)
class SlipShortfall:
    """Fewer slips issued than the anonymity floor: the evaluation cannot reach k valid ballots."""

    issued: int
    floor: int


def below_floor(evaluation: Evaluation, issued: int) -> SlipShortfall | None:
    """A warning, never a refusal: a draft or open evaluation with fewer than k slips issued
    will close with fewer than k valid ballots, so its counts will be withheld (SPEC)."""
    floor = evaluation.assessment.anonymity_floor
    if evaluation.state == State.CLOSED or issued >= floor:
        return None
    return SlipShortfall(issued=issued, floor=floor)


@dataclass(frozen=True)
class Publication:
    """The recorded decision that published withheld counts."""

    reason: str
    author: str
    at: dt.datetime


def publication(session: Session, evaluation: Evaluation) -> Publication | None:
    """Who published the evaluation's withheld counts, why and when; None if nobody did."""
    if evaluation.counts_published_at is None:
        return None
    author = (session.get(User, evaluation.counts_published_by_id)
              if evaluation.counts_published_by_id is not None else None)
    return Publication(reason=evaluation.counts_published_reason or "",
                       author=author.display_name if author else "—",
                       at=evaluation.counts_published_at)


def publish_counts(session: Session, evaluation: Evaluation, reason: str, actor: User) -> None:
    """Record the team's decision to publish the withheld counts of a closed evaluation.

    Refused (FloorError, nothing written) without a reason or with one over 500 characters,
    for an evaluation that is not closed or whose counts are not withheld, and once the results
    are in the A15 approval chain (the proposal's figures are fixed there). The decision is one
    UPDATE guarded by "still withheld", so two team members publishing at once record it once.
    """
    reason = reason.strip()
    if evaluation.state != State.CLOSED:
        raise FloorError(_("测评尚未结束，没有可公开的票数。"))
    if not evaluation.counts_withheld:
        raise FloorError(_("本次测评有效票不少于匿名下限，票数已经公开，无需决定。"))
    if evaluation.counts_published_at is not None:
        raise FloorError(_("本次测评的票数已经由考核组决定公开。"))
    try:
        ensure_decisions_open(evaluation.assessment)
    except LockedError:
        raise FloorError(_("考核结果已进入审批流程，不能再决定公开票数。")) from None
    if not reason:
        raise FloorError(_("理由：决定公开票数必须写明理由。"))
    if len(reason) > MAX_REASON:
        raise FloorError(_("理由：不能超过 %(max)s 个字，现有 %(n)s 个字。",
                           max=MAX_REASON, n=len(reason)))
    now = utcnow()
    published = cast("CursorResult[Any]", session.execute(
        update(Evaluation)
        .where(Evaluation.id == evaluation.id, Evaluation.counts_withheld.is_(True),
               Evaluation.counts_published_at.is_(None))
        .values(counts_published_by_id=actor.id, counts_published_reason=reason,
                counts_published_at=now)
        .execution_options(synchronize_session=False)
    ))
    if published.rowcount != 1:
        raise FloorError(_("本次测评的票数已经由考核组决定公开。"))
    session.refresh(evaluation)
    record(session, "evaluation.publish_counts", actor=actor,
           assessment_id=evaluation.assessment_id, target=f"evaluation:{evaluation.id}",
           before={"counts_withheld": True, "published": False},
           after={"published": True, "reason": reason, "by": actor.username,
                  "author": actor.display_name, "valid_ballots": valid_ballots(evaluation),
                  "at": now.isoformat(timespec="seconds")})
