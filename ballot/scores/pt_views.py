"""P and T per county for a year: typed in, or imported for all counties at once (A8.1, A8.2)."""

from __future__ import annotations

from typing import Any

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ballot.accounts.access import EDITORS, READERS, current_user, may_see_county, require
from ballot.assessments.imports import MIMETYPES, write_table
from ballot.clock import beijing_year
from ballot.db import get_session
from ballot.scores import bp  # this package's one blueprint
from ballot.scores.county_services import (
    PT_HEADINGS,
    CountyScoreError,
    add_county,
    counties_by_name,
    county_lines,
    import_scores,
    save_scores,
    template_rows,
)
from ballot.scores.forms import CountyForm, ImportForm, PTForm, YearForm
from tally import DEFAULT_RULES

PAGE = "/county-scores"

#: The A13 outcome for a county (default rules).
BASIS_LABELS = {"raised": _l("上调"), "lowered": _l("下调"), "base": _l("一般")}


def _page(year: int, status: int = 200, **extra: Any) -> ResponseReturnValue:
    user = current_user()
    assert user is not None
    lines = county_lines(get_session(), year)
    page = render_template(
        "scores/county_scores.html",
        year=year,
        lines=lines,
        can_edit=user.role in EDITORS,
        may_edit=lambda county_id: may_see_county(user, county_id),
        rules=DEFAULT_RULES,
        BASIS_LABELS=BASIS_LABELS,
        typed=extra.get("typed"),
        problems=extra.get("problems", []),
        problem_form=extra.get("problem_form"),
        new_county=extra.get("new_county", ""),
    )
    return page, status


def _bad_year(form: YearForm) -> ResponseReturnValue:
    """The page of this year, saying why the year asked for is none (400: nothing changed)."""
    return _page(beijing_year(), 400, problems=[str(e) for e in form.year.errors[:1]],
                 problem_form="year")


def _back(year: int) -> ResponseReturnValue:
    return redirect(url_for("scores.county_scores", year=year), code=303)


@bp.get(PAGE)
@require(*READERS)
def county_scores() -> ResponseReturnValue:
    """Every county's P and T for the year, with the A13 places and ratios."""
    if "year" not in request.args:
        return _page(beijing_year())
    form = YearForm(request.args)
    if not form.validate():
        return _bad_year(form)
    return _page(form.year.data)


@bp.post(PAGE + "/save", endpoint="save_county_scores")
@require(*EDITORS)
def save() -> ResponseReturnValue:
    """Save the whole typed table, all or nothing."""
    db = get_session()
    form = PTForm.for_counties(counties_by_name(db), request.form)
    valid = form.validate()
    year = form.year.data
    if year is None:
        return _bad_year(form)
    try:
        if not valid:
            raise CountyScoreError(form.problems())
        changed = save_scores(db, year, form.typed(), current_user())
    except CountyScoreError as error:
        return _page(year, 422, problems=error.lines(), problem_form="save", typed=request.form)
    flash(_("已保存：%(n)s 个县区的分数有变化。", n=changed) if changed else _("分数没有变化。"), "ok")
    return _back(year)


@bp.post(PAGE + "/import", endpoint="import_county_scores")
@require(*EDITORS)
def import_() -> ResponseReturnValue:
    """Import P and/or T of the year's counties from one XLSX or CSV file, all or nothing."""
    form = ImportForm()
    valid = form.validate()
    year = form.year.data
    if year is None:
        return _bad_year(form)
    try:
        if not valid:
            raise CountyScoreError(form.problems())
        upload = form.upload()
        changed = import_scores(get_session(), year, upload.filename or "", upload.read(),
                                current_user())
    except CountyScoreError as error:
        return _page(year, 422, problems=error.lines(), problem_form="import")
    flash(_("已导入：%(n)s 个县区的分数有变化。", n=changed) if changed
          else _("已导入：分数没有变化。"), "ok")
    return _back(year)


@bp.post(PAGE + "/counties", endpoint="add_county")
@require(*EDITORS)
def add_county_() -> ResponseReturnValue:
    """Add a county so that imports and new assessments know it."""
    form = CountyForm(request.form)
    valid = form.validate()
    year = form.year.data
    if year is None:
        return _bad_year(form)
    name = form.name.data or ""
    try:
        if not valid:
            raise CountyScoreError(form.problems())
        county = add_county(get_session(), name, current_user())
    except CountyScoreError as error:
        return _page(year, 422, problems=error.lines(), problem_form="county", new_county=name)
    flash(_("已添加县区：%(name)s。", name=county.name), "ok")
    return _back(year)


@bp.get(PAGE + "/template.<fmt>", endpoint="county_scores_template")
@require(*READERS)
def template(fmt: str) -> ResponseReturnValue:
    """The import file for the year: every county, with its scores so far."""
    if fmt not in MIMETYPES:
        abort(404)
    year = beijing_year()
    if "year" in request.args:
        form = YearForm(request.args)
        if not form.validate():
            abort(404)
        year = form.year.data
    data = write_table(fmt, list(PT_HEADINGS.values()), template_rows(get_session(), year))
    return Response(data, mimetype=MIMETYPES[fmt], headers={
        "Content-Disposition": f"attachment; filename=county-scores-{year}.{fmt}"})
