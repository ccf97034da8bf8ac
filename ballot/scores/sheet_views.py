"""A scorer's mobile score sheet, opened from a personal link (form 4 or form 5).

Opening the link only checks the token and keeps it in the session (STYLE habit 2); the sheet
is stored by the POST, signed with the scorer's name (A8.3, A8.4). A scorer account may open
its sheets after signing in, without a link.
"""

from __future__ import annotations

from datetime import datetime

from flask import (
    abort,
    current_app,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from sqlalchemy import select
from werkzeug.wrappers import Response

from ballot.accounts.access import current_user, require
from ballot.accounts.models import Role
from ballot.assessments.services import LockedError
from ballot.clock import to_beijing
from ballot.db import get_session
from ballot.scores import bp  # this package's one blueprint
from ballot.scores.forms import SheetForm
from ballot.scores.models import Scorer
from ballot.scores.services import (
    COUNTY_FIELD,
    FORM_FIELD,
    SIGNATURE_FIELD,
    LinkProblem,
    SheetError,
    find_scorer_by_token,
    sheet_members,
    sheet_scores,
    submit_sheet,
)
from ballot.scores.sheet_labels import SCORER_KIND_LABELS, SHEET_SOURCE_LABELS

#: Session keys: the token of the link that was opened, or the scorer an account chose.
TOKEN_KEY = "sheet_token"
ACCOUNT_KEY = "sheet_scorer"


@bp.after_request
def _no_store(response: Response) -> Response:
    # A sheet shows signed scores: never cached, never leaks its address.
    response.headers["Cache-Control"] = "no-store"
    return response


def format_time(value: datetime | None) -> str:
    """A stored UTC time in Beijing time, e.g. 2026-01-05 09:30."""
    return f"{to_beijing(value):%Y-%m-%d %H:%M}" if value else ""


def _problem(problem: LinkProblem) -> ResponseReturnValue:
    """Why this browser has no sheet to show; it forgets the link or sheet it had."""
    session.pop(TOKEN_KEY, None)
    session.pop(ACCOUNT_KEY, None)
    return render_template("voting/problem.html", title=str(problem.title),
                           message=problem.message), problem.status


def _current_scorer() -> Scorer | LinkProblem:
    """The scorer whose sheet this browser opened: by link token, or by signed-in account."""
    db = get_session()
    token = session.get(TOKEN_KEY)
    if token:
        try:
            return find_scorer_by_token(db, str(current_app.config["CREDENTIAL_KEY"]), token)
        except LinkProblem as problem:
            return problem
    scorer_id = session.get(ACCOUNT_KEY)
    user = current_user()
    if scorer_id is not None and user is not None and user.role == Role.SCORER:
        scorer = db.get(Scorer, scorer_id)
        if scorer is not None and scorer.user_id == user.id:
            return LinkProblem("withdrawn") if scorer.withdrawn else scorer
    return LinkProblem("no_sheet")


def _page(scorer: Scorer, values: dict[str, str], errors: dict[str, str], status: int = 200,
          locked_now: bool = False) -> ResponseReturnValue:
    return render_template(
        "scores/sheet_form.html", scorer=scorer, assessment=scorer.assessment,
        members=sheet_members(scorer), values=values, errors=errors,
        locked=locked_now or not scorer.assessment.inputs_open,
        saved=request.args.get("saved") == "1",
        COUNTY_FIELD=COUNTY_FIELD, SIGNATURE_FIELD=SIGNATURE_FIELD, FORM_FIELD=FORM_FIELD,
        format_time=format_time, SCORER_KIND_LABELS=SCORER_KIND_LABELS,
        SHEET_SOURCE_LABELS=SHEET_SOURCE_LABELS,
    ), status


@bp.get("/sheet/<path:token>", endpoint="open_sheet")
def open_link(token: str) -> ResponseReturnValue:
    """The personal link: check the token, keep it in the session, go to the sheet (303) so
    the token leaves the address bar, the history and any referrer."""
    try:
        find_scorer_by_token(get_session(), str(current_app.config["CREDENTIAL_KEY"]), token)
    except LinkProblem as problem:
        return _problem(problem)
    session.pop(ACCOUNT_KEY, None)
    session[TOKEN_KEY] = token
    return redirect(url_for("scores.sheet"), code=303)


@bp.route("/sheet", methods=["GET", "POST"], endpoint="sheet")
def form() -> ResponseReturnValue:
    """The sheet: fill in, sign, submit; correct until the team locks the inputs, then
    read-only. A refused sheet answers 4xx, so the unit of work stores nothing of it."""
    found = _current_scorer()
    if isinstance(found, LinkProblem):
        return _problem(found)
    scorer = found
    db = get_session()
    if request.method == "GET" or not scorer.assessment.inputs_open:
        status = 409 if request.method == "POST" else 200
        return _page(scorer, sheet_scores(db, scorer), {}, status)
    try:
        typed = SheetForm.for_sheet(scorer, request.form, signed=True).check()
        submit_sheet(db, scorer, typed)
    except SheetError as error:
        return _page(scorer, request.form.to_dict(), error.problems, 422)
    except LockedError:
        return _page(scorer, sheet_scores(db, scorer), {}, 409, locked_now=True)
    except LinkProblem as problem:
        return _problem(problem)
    return redirect(url_for("scores.sheet", saved=1), code=303)


@bp.get("/sheets", endpoint="my_sheets")
@require(Role.SCORER)
def mine() -> ResponseReturnValue:
    """A scorer account's sheets (the same sheets as their personal links)."""
    user = current_user()
    assert user is not None
    scorers = get_session().scalars(
        select(Scorer).where(Scorer.user_id == user.id, Scorer.withdrawn.is_(False))
        .order_by(Scorer.id)
    ).all()
    return render_template("scores/sheet_mine.html", scorers=scorers, format_time=format_time,
                           SCORER_KIND_LABELS=SCORER_KIND_LABELS)


@bp.get("/sheets/<int:scorer_id>", endpoint="open_my_sheet")
@require(Role.SCORER)
def open_mine(scorer_id: int) -> ResponseReturnValue:
    """Open one of the account's sheets in this session, then show it (303)."""
    user = current_user()
    scorer = get_session().get(Scorer, scorer_id)
    if scorer is None or user is None or scorer.user_id != user.id:
        abort(404)
    session.pop(TOKEN_KEY, None)
    session[ACCOUNT_KEY] = scorer.id
    return redirect(url_for("scores.sheet"), code=303)
