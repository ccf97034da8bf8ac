"""P and T per county for a year: typed in, or imported for all counties at once (A8.1, A8.2)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ballot.accounts.access import EDITORS, READERS, current_user, may_see_county, require
from ballot.assessments.imports import MIMETYPES, write_table
from ballot.db import get_session
from ballot.scores.county_services import (
    PT_HEADINGS,
    CountyScoreError,
    add_county,
    county_lines,
    import_scores,
    parse_year,
    save_scores,
    template_rows,
    this_year,
)
from tally import DEFAULT_RULES

bp = Blueprint("pt", __name__, url_prefix="/county-scores")

#: The A13 outcome for a county (default rules).
BASIS_LABELS = {"raised": _l("上调"), "lowered": _l("下调"), "base": _l("一般")}


def _page(year: int, status: int = 200, **extra: Any):  # type: ignore[no-untyped-def]
    user = current_user()
    assert user is not None
    lines = county_lines(get_session(), year)
    page = render_template(
        "pt/county_scores.html",
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


def _form_year() -> int:
    try:
        return parse_year(request.form.get("year"))
    except CountyScoreError:
        abort(400)


def _back(year: int):  # type: ignore[no-untyped-def]
    return redirect(url_for("pt.county_scores", year=year), code=303)


@bp.get("")
@require(*READERS)
def county_scores():  # type: ignore[no-untyped-def]
    """Every county's P and T for the year, with the A13 places and ratios."""
    text = request.args.get("year")
    if text is None:
        return _page(this_year())
    try:
        year = parse_year(text)
    except CountyScoreError as error:
        return _page(this_year(), 400, problems=error.problems, problem_form="year")
    return _page(year)


@bp.post("/save")
@require(*EDITORS)
def save():  # type: ignore[no-untyped-def]
    """Save the whole typed table, all or nothing."""
    year = _form_year()
    db = get_session()
    try:
        changed = save_scores(db, year, request.form, current_user())
    except CountyScoreError as error:
        db.rollback()
        return _page(year, 422, problems=error.problems, problem_form="save",
                     typed=request.form)
    db.commit()
    flash(_("已保存：%(n)s 个县区的分数有变化。", n=changed) if changed else _("分数没有变化。"), "ok")
    return _back(year)


@bp.post("/import")
@require(*EDITORS)
def import_():  # type: ignore[no-untyped-def]
    """Import P and/or T of the year's counties from one XLSX or CSV file, all or nothing."""
    year = _form_year()
    db = get_session()
    upload = request.files.get("file")
    try:
        if upload is None or not upload.filename:
            raise CountyScoreError([_("请选择要上传的文件（.xlsx 或 .csv）。")])
        changed = import_scores(db, year, upload.filename, upload.read(), current_user())
    except CountyScoreError as error:
        db.rollback()
        return _page(year, 422, problems=error.problems, problem_form="import")
    db.commit()
    flash(_("已导入：%(n)s 个县区的分数有变化。", n=changed) if changed
          else _("已导入：分数没有变化。"), "ok")
    return _back(year)


@bp.post("/counties", endpoint="add_county")
@require(*EDITORS)
def add_county_():  # type: ignore[no-untyped-def]
    """Add a county so that imports and new assessments know it."""
    year = _form_year()
    db = get_session()
    name = request.form.get("name", "")
    try:
        county = add_county(db, name, current_user())
    except CountyScoreError as error:
        db.rollback()
        return _page(year, 422, problems=error.problems, problem_form="county", new_county=name)
    db.commit()
    flash(_("已添加县区：%(name)s。", name=county.name), "ok")
    return _back(year)


@bp.get("/template.<fmt>")
@require(*READERS)
def template(fmt: str):  # type: ignore[no-untyped-def]
    """The import file for the year: every county, with its scores so far."""
    if fmt not in MIMETYPES:
        abort(404)
    text = request.args.get("year")
    try:
        year = this_year() if text is None else parse_year(text)
    except CountyScoreError:
        abort(404)
    data = write_table(fmt, list(PT_HEADINGS.values()), template_rows(get_session(), year))
    return Response(data, mimetype=MIMETYPES[fmt], headers={
        "Content-Disposition": f"attachment; filename=county-scores-{year}.{fmt}"})
