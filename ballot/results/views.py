"""Form 6 summary, the team's decisions, the A15 approval chain, amendments, history."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from ballot.accounts.access import (
    EDITORS,
    READERS,
    assessment_for,
    assessment_to_change,
    current_user,
    may_see_county,
    require,
)
from ballot.accounts.models import Role
from ballot.assessments.models import Assessment, County, Stage
from ballot.assessments.services import LockedError
from ballot.db import get_session
from ballot.results import approval as chain
from ballot.results.approval import ApprovalError
from ballot.results.forms import AmendmentForm, ApprovalForm, DecisionForm, previous_grades_form
from ballot.results.labels import labels
from ballot.results.models import GRADES
from ballot.results.services import (
    DecisionError,
    county_history,
    decision_history,
    figures_for,
    fill_previous_grades,
    record_decision,
    set_previous_grades,
)
from tally import COMPONENTS, DECISION_KINDS, PROMOTION_BASES, VetoArea

bp = Blueprint("results", __name__)

#: Accounts that may act in the approval chain (the service checks office and stage).
ACTORS = (Role.ADMIN, Role.TEAM, Role.REVIEWER)
#: The status of a page shown again for bad input (a form's or a service's refusal).
BAD_INPUT = 400


def _summary_page(assessment: Assessment, error: str | None = None, status: int = 200
                  ) -> tuple[str, int]:
    db = get_session()
    figures, frozen = figures_for(db, assessment)
    return render_template(
        "results/summary.html",
        assessment=assessment,
        figures=figures,
        frozen=frozen,
        history=decision_history(db, assessment),
        amendments=chain.amendments(db, assessment),
        components=COMPONENTS,
        kinds=DECISION_KINDS,
        grades=GRADES,
        veto_areas=[area.value for area in VetoArea],
        promotion_bases=PROMOTION_BASES,
        error=error,
        Stage=Stage,
        **labels(),
    ), status


def _approval_page(assessment: Assessment, error: str | None = None, status: int = 200
                   ) -> tuple[str, int]:
    db = get_session()
    figures, frozen = figures_for(db, assessment)
    return render_template(
        "results/approval.html",
        assessment=assessment,
        figures=figures,
        frozen=frozen,
        trail=chain.trail(db, assessment),
        waiting=chain.waiting_for(db, assessment),
        signed=chain.signed_off(db, assessment),
        amendments=chain.amendments(db, assessment),
        components=COMPONENTS,
        grades=GRADES,
        error=error,
        Stage=Stage,
        **labels(),
    ), status


@bp.get("/assessments/<int:assessment_id>/results")
@require(*READERS)
def summary(assessment_id: int) -> ResponseReturnValue:
    """Form 6 (量化评分表) with the quota, the A13 ranking and what the team still has to decide."""
    return _summary_page(assessment_for(assessment_id))


@bp.post("/assessments/<int:assessment_id>/results/decisions")
@require(*EDITORS)
def decide(assessment_id: int) -> ResponseReturnValue:
    """Record one team decision (A12 tie, A14 veto, missing input, A17 mark)."""
    assessment = assessment_to_change(assessment_id, EDITORS)
    form = DecisionForm(request.form)
    user = current_user()
    assert user is not None
    if not form.validate():
        return _summary_page(assessment, "；".join(form.problems()), BAD_INPUT)
    try:
        record_decision(get_session(), assessment, form.member_id.data, form.kind.data,
                        actor=user, reason=form.reason.data, grade=form.grade.data or None,
                        veto_area=form.veto_area.data or None, facts=form.decision_facts())
    except LockedError as error:
        return _summary_page(assessment, str(error), 409)
    except DecisionError as error:
        return _summary_page(assessment, str(error), error.status)
    return redirect(url_for("results.summary", assessment_id=assessment_id,
                            _anchor=f"m{form.member_id.data}"), code=303)


@bp.post("/assessments/<int:assessment_id>/results/previous-grades")
@require(*EDITORS)
def previous_grades(assessment_id: int) -> ResponseReturnValue:
    """A18 input: last year's grades, from last year's approved assessment or set by the team."""
    assessment = assessment_to_change(assessment_id, EDITORS)
    db = get_session()
    user = current_user()
    assert user is not None
    form = previous_grades_form([m.id for m in assessment.members], request.form)
    if not form.validate():
        return _summary_page(assessment, "；".join(form.problems()), BAD_INPUT)
    try:
        if form.fill.data:
            fill_previous_grades(db, assessment, user)
        else:
            set_previous_grades(db, assessment, form.grades(), user)
    except LockedError as error:
        return _summary_page(assessment, str(error), 409)
    except DecisionError as error:
        return _summary_page(assessment, str(error), error.status)
    return redirect(url_for("results.summary", assessment_id=assessment_id,
                            _anchor="previous"), code=303)


@bp.get("/counties/<int:county_id>/history")
@require(*READERS)
def history(county_id: int) -> ResponseReturnValue:
    """Members' grades by year from the county's approved assessments (A16-A19)."""
    user = current_user()
    assert user is not None
    county = get_session().get(County, county_id)
    if county is None:
        abort(404)
    if not may_see_county(user, county.id):
        abort(403)
    return render_template("results/history.html", history=county_history(get_session(), county),
                           **labels())


@bp.get("/assessments/<int:assessment_id>/approval")
@require(*READERS)
def approval(assessment_id: int) -> ResponseReturnValue:
    """The A15 trail and who it waits for."""
    return _approval_page(assessment_for(assessment_id))


@bp.post("/assessments/<int:assessment_id>/approval")
@require(*ACTORS)
def act(assessment_id: int) -> ResponseReturnValue:
    """One A15 step: the team proposes; an office signs off, returns, deliberates or approves."""
    assessment = assessment_to_change(assessment_id, ACTORS)
    form = ApprovalForm(request.form)
    user = current_user()
    assert user is not None
    if not form.validate():
        return _approval_page(assessment, "；".join(form.problems()), BAD_INPUT)
    try:
        chain.act(get_session(), assessment, user, form.action.data, form.comment.data)
    except ApprovalError as error:
        return _approval_page(assessment, str(error), error.status)
    return redirect(url_for("results.approval", assessment_id=assessment_id), code=303)


@bp.post("/assessments/<int:assessment_id>/amendments")
@require(*EDITORS)
def amend(assessment_id: int) -> ResponseReturnValue:
    """A correction after approval (A15): a recorded amendment, never a silent edit."""
    assessment = assessment_to_change(assessment_id, EDITORS)
    form = AmendmentForm(request.form)
    user = current_user()
    assert user is not None
    if not form.validate():
        return _approval_page(assessment, "；".join(form.problems()), BAD_INPUT)
    try:
        chain.amend(get_session(), assessment, user, form.member_id.data, form.grade.data,
                    form.description.data, form.reason.data)
    except ApprovalError as error:
        return _approval_page(assessment, str(error), error.status)
    return redirect(url_for("results.approval", assessment_id=assessment_id,
                            _anchor="amendments"), code=303)
