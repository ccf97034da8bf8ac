"""Setting up an assessment: create it, import the roster, other cadres, rules, evaluations."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ballot.accounts.access import (
    EDITORS,
    READERS,
    assessment_for,
    assessment_to_change,
    current_user,
    require,
)
from ballot.accounts.models import Role, User
from ballot.assessments.forms import NewAssessmentForm, SettingsForm
from ballot.assessments.imports import MIMETYPES, write_table
from ballot.assessments.models import Assessment, County
from ballot.assessments.ranking import a13_ratio
from ballot.assessments.services import (
    ROSTER_HEADINGS,
    RosterError,
    SetupError,
    create_assessment,
    import_roster,
    parse_roster_file,
    roster_locked_reason,
    update_settings,
)
from ballot.clock import beijing_year
from ballot.db import get_session
from ballot.evaluations.models import Evaluation

bp = Blueprint("assessments", __name__)

#: Why A13 gives a county its Excellent ratio (shown next to the settings).
BASIS_LABELS = {"raised": _l("两年名次靠前，上调"), "lowered": _l("两年名次在后两位，下调"),
                "base": _l("一般比例")}
#: The roster template's example row.
ROSTER_EXAMPLE = ["张三", "副县长", "农业农村、水利", 1]


def _allowed_county_ids(user: User) -> set[int] | None:
    """The counties a team account is limited to; None for admins and unlimited accounts."""
    if user.role == Role.ADMIN or not user.counties:
        return None
    return {c.id for c in user.counties}


@bp.route("/assessments/new", methods=["GET", "POST"])
@require(*EDITORS)
def new_assessment() -> ResponseReturnValue:
    """A county's assessment for a year (A10): pick a county or type a new one."""
    user = current_user()
    assert user is not None
    db = get_session()
    allowed = _allowed_county_ids(user)
    query = select(County).order_by(County.name)
    if allowed is not None:
        query = query.where(County.id.in_(allowed))
    counties = db.scalars(query).all()
    shown = {"county_id": "", "new_county": "", "year": str(beijing_year())}
    if request.method != "POST":
        return render_template("assessments/new_assessment.html", counties=counties, form=shown,
                               problems=[], limited=allowed is not None)
    form = NewAssessmentForm(request.form)
    shown = {"county_id": form.county_id.raw, "new_county": form.new_county.data or "",
             "year": form.year.raw}
    try:
        if not form.validate():
            raise SetupError(form.problems())
        assessment = create_assessment(db, county_id=form.county_id.data,
                                       new_county=form.new_county.data or "",
                                       year=form.year.data, allowed_county_ids=allowed,
                                       actor=user)
    except SetupError as error:
        return render_template("assessments/new_assessment.html", counties=counties, form=shown,
                               problems=error.lines(), limited=allowed is not None), 422
    return redirect(url_for("workspace.assessment", assessment_id=assessment.id), code=303)


def roster_page(assessment: Assessment, status: int = 200, **errors: Any) -> ResponseReturnValue:
    db = get_session()
    user = current_user()
    assert user is not None
    evaluations = db.scalars(select(Evaluation).where(Evaluation.assessment_id == assessment.id)
                             .order_by(Evaluation.id)).all()
    ratio, basis = a13_ratio(db, assessment.county_id, assessment.year)
    page = render_template(
        "assessments/roster.html",
        assessment=assessment,
        can_edit=user.role in EDITORS,
        roster_locked=roster_locked_reason(db, assessment),
        evaluations=evaluations,
        a13=(ratio, BASIS_LABELS[basis]),
        roster_problems=errors.get("roster_problems", []),
        settings_problems=errors.get("settings_problems", []),
        settings_form=errors.get("settings_form"),
        evaluation_problems=errors.get("evaluation_problems", []),
        evaluation_form=errors.get("evaluation_form"),
    )
    return page, status


@bp.get("/assessments/<int:assessment_id>/roster")
@require(*READERS)
def roster(assessment_id: int) -> ResponseReturnValue:
    """The roster (A4), the assessment's settings (A11.6, A13) and new evaluations (A11.3)."""
    return roster_page(assessment_for(assessment_id))


@bp.post("/assessments/<int:assessment_id>/roster")
@require(*EDITORS)
def upload_roster(assessment_id: int) -> ResponseReturnValue:
    """Replace the roster from an XLSX or CSV file, all or nothing."""
    assessment = assessment_to_change(assessment_id, EDITORS)
    upload = request.files.get("file")
    try:
        if upload is None or not upload.filename:
            raise RosterError([_l("请选择要上传的名单文件（.xlsx 或 .csv）。")])
        rows = parse_roster_file(upload.filename, upload.read())
        import_roster(get_session(), assessment, rows, actor=current_user())
    except RosterError as error:
        return roster_page(assessment, 422, roster_problems=error.lines())
    flash(_("名单已导入：共 %(n)s 人。", n=len(rows)), "ok")
    return redirect(url_for("assessments.roster", assessment_id=assessment_id), code=303)


@bp.post("/assessments/<int:assessment_id>/settings")
@require(*EDITORS)
def settings(assessment_id: int) -> ResponseReturnValue:
    """Other assessed cadres, the team's own Excellent ratio, the ballot cap, decimals."""
    assessment = assessment_to_change(assessment_id, EDITORS)
    form = SettingsForm(request.form, members=len(assessment.members))
    try:
        if not form.validate():
            raise SetupError(form.problems())
        changed = update_settings(get_session(), assessment,
                                  form.settings(assessment.anonymity_floor),
                                  actor=current_user())
    except SetupError as error:
        return roster_page(assessment, 422, settings_problems=error.lines(),
                            settings_form=request.form)
    flash(_("设置已保存。") if changed else _("设置没有变化。"), "ok")
    return redirect(url_for("assessments.roster", assessment_id=assessment_id), code=303)


@bp.get("/assessments/roster-template.<fmt>")
@require(*EDITORS)
def roster_template(fmt: str) -> ResponseReturnValue:
    """The roster file to fill in: headings and one example row."""
    if fmt not in MIMETYPES:
        abort(404)
    data = write_table(fmt, list(ROSTER_HEADINGS.values()), [ROSTER_EXAMPLE])
    return Response(data, mimetype=MIMETYPES[fmt], headers={
        "Content-Disposition": f"attachment; filename=roster-template.{fmt}"})
