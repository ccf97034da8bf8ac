"""Form 6 summary, the team's decisions, the A15 approval chain, amendments, history."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_babel import gettext as _

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
from ballot.assessments.models import Assessment, County
from ballot.assessments.services import LockedError
from ballot.db import get_session
from ballot.parsing import whole_number
from ballot.results import approval as chain
from ballot.results.approval import ApprovalError
from ballot.results.labels import labels
from ballot.results.models import GRADES
from ballot.results.services import (
    COMPONENTS,
    DECISION_KINDS,
    PROMOTION_BASES,
    DecisionError,
    county_history,
    decision_history,
    figures_for,
    fill_previous_grades,
    record_decision,
    set_previous_grades,
)
from tally import VetoArea

bp = Blueprint("results", __name__)

#: Accounts that may act in the approval chain (the service checks office and stage).
ACTORS = (Role.ADMIN, Role.TEAM, Role.REVIEWER)


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
        **labels(),
    ), status


@bp.get("/assessments/<int:assessment_id>/results")
@require(*READERS)
def summary(assessment_id: int):  # type: ignore[no-untyped-def]
    """Form 6 (量化评分表) with the quota, the A13 ranking and what the team still has to decide."""
    return _summary_page(assessment_for(assessment_id))


@bp.post("/assessments/<int:assessment_id>/results/decisions")
@require(*EDITORS)
def decide(assessment_id: int):  # type: ignore[no-untyped-def]
    """Record one team decision (A12 tie, A14 veto, missing input, A17 mark)."""
    assessment = assessment_to_change(assessment_id, EDITORS)
    form = request.form
    db = get_session()
    user = current_user()
    assert user is not None
    member_id = whole_number(form.get("member_id", ""))
    if member_id is None:
        return _summary_page(assessment, _("成员：请选择成员。"), 400)
    kind = form.get("kind", "")
    try:
        record_decision(db, assessment, member_id, kind, actor=user,
                        reason=form.get("reason", ""), grade=form.get("grade"),
                        veto_area=form.get("veto_area"),
                        facts=form.get("basis") if kind == "promotion" else form.get("facts"))
    except LockedError as error:
        db.rollback()
        return _summary_page(assessment, str(error), 409)
    except DecisionError as error:
        db.rollback()
        return _summary_page(assessment, str(error), 400)
    db.commit()
    return redirect(url_for("results.summary", assessment_id=assessment_id,
                            _anchor=f"m{member_id}"), code=303)


@bp.post("/assessments/<int:assessment_id>/results/previous-grades")
@require(*EDITORS)
def previous_grades(assessment_id: int):  # type: ignore[no-untyped-def]
    """A18 input: last year's grades, from last year's approved assessment or set by the team."""
    assessment = assessment_to_change(assessment_id, EDITORS)
    db = get_session()
    user = current_user()
    assert user is not None
    try:
        if "fill" in request.form:
            fill_previous_grades(db, assessment, user)
        else:
            grades: dict[int, str | None] = {}
            for key, value in request.form.items():
                member_id = whole_number(key[9:]) if key.startswith("previous_") else None
                if member_id is not None:
                    grades[member_id] = value.strip() or None
            set_previous_grades(db, assessment, grades, user)
    except LockedError as error:
        db.rollback()
        return _summary_page(assessment, str(error), 409)
    except DecisionError as error:
        db.rollback()
        return _summary_page(assessment, str(error), 400)
    db.commit()
    return redirect(url_for("results.summary", assessment_id=assessment_id,
                            _anchor="previous"), code=303)


@bp.get("/counties/<int:county_id>/history")
@require(*READERS)
def history(county_id: int):  # type: ignore[no-untyped-def]
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
def approval(assessment_id: int):  # type: ignore[no-untyped-def]
    """The A15 trail and who it waits for."""
    return _approval_page(assessment_for(assessment_id))


@bp.post("/assessments/<int:assessment_id>/approval")
@require(*ACTORS)
def act(assessment_id: int):  # type: ignore[no-untyped-def]
    """One A15 step: the team proposes; an office signs off, returns, deliberates or approves."""
    assessment = assessment_to_change(assessment_id, ACTORS)
    db = get_session()
    user = current_user()
    assert user is not None
    try:
        chain.act(db, assessment, user, request.form.get("action", ""),
                  request.form.get("comment", ""))
    except ApprovalError as error:
        db.rollback()
        return _approval_page(assessment, str(error), error.status)
    db.commit()
    return redirect(url_for("results.approval", assessment_id=assessment_id), code=303)


@bp.post("/assessments/<int:assessment_id>/amendments")
@require(*EDITORS)
def amend(assessment_id: int):  # type: ignore[no-untyped-def]
    """A correction after approval (A15): a recorded amendment, never a silent edit."""
    assessment = assessment_to_change(assessment_id, EDITORS)
    db = get_session()
    user = current_user()
    assert user is not None
    form: Any = request.form
    member_id = whole_number(form.get("member_id", ""))
    if member_id is None:
        return _approval_page(assessment, _("成员：请选择成员。"), 400)
    try:
        chain.amend(db, assessment, user, member_id, form.get("grade", ""),
                    form.get("description", ""), form.get("reason", ""))
    except ApprovalError as error:
        db.rollback()
        return _approval_page(assessment, str(error), error.status)
    db.commit()
    return redirect(url_for("results.approval", assessment_id=assessment_id,
                            _anchor="amendments"), code=303)
