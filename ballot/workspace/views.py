"""Home (the assessments an account may see) and one assessment's overview."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from ballot.accounts.access import READERS, assessment_for, current_user, may_see_county, require
from ballot.assessments.models import Assessment
from ballot.db import get_session
from ballot.evaluations.models import Evaluation
from ballot.evaluations.services import turnout

bp = Blueprint("workspace", __name__)


@bp.get("/home")
@require()
def home() -> ResponseReturnValue:
    user = current_user()
    assert user is not None
    assessments = [
        a for a in get_session().scalars(
            select(Assessment).order_by(Assessment.year.desc(), Assessment.id)
        )
        if may_see_county(user, a.county_id)
    ]
    return render_template("workspace/home.html", assessments=assessments)


@bp.get("/assessments/<int:assessment_id>")
@require(*READERS)
def assessment(assessment_id: int) -> ResponseReturnValue:
    item = assessment_for(assessment_id)
    db = get_session()
    evaluations = db.scalars(
        select(Evaluation).where(Evaluation.assessment_id == item.id).order_by(Evaluation.id)
    ).all()
    return render_template(
        "workspace/assessment.html",
        assessment=item,
        evaluations=[(e, turnout(db, e)) for e in evaluations],
    )
