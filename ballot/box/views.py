"""The box, published (SPEC "Ballots", verifiability): the team's download, the public link the
team hands out, and the public page where anyone downloads the box or looks a tracker up.

Every box URL is refused before close, for an evaluation closed before the encrypted box existed,
and while its counts are withheld (anonymity floor). The public pages need no sign-in and, like
the voter's pages, are logged without the visitor's address (ballot/gunicorn_logging.py).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from flask import (
    Blueprint,
    Response,
    current_app,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from markupsafe import Markup

from ballot.accounts.access import EDITORS, READERS, current_user, require
from ballot.box.services import (
    BoxLinkError,
    box_counts_visible,
    box_refusal,
    content_disposition,
    digest_blocks,
    digest_or_none,
    evaluation_for_token,
    look_up_tracker,
    public_url,
    publish_link,
    withdraw_link,
)
from ballot.db import get_session
from ballot.errors import render_error
from ballot.evaluations.access import evaluation_for, evaluation_to_change
from ballot.evaluations.box import box_chunks, has_box
from ballot.evaluations.models import Evaluation
from ballot.slips.printing import qr_svg
from tally.box import RATINGS

bp = Blueprint("box", __name__)


def _refused(reason: str) -> ResponseReturnValue:
    """The page a refused box URL shows: what is wrong, and when it will be available."""
    title = _("票箱不公开")
    if reason == "not_closed":
        return render_error(409, title, _("测评尚未结束，票箱不公开。测评结束后才能下载票箱。"))
    if reason == "no_box":
        return render_error(409, _("没有票箱"), _(
            "本次测评在加密票箱启用前结束，没有可下载的票箱。"))
    return render_error(403, title, _(
        "本次测评的有效票少于匿名下限，票数暂不公开，票箱也不公开。"
        "考核组记录公布决定后即可下载。"))


def _box_response(evaluation: Evaluation) -> Response:
    """The box file, streamed: the bytes whose SHA-256 is ``evaluation.box_digest``."""
    chunks = box_chunks(get_session(), evaluation)
    response = Response(stream_with_context(chunks), mimetype="application/json")
    response.headers["Content-Disposition"] = content_disposition(evaluation)
    return response


@bp.get("/evaluations/<int:evaluation_id>/box.json")
@require(*READERS)
def download(evaluation_id: int) -> ResponseReturnValue:
    evaluation = evaluation_for(evaluation_id)
    reason = box_refusal(evaluation)
    if reason is not None:
        return _refused(reason)
    return _box_response(evaluation)


def _back_to_results(evaluation_id: int) -> ResponseReturnValue:
    return redirect(url_for("evaluations.results_page", evaluation_id=evaluation_id) + "#box", code=303)


@bp.post("/evaluations/<int:evaluation_id>/box/link")
@require(*EDITORS)
def publish(evaluation_id: int) -> ResponseReturnValue:
    """生成公开链接: the link stays the same if one exists."""
    evaluation = evaluation_to_change(evaluation_id)
    try:
        publish_link(get_session(), evaluation, actor=current_user())
    except BoxLinkError as error:
        return _refused(error.reason)
    return _back_to_results(evaluation_id)


@bp.post("/evaluations/<int:evaluation_id>/box/link/withdraw")
@require(*EDITORS)
def withdraw(evaluation_id: int) -> ResponseReturnValue:
    evaluation = evaluation_to_change(evaluation_id)
    withdraw_link(get_session(), evaluation, actor=current_user())
    return _back_to_results(evaluation_id)


def _public_evaluation(token: str) -> Evaluation | None:
    return evaluation_for_token(get_session(), token)


def _no_such_link() -> ResponseReturnValue:
    return render_error(404, _("票箱链接无效"), _(
        "找不到这个票箱链接：它可能不完整，或已被考核组收回。请向考核组索取有效的链接。"))


@dataclass(frozen=True)
class TallyLine:
    """One member as the box publishes them: name and position from the header, counts and
    vote score from the result (A8.5, A8.6)."""

    name: str
    position: str
    counts: dict[str, int]
    abstained: int
    score: str | None


def _published_tally(evaluation: Evaluation) -> list[TallyLine]:
    """The tally exactly as the box file holds it (what ``tally verify-box`` recounts)."""
    members = json.loads(evaluation.box_header or "{}")["members"]
    rows = json.loads(evaluation.box_result or "{}")["tally"]
    return [TallyLine(m["name"], m.get("position") or "", {r: row[r] for r in RATINGS},
                      row["abstained"], row["score"])
            for m, row in zip(members, rows, strict=True)]


@bp.get("/box/<token>")
def public_page(token: str) -> ResponseReturnValue:
    """The public box page: the digest, the counts (if visible), the download and how to
    verify it, and a tracker look-up (a GET that only reads)."""
    evaluation = _public_evaluation(token)
    if evaluation is None:
        return _no_such_link()
    typed = request.args.get("tracker")
    lookup = None
    if typed is not None and typed.strip():
        lookup = look_up_tracker(get_session(), evaluation, typed[:100])
    visible = box_counts_visible(evaluation)
    page = render_template(
        "box/public.html", evaluation=evaluation, token=token, visible=visible,
        tally=_published_tally(evaluation) if visible else [], lookup=lookup,
        asked=typed is not None,
        valid=(evaluation.ballots_cast or 0) - (evaluation.invalid_ballots or 0),
    )
    return page, 400 if lookup is not None and lookup.tracker is None else 200


@bp.get("/box/<token>.json")
def public_download(token: str) -> ResponseReturnValue:
    evaluation = _public_evaluation(token)
    if evaluation is None:
        return _no_such_link()
    reason = box_refusal(evaluation)
    if reason is not None:
        return _refused(reason)
    return _box_response(evaluation)


# --- what the team's pages, the projector and the print report show ---------------------------


@dataclass(frozen=True)
class BoxPanel:
    """The box part of the team's results page."""

    digest: str | None
    downloadable: bool
    refusal: str | None
    public_url: str | None
    public_qr: Markup | None


@bp.app_template_global()
def box_panel(evaluation: Evaluation) -> BoxPanel:
    """The digest, whether the box downloads, and the public link with its QR code."""
    link = qr = None
    if evaluation.box_public_token and has_box(evaluation):
        base_url = current_app.config["BASE_URL"] or request.host_url
        link = public_url(base_url, evaluation.box_public_token)
        qr = qr_svg(link)
    reason = box_refusal(evaluation)
    return BoxPanel(evaluation.box_digest if has_box(evaluation) else None, reason is None,
                    reason, link, qr)


@bp.app_template_global()
def box_digest_blocks(digest: str, size: int = 8) -> list[str]:
    return digest_blocks(digest, size)


bp.add_app_template_global(digest_or_none, "box_digest_text")
bp.add_app_template_global(has_box, "has_box")
