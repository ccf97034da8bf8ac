"""Publishing a closed evaluation's ballot box (SPEC "Ballots", verifiability): when it may be
downloaded, its public link, and a voter's tracker look-up.

The box itself is ``ballot.evaluations.box``; this module decides who gets it and when. Like
every service it flushes and never commits.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from typing import Any, cast
from urllib.parse import quote

from flask_babel import lazy_gettext as _l
from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session

from ballot.accounts.models import User
from ballot.audit.services import record
from ballot.errors import Refusal
from ballot.evaluations.box import has_box
from ballot.evaluations.floor import counts_visible
from ballot.evaluations.models import Ballot, Evaluation, State
from tally.box import normalize_tracker

#: Shown wherever a closed evaluation's digest would be, for one closed before the box existed.
NO_BOX = _l("无（加密票箱启用前结束）")
#: What ``secrets.token_urlsafe(32)`` gives: 43 characters of the URL-safe base64 alphabet.
_TOKEN = re.compile(r"[A-Za-z0-9_-]{43}")
#: Characters no file name may hold on the systems a box is saved to.
_UNSAFE_IN_NAME = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f\s]+')


def box_counts_visible(evaluation: Evaluation) -> bool:
    """Whether the evaluation's counts may be shown (SPEC "anonymity floor"): not withheld, or
    published by a recorded decision. The box carries the counts, so it follows the same rule.
    The one place this rule is read for the box pages: ``floor.counts_visible``."""
    return counts_visible(evaluation)


def box_refusal(evaluation: Evaluation) -> str | None:
    """Why the evaluation's box cannot be downloaded, or None when it can: ``not_closed``
    (results stay hidden until close), ``no_box`` (closed before the encrypted box existed) or
    ``withheld`` (fewer valid ballots than the anonymity floor, not yet published)."""
    if evaluation.state != State.CLOSED:
        return "not_closed"
    if not has_box(evaluation):
        return "no_box"
    if not box_counts_visible(evaluation):
        return "withheld"
    return None


def box_filenames(evaluation: Evaluation) -> tuple[str, str]:
    """(ASCII fallback, full name) of the download: ``box-<county>-<year>-<kind>-<id>.json``."""
    assessment = evaluation.assessment
    county = _UNSAFE_IN_NAME.sub("_", assessment.county.name).strip("._") or "county"
    tail = f"{assessment.year}-{evaluation.kind}-{evaluation.id}.json"
    return f"box-{tail}", f"box-{county}-{tail}"


def content_disposition(evaluation: Evaluation) -> str:
    """An attachment header every browser reads: a plain ASCII name, and the Chinese one in
    RFC 5987 form for those that understand it."""
    fallback, name = box_filenames(evaluation)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


def digest_blocks(digest: str, size: int = 8) -> list[str]:
    """A hex digest cut into blocks of ``size`` characters, to read out and compare."""
    return [digest[i : i + size] for i in range(0, len(digest), size)]


def digest_or_none(evaluation: Evaluation) -> str:
    """The digest of a closed evaluation's box, or the words for one closed before boxes."""
    if has_box(evaluation) and evaluation.box_digest:
        return evaluation.box_digest
    return str(NO_BOX)


class BoxLinkError(Refusal):
    """The public link cannot be made: ``reason`` is ``not_closed`` or ``no_box`` (the box
    pages show the same refusal as a download would, ``box_refusal``)."""

    status = 409

    def __init__(self, reason: str) -> None:
        message = (_l("测评尚未结束，不能生成票箱的公开链接。") if reason == "not_closed"
                   else _l("本次测评在加密票箱启用前结束，没有票箱，不能生成公开链接。"))
        super().__init__(message)
        self.reason = reason


def publish_link(session: Session, evaluation: Evaluation, actor: User | None) -> str:
    """Give the closed evaluation's box a public link, unless it has one (then that one stays:
    a link already handed out keeps working). Returns the link's token.

    One conditional UPDATE decides, so two clicks at once make one link (STYLE habit 3). The
    audit log records that a link was made, not the token."""
    reason = box_refusal(evaluation)
    if reason in ("not_closed", "no_box"):
        raise BoxLinkError(reason)
    token = secrets.token_urlsafe(32)
    made = cast("CursorResult[Any]", session.execute(
        update(Evaluation)
        .where(Evaluation.id == evaluation.id, Evaluation.state == State.CLOSED.value,
               Evaluation.box_public_token.is_(None))
        .values(box_public_token=token)
        .execution_options(synchronize_session=False)
    ))
    session.refresh(evaluation, ["box_public_token"])
    if made.rowcount == 1:
        record(session, "box.publish", actor=actor, assessment_id=evaluation.assessment_id,
               target=f"evaluation:{evaluation.id}", before={"public_link": False},
               after={"public_link": True, "box_digest": evaluation.box_digest})
    assert evaluation.box_public_token is not None
    return evaluation.box_public_token


def withdraw_link(session: Session, evaluation: Evaluation, actor: User | None) -> bool:
    """Withdraw the public link: its address answers 404 from now on. False if there was none."""
    cleared = cast("CursorResult[Any]", session.execute(
        update(Evaluation)
        .where(Evaluation.id == evaluation.id, Evaluation.box_public_token.is_not(None))
        .values(box_public_token=None)
        .execution_options(synchronize_session=False)
    ))
    session.refresh(evaluation, ["box_public_token"])
    if cleared.rowcount == 1:
        record(session, "box.withdraw", actor=actor, assessment_id=evaluation.assessment_id,
               target=f"evaluation:{evaluation.id}", before={"public_link": True},
               after={"public_link": False})
    return cleared.rowcount == 1


def evaluation_for_token(session: Session, token: str) -> Evaluation | None:
    """The closed evaluation a public link names, or None (malformed, withdrawn, never made)."""
    if not _TOKEN.fullmatch(token):
        return None
    evaluation = session.scalar(select(Evaluation).where(Evaluation.box_public_token == token))
    if evaluation is None or evaluation.state != State.CLOSED or not has_box(evaluation):
        return None
    return evaluation


def public_url(base_url: str, token: str) -> str:
    """The public link's absolute address: ``<base>/box/<token>``."""
    return f"{base_url.rstrip('/')}/box/{token}"


@dataclass(frozen=True)
class TrackerLookup:
    """A voter's look-up: what they typed, its printed form (None: not a tracker at all), and
    whether a ballot in the box has it."""

    typed: str
    tracker: str | None
    found: bool


def look_up_tracker(session: Session, evaluation: Evaluation, typed: str) -> TrackerLookup:
    """Is a ballot with this tracker in the box? Inclusion only: the tracker says nothing about
    the ballot's content, and the look-up reads one indexed row (ballot (evaluation_id, tracker))."""
    tracker = normalize_tracker(typed)
    if tracker is None:
        return TrackerLookup(typed, None, False)
    found = session.scalar(
        select(Ballot.id).where(Ballot.evaluation_id == evaluation.id, Ballot.tracker == tracker)
        .limit(1)
    ) is not None
    return TrackerLookup(typed, tracker, found)
