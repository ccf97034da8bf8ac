"""The team's page of scorers and their signed sheets (L: A8.3 form 4, H: A8.4 form 5): add a
scorer and show their personal link once, enter a paper sheet, withdraw, lock the inputs."""

from __future__ import annotations

from flask import abort, current_app, render_template, request, url_for
from flask import redirect as _redirect
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from ballot.accounts.access import (
    EDITORS,
    READERS,
    assessment_for,
    assessment_to_change,
    current_user,
    require,
)
from ballot.accounts.models import Role
from ballot.assessments.models import Assessment
from ballot.assessments.services import LockedError, ensure_inputs_open
from ballot.db import get_session
from ballot.errors import Refusal
from ballot.scores import bp  # this package's one blueprint
from ballot.scores.forms import ReasonForm, ScorerForm, SheetForm
from ballot.scores.models import Scorer
from ballot.scores.services import (
    COUNTY_FIELD,
    FORM_FIELD,
    NewLink,
    ScorerError,
    SheetError,
    add_scorer,
    enter_paper_sheet,
    lock_inputs,
    paper_entries,
    regenerate_link,
    scorers_of,
    sheet_members,
    sheet_scores,
    unlock_inputs,
    warnings_for,
    withdraw_scorer,
)
from ballot.scores.sheet_labels import SCORER_KIND_LABELS, SHEET_SOURCE_LABELS
from ballot.scores.sheet_views import format_time
from ballot.slips.printing import qr_svg

#: The pages of one assessment's scorers live under it.
ONE = "/assessments/<int:assessment_id>"


def _locked_message() -> str:
    return _("录入已锁定：不再接受评分表、实绩与目标分或名单的修改。如需修改，请管理员先解除锁定。")


def _key() -> str:
    return str(current_app.config["CREDENTIAL_KEY"])


def _back(assessment_id: int) -> ResponseReturnValue:
    return _redirect(url_for("scores.scorers", assessment_id=assessment_id), code=303)


def _scorer(assessment: Assessment, scorer_id: int) -> Scorer:
    scorer = get_session().get(Scorer, scorer_id)
    if scorer is None or scorer.assessment_id != assessment.id:
        abort(404)
    return scorer


def _scorers_page(assessment: Assessment, error: str | None = None, status: int = 200,
                  form: dict[str, str] | None = None) -> ResponseReturnValue:
    db = get_session()
    scorers = scorers_of(db, assessment)
    user = current_user()
    return render_template(
        "scores/scorers.html", assessment=assessment, error=error, form=form or {},
        groups=[(kind, [s for s in scorers if s.kind == kind])
                for kind in ("city_leader", "county_head")],
        sheets={s.id: sheet_scores(db, s) for s in scorers},
        paper_by=paper_entries(db, assessment), warnings=warnings_for(scorers),
        can_edit=user is not None and user.role in EDITORS,
        is_admin=user is not None and user.role == Role.ADMIN,
        locked=not assessment.inputs_open,
        COUNTY_FIELD=COUNTY_FIELD, format_time=format_time,
        SCORER_KIND_LABELS=SCORER_KIND_LABELS, SHEET_SOURCE_LABELS=SHEET_SOURCE_LABELS,
    ), status


def _refused(assessment: Assessment, refusal: Refusal,
             form: dict[str, str] | None = None) -> ResponseReturnValue:
    """The scorers page with why nothing was done: locked inputs (409) or what the team can fix
    (422); the unit of work rolls back."""
    if isinstance(refusal, LockedError):
        return _scorers_page(assessment, _locked_message(), 409)
    return _scorers_page(assessment, "；".join(refusal.lines()), refusal.status, form)


def _link_page(assessment: Assessment, link: NewLink) -> ResponseReturnValue:
    """The personal link, shown this once: address, QR code and a printable card."""
    base_url = current_app.config["BASE_URL"] or request.host_url
    url = f"{base_url.rstrip('/')}/sheet/{link.token}"
    page = render_template("scores/link.html", assessment=assessment, scorer=link.scorer,
                           url=url, qr=qr_svg(url), SCORER_KIND_LABELS=SCORER_KIND_LABELS)
    return page, 200, {"Cache-Control": "no-store"}


@bp.get(ONE + "/scorers")
@require(*READERS)
def scorers(assessment_id: int) -> ResponseReturnValue:
    """Who scores L and H, and where each sheet stands (A8.3, A8.4)."""
    return _scorers_page(assessment_for(assessment_id))


@bp.post(ONE + "/scorers")
@require(*EDITORS)
def add(assessment_id: int) -> ResponseReturnValue:
    """Add a scorer and show their personal link once."""
    assessment = assessment_to_change(assessment_id, EDITORS)
    form = ScorerForm(request.form)
    try:
        if not form.validate():
            problems: list[object] = list(form.problems())
            raise ScorerError(problems[0], problems=problems)
        link = add_scorer(get_session(), assessment, _key(), kind=form.kind.data,
                          name=form.name.data, title=form.title.data,
                          username=form.username.data, actor=current_user())
    except (ScorerError, LockedError) as error:
        return _refused(assessment, error, request.form.to_dict())
    return _link_page(assessment, link)


@bp.post(ONE + "/scorers/<int:scorer_id>/link")
@require(*EDITORS)
def new_link(assessment_id: int, scorer_id: int) -> ResponseReturnValue:
    """A new personal link for the scorer; the old link stops working."""
    assessment = assessment_to_change(assessment_id, EDITORS)
    scorer = _scorer(assessment, scorer_id)
    try:
        link = regenerate_link(get_session(), scorer, _key(), actor=current_user())
    except (ScorerError, LockedError) as error:
        return _refused(assessment, error)
    return _link_page(assessment, link)


@bp.route(ONE + "/scorers/<int:scorer_id>/paper", methods=["GET", "POST"])
@require(*EDITORS)
def paper(assessment_id: int, scorer_id: int) -> ResponseReturnValue:
    """Type in a sheet the scorer signed on paper (recorded as a paper sheet, with who entered
    it in the audit log)."""
    posted = request.method == "POST"
    assessment = (assessment_to_change if posted else assessment_for)(assessment_id, EDITORS)
    scorer = _scorer(assessment, scorer_id)
    db = get_session()

    def page(values: dict[str, str], errors: dict[str, str],
             status: int = 200) -> ResponseReturnValue:
        return render_template(
            "scores/paper.html", assessment=assessment, scorer=scorer,
            members=sheet_members(scorer), values=values, errors=errors,
            COUNTY_FIELD=COUNTY_FIELD, FORM_FIELD=FORM_FIELD,
            SCORER_KIND_LABELS=SCORER_KIND_LABELS,
        ), status

    if not posted:
        return page(sheet_scores(db, scorer), {})
    try:
        ensure_inputs_open(assessment)
        typed = SheetForm.for_sheet(scorer, request.form, signed=False).check()
        enter_paper_sheet(db, scorer, typed, actor=current_user())
    except SheetError as error:
        return page(request.form.to_dict(), error.problems, 422)
    except (ScorerError, LockedError) as error:
        return _refused(assessment, error)
    return _back(assessment_id)


@bp.post(ONE + "/scorers/<int:scorer_id>/withdraw")
@require(*EDITORS)
def withdraw(assessment_id: int, scorer_id: int) -> ResponseReturnValue:
    """Withdraw a scorer (e.g. added by mistake), with a reason; their sheet stops counting."""
    assessment = assessment_to_change(assessment_id, EDITORS)
    scorer = _scorer(assessment, scorer_id)
    form = ReasonForm(request.form)
    try:
        if not form.validate():
            raise ScorerError(form.problems()[0])
        withdraw_scorer(get_session(), scorer, form.reason.data, actor=current_user())
    except (ScorerError, LockedError) as error:
        return _refused(assessment, error)
    return _back(assessment_id)


@bp.post(ONE + "/lock")
@require(*EDITORS)
def lock(assessment_id: int) -> ResponseReturnValue:
    """Lock P, T, L, H and the roster (before the team proposes grades, A15)."""
    assessment = assessment_to_change(assessment_id, EDITORS)
    try:
        lock_inputs(get_session(), assessment, actor=current_user())
    except LockedError:
        return _scorers_page(assessment, _("录入已经锁定。"), 409)
    except ScorerError as error:
        return _refused(assessment, error)
    return _back(assessment_id)


@bp.post(ONE + "/unlock")
@require(Role.ADMIN)
def unlock(assessment_id: int) -> ResponseReturnValue:
    """An admin reopens the inputs, with a required reason, while still in setup."""
    assessment = assessment_to_change(assessment_id, (Role.ADMIN,))
    form = ReasonForm(request.form)
    try:
        if not form.validate():
            raise ScorerError(form.problems()[0])
        unlock_inputs(get_session(), assessment, form.reason.data, actor=current_user())
    except ScorerError as error:
        return _refused(assessment, error)
    return _back(assessment_id)
