"""The team's pages for one evaluation: turnout, projector screen, slips, open/close, results.

Every GET reads only: an evaluation past its closing time shows as *closing* until the closer
(ballot/evaluations/closer.py) or the team's next POST closes it.
"""

from __future__ import annotations

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from ballot.accounts.access import (
    EDITORS,
    READERS,
    assessment_to_change,
    current_user,
    require,
)
from ballot.assessments.forms import StartEvaluationForm
from ballot.assessments.services import SetupError
from ballot.assessments.views import roster_page
from ballot.db import get_session
from ballot.errors import Refusal, render_error
from ballot.evaluations.access import evaluation_for, evaluation_to_change
from ballot.evaluations.floor import (
    FloorError,
    below_floor,
    publication,
    publish_counts,
    withheld,
)
from ballot.evaluations.forms import SlipsForm
from ballot.evaluations.models import Evaluation, Kind, State
from ballot.evaluations.services import (
    CountsWithheld,
    EvaluationError,
    KeyLost,
    close_evaluation,
    issue_slips,
    open_evaluation,
    results,
    start_evaluation,
    turnout,
)
from ballot.slips.printing import slip_sheets

bp = Blueprint("evaluations", __name__)
#: Every page of one evaluation lives under its id.
ONE = "/evaluations/<int:evaluation_id>"


@bp.get(ONE + "/")
@require(*READERS)
def dashboard(evaluation_id: int) -> ResponseReturnValue:
    evaluation = evaluation_for(evaluation_id)
    slips = turnout(get_session(), evaluation)
    return render_template(
        "evaluations/dashboard.html",
        evaluation=evaluation,
        turnout=slips,
        shortfall=below_floor(evaluation, slips.issued),
        counts_withheld=withheld(evaluation),
        refresh=current_app.config["TURNOUT_REFRESH_SECONDS"],
    )


@bp.get(ONE + "/screen")
@require(*READERS)
def screen(evaluation_id: int) -> ResponseReturnValue:
    """The projector page: big numbers and a bar, refreshing itself without JavaScript."""
    evaluation = evaluation_for(evaluation_id)
    return render_template(
        "evaluations/screen.html",
        evaluation=evaluation,
        turnout=turnout(get_session(), evaluation),
        refresh=current_app.config["TURNOUT_REFRESH_SECONDS"],
    )


@bp.post(ONE + "/open")
@require(*EDITORS)
def open_(evaluation_id: int) -> ResponseReturnValue:
    evaluation = evaluation_to_change(evaluation_id)
    try:
        open_evaluation(get_session(), evaluation, actor=current_user())
    except EvaluationError as error:
        return render_error(409, _("无法开始测评"), str(error))
    return redirect(url_for("evaluations.dashboard", evaluation_id=evaluation_id), code=303)


@bp.post(ONE + "/close")
@require(*EDITORS)
def close(evaluation_id: int) -> ResponseReturnValue:
    evaluation = evaluation_for(evaluation_id, EDITORS)
    reason = "time" if evaluation.is_due() else "team"
    try:
        closed = evaluation.state == State.OPEN and close_evaluation(
            get_session(), evaluation.id, reason, actor=current_user())
    except KeyLost:
        return render_error(500, _("无法结束测评"), _(
            "密钥库中没有能打开本次测评选票的密钥（缺失或不匹配），选票无法计票。测评保持进行中，未作任何更改。"
            "请检查服务器的密钥目录（BALLOT_BOX_KEY_DIR）是否完整，并联系系统管理员。"))
    if not closed:
        return render_error(409, _("无法结束测评"), _("只有进行中的测评可以结束。"))
    return redirect(url_for("evaluations.results_page", evaluation_id=evaluation_id), code=303)


@bp.get(ONE + "/slips")
@require(*EDITORS)
def slips_form(evaluation_id: int) -> ResponseReturnValue:
    evaluation = evaluation_for(evaluation_id, EDITORS)
    return render_template("evaluations/slips_form.html", evaluation=evaluation, error=None,
                           turnout=turnout(get_session(), evaluation))


@bp.post(ONE + "/slips")
@require(*EDITORS)
def slips_issue(evaluation_id: int) -> ResponseReturnValue:
    """Issue N slips and show them for printing: the only time their codes are shown."""
    evaluation = evaluation_to_change(evaluation_id)
    db = get_session()
    form = SlipsForm(request.form)
    try:
        if not form.validate():
            raise EvaluationError(form.problems()[0])
        credentials = issue_slips(db, evaluation, form.count.data,
                                  current_app.config["CREDENTIAL_KEY"], actor=current_user())
    except EvaluationError as error:
        return render_template("evaluations/slips_form.html", evaluation=evaluation, error=str(error),
                               turnout=turnout(db, evaluation)), 422
    base_url = current_app.config["BASE_URL"] or request.host_url
    return render_template(
        "slips/print.html", evaluation=evaluation, sheets=slip_sheets(credentials, base_url)
    )


@bp.get(ONE + "/results")
@require(*READERS)
def results_page(evaluation_id: int) -> ResponseReturnValue:
    evaluation = evaluation_for(evaluation_id)
    db = get_session()
    try:
        rows = results(db, evaluation)
    except CountsWithheld as refusal:
        return _withheld_page(evaluation, refusal)
    except EvaluationError:
        return render_template(
            "evaluations/results_hidden.html", evaluation=evaluation, turnout=turnout(db, evaluation)
        ), 403
    decision = publication(db, evaluation)
    if decision is not None:
        return render_template("evaluations/results_published.html", evaluation=evaluation, rows=rows,
                               publication=decision)
    return render_template("evaluations/results.html", evaluation=evaluation, rows=rows)


def _withheld_page(evaluation: Evaluation, refusal: CountsWithheld, status: int = 200,
                   problem: str | None = None, reason: str = "") -> tuple[str, int]:
    """No per-member figure, only the ledger and, for the team, the decision to publish (SPEC
    "anonymity floor")."""
    user = current_user()
    return render_template(
        "evaluations/results_withheld.html", evaluation=evaluation, valid=refusal.valid,
        floor=refusal.floor, can_publish=user is not None and user.role in EDITORS,
        problem=problem, reason=reason,
    ), status


@bp.post(ONE + "/results/publish")
@require(*EDITORS)
def publish(evaluation_id: int) -> ResponseReturnValue:
    """The team's recorded decision (reason, author) to publish counts below the floor."""
    evaluation = evaluation_to_change(evaluation_id)
    db = get_session()
    reason = request.form.get("reason", "")
    user = current_user()
    assert user is not None
    try:
        publish_counts(db, evaluation, reason, actor=user)
    except FloorError as error:
        try:
            results(db, evaluation)
        except CountsWithheld as refusal:
            return _withheld_page(evaluation, refusal, 422, str(error), reason)
        except EvaluationError:
            pass
        return render_error(409, _("无法公开票数"), str(error))
    return redirect(url_for("evaluations.results_page", evaluation_id=evaluation_id), code=303)


@bp.post("/assessments/<int:assessment_id>/evaluations")
@require(*EDITORS)
def new_evaluation(assessment_id: int) -> ResponseReturnValue:
    """A draft evaluation over the roster: the meeting or the interviews (A11.3)."""
    assessment = assessment_to_change(assessment_id)
    form = StartEvaluationForm(request.form, members=len(assessment.members))
    try:
        if not form.validate():
            raise SetupError(form.problems())
        evaluation = start_evaluation(get_session(), assessment, Kind(form.kind.data),
                                      excellent_cap=form.excellent_cap.data,
                                      closes_at=form.closes_at.data, actor=current_user())
    except Refusal as error:  # the form, the roster, the lock or the evaluation service
        return roster_page(assessment, 422, evaluation_problems=error.lines(),
                            evaluation_form=request.form)
    return redirect(url_for("evaluations.dashboard", evaluation_id=evaluation.id), code=303)
