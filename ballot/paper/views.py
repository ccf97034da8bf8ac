"""The team's desk for paper ballots (SPEC "Ballots"): scan or type a slip's code, tick the
ratings from the paper, enter it into the evaluation's encrypted box; then an empty form for
the next one. A GET shows the form and changes nothing (STYLE habit 2).

Nothing the clerk entered comes back after a success: the page redirects to an empty form, so
the next person at the desk never sees the ratings of the last ballot. The pages are never
cached, so the browser's back button cannot show them either.
"""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from ballot.accounts.access import EDITORS, current_user, require
from ballot.db import get_session, then
from ballot.evaluations.access import evaluation_for, evaluation_to_change
from ballot.evaluations.models import RATING_VALUES, Evaluation, State
from ballot.evaluations.services import turnout
from ballot.paper.forms import MAX_CODE_LENGTH, TamperedForm, paper_ratings, slip_credential
from ballot.paper.services import (
    PaperRefusal,
    check_slip,
    ensure_taking_ballots,
    enter_paper_ballot,
    paper_ballot_count,
)
from ballot.voting.ballot_view import ballot_view
from ballot.voting.services import ABSTAIN

bp = Blueprint("paper", __name__, url_prefix="/evaluations/<int:evaluation_id>")

#: Staff pages with ballot content are never stored by the browser (back button, disk cache).
NO_STORE = {"Cache-Control": "no-store"}


def _key() -> str:
    return str(current_app.config["CREDENTIAL_KEY"])


def _page(evaluation: Evaluation, *, code: str = "", chosen: dict[int, str | None] | None = None,
          error: str | None = None, notice: str | None = None, status: int = 200
          ) -> tuple[str, int, dict[str, str]]:
    db = get_session()
    page = render_template(
        "paper/enter.html", evaluation=evaluation, view=ballot_view(db, evaluation.id),
        code=code, chosen=chosen or {}, error=error, notice=notice, ABSTAIN=ABSTAIN,
        values=(*RATING_VALUES, ABSTAIN),
        paper_ballots=paper_ballot_count(db, evaluation.id), turnout=turnout(db, evaluation),
    )
    return page, status, NO_STORE


_STATUS = {"no_code": 422, "malformed": 422, "other_evaluation": 422, "unknown": 422,
           "used": 409, "not_open": 409, "closed": 409, "tampered": 400}


def _refused(evaluation: Evaluation, refusal: PaperRefusal, code: str,
             chosen: dict[int, str | None]) -> tuple[str, int, dict[str, str]]:
    """The form again with why; the ratings stay only when the code was the problem."""
    return _page(evaluation, code=code if refusal.reason != "tampered" else "",
                 chosen=chosen if refusal.about_the_code else None,
                 error=refusal.message, status=_STATUS[refusal.reason])


@bp.get("/paper")
@require(*EDITORS)
def enter(evaluation_id: int) -> ResponseReturnValue:
    """An empty paper ballot, or why this evaluation takes none."""
    return _page(evaluation_for(evaluation_id, EDITORS))


@bp.post("/paper")
@require(*EDITORS)
def store(evaluation_id: int) -> Response | tuple[str, int, dict[str, str]]:
    """Enter one paper ballot, or only check its slip (``action=check``: what Enter after a
    scan does, since a scanner types the URL and then Enter)."""
    evaluation = evaluation_to_change(evaluation_id)
    db = get_session()
    typed = request.form.get("code", "")
    code = typed[:MAX_CODE_LENGTH]  # what the form shows again
    try:
        ensure_taking_ballots(evaluation)
        chosen = paper_ratings(ballot_view(db, evaluation.id), request.form)
    except PaperRefusal as refusal:
        return _refused(evaluation, refusal, code, {})
    except TamperedForm:
        return _refused(evaluation, PaperRefusal("tampered"), code, {})
    try:
        if not typed.strip():
            raise PaperRefusal("no_code")
        credential = slip_credential(typed)
        if credential is None:
            raise PaperRefusal("malformed")
        if request.form.get("action") == "check":
            check_slip(db, _key(), evaluation.id, credential)
            return _page(evaluation, code=code, chosen=chosen, notice=_(
                "票签有效，尚未使用。请按纸质票选择等次，然后点击“录入这张纸质票”。"))
        entry = enter_paper_ballot(db, _key(), evaluation.id, credential, chosen, current_user())
    except PaperRefusal as refusal:
        return _refused(evaluation, refusal, code, chosen)
    number = paper_ballot_count(db, evaluation.id)
    if entry.valid:
        flash(_("已录入第 %(n)s 张纸质票。", n=number), "ok")
    else:
        flash(_("已录入第 %(n)s 张纸质票：超过优秀限额，按废票计入。", n=number), "warn")
    then(db, lambda s: _tell_if_closed(s, evaluation_id))
    return redirect(url_for("paper.enter", evaluation_id=evaluation.id), code=303)


def _tell_if_closed(session: Session, evaluation_id: int) -> None:
    """After the ballot's commit and the close it may have caused (``cast_paper_ballot``
    queued it first): say so when that was the last slip."""
    evaluation = session.get_one(Evaluation, evaluation_id, populate_existing=True)
    if evaluation.state == State.CLOSED and evaluation.closed_reason == "all_slips_used":
        flash(_("票签已全部使用，测评已自动结束并计票。"), "ok")
