"""Entering a paper ballot by its slip (SPEC "Ballots"): the slip must belong to this open
evaluation and be unused; the ballot goes into the same encrypted box as a phone's, through
``ballot.voting.services.cast_paper_ballot``, which spends the slip in the same transaction.

The audit log says who entered how many paper ballots (one ``ballot.paper`` entry each), never
their ratings. Services flush and never commit (STYLE habit 12).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ballot.accounts.models import User
from ballot.audit.models import AuditEntry
from ballot.errors import Refusal
from ballot.evaluations.models import Evaluation, Slip, State
from ballot.slips.credentials import credential_hash
from ballot.voting.ballot_view import NoBoxKey
from ballot.voting.services import (
    BallotProblem,
    SlipProblem,
    cast_paper_ballot,
    find_slip,
)

#: The audit action of one paper ballot entered (written by ``cast_paper_ballot``).
PAPER_ACTION = "ballot.paper"


class PaperRefusal(Refusal):
    """A paper ballot that cannot be entered, and why, for the clerk.

    ``reason`` is one of: ``no_code``, ``malformed``, ``other_evaluation``, ``unknown``,
    ``used`` (a problem with the slip's code: the ratings typed stay on the form so the clerk
    can fix the code), ``not_open`` or ``closed`` (the evaluation takes no ballots) and
    ``tampered`` (a field the page never sends).
    """

    #: Refusals caused by the slip's code.
    CODE_REASONS = frozenset({"no_code", "malformed", "other_evaluation", "unknown", "used"})

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason

    @property
    def about_the_code(self) -> bool:
        return self.reason in self.CODE_REASONS

    @property
    def message(self) -> str:
        return {
            "no_code": _("请扫描票签上的二维码，或输入票签上印的 28 位号码。"),
            "malformed": _("票签号码应为 28 位字母和数字（或扫描二维码得到的完整链接），"
                           "请核对后重新输入。"),
            "other_evaluation": _("这张票签属于另一场测评，不能录入到本次测评。"),
            "unknown": _("找不到这张票签，请核对号码后重新输入。"),
            "used": _("此票签已使用，不能再录入。"),
            "not_open": _("本次测评尚未开始，不能录入纸质票。"),
            "closed": _("本次测评已结束，不能再录入纸质票。"),
            "tampered": _("提交的选票包含不存在的被测评人或等次，未保存任何内容。请重新填写。"),
        }[self.reason]


def ensure_taking_ballots(evaluation: Evaluation) -> None:
    """Refuse unless the evaluation is open: a draft takes no ballot yet, a closed one none."""
    if evaluation.state == State.DRAFT:
        raise PaperRefusal("not_open")
    if not evaluation.accepts_ballots:
        raise PaperRefusal("closed")


def check_slip(session: Session, key: str, evaluation_id: int, credential: str) -> None:
    """Refuse unless ``credential`` is an unused slip of this evaluation, which is open.

    Reads only; ``cast_paper_ballot`` checks the slip again under the write lock.
    """
    owner = session.scalar(select(Slip.evaluation_id).where(
        Slip.credential_hash == credential_hash(key, credential)))
    if owner is None:
        raise PaperRefusal("unknown")
    if owner != evaluation_id:
        raise PaperRefusal("other_evaluation")
    try:
        find_slip(session, key, credential)
    except SlipProblem as problem:
        raise PaperRefusal(problem.reason) from None


@dataclass(frozen=True)
class PaperEntry:
    """A paper ballot stored: whether it counts (False: over the Excellent cap)."""

    evaluation_id: int
    valid: bool


def enter_paper_ballot(session: Session, key: str, evaluation_id: int, credential: str,
                       ratings: Mapping[int, str | None], actor: User | None) -> PaperEntry:
    """Store a paper ballot of this evaluation under its slip, spending the slip (not
    committed here). Over the Excellent cap it is stored as invalid (SPEC decision)."""
    check_slip(session, key, evaluation_id, credential)
    try:
        cast = cast_paper_ballot(session, key, credential, ratings, actor)
    except SlipProblem as problem:  # another clerk or a phone got there first
        raise PaperRefusal(problem.reason) from None
    except BallotProblem:
        raise PaperRefusal("tampered") from None
    except NoBoxKey:  # never opened with a box key: it takes no ballot
        raise PaperRefusal("not_open") from None
    return PaperEntry(cast.evaluation_id, valid=cast.tracker is not None)


def paper_ballot_count(session: Session, evaluation_id: int) -> int:
    """Paper ballots entered into the evaluation so far (its ``ballot.paper`` audit entries)."""
    return session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == PAPER_ACTION,
        AuditEntry.target == f"evaluation:{evaluation_id}")) or 0
