"""Downloads and printable reports of an assessment, and the city-wide view of a year."""

from __future__ import annotations

import csv
import io
from typing import Any

from flask import Blueprint, Response, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from markupsafe import Markup

from ballot.accounts.access import READERS, assessment_for, current_user, require
from ballot.assessments.models import Assessment
from ballot.clock import beijing_now, beijing_year
from ballot.db import get_session
from ballot.evaluations.models import Kind
from ballot.labels import KIND_LABELS, RATING_LABELS
from ballot.reports import charts, services, workbook
from ballot.reports.forms import CityFilterForm
from ballot.reports.labels import COMPONENT_LABELS, labels
from tally import COMPONENTS

bp = Blueprint("reports", __name__)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _download(body: bytes | str, mimetype: str, filename: str) -> Response:
    from urllib.parse import quote

    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = (
        f"attachment; filename=\"report\"; filename*=UTF-8''{quote(filename)}")
    return response


def _charts(assessment: Assessment, data: services.ReportData) -> list[tuple[str, Markup]]:
    """The rating distribution of each kind with closed evaluations, and the score spread, each
    with its title (shown as the figure's caption: the SVG's own title is for screen readers)."""
    db = get_session()
    pictures = []
    segment_labels = {key: str(value) for key, value in RATING_LABELS.items()}
    for kind in Kind:
        lines, turnouts = services.vote_table(db, assessment, kind)
        if not lines:  # none closed yet, or the counts are withheld (SPEC anonymity floor)
            continue
        bars = [charts.RatingBar(line.member.name, {
            "excellent": line.excellent, "competent": line.competent,
            "basically_competent": line.basically_competent, "incompetent": line.incompetent,
            "abstain": line.abstained}) for line in lines]
        title = _("%(kind)s评价分布", kind=KIND_LABELS[kind.value])
        pictures.append((title, charts.rating_bars(title, bars, segment_labels)))
    if data.rows:
        title = _("综合得分分布（60、80、90分为等次线）")
        pictures.append((title, charts.score_spread(
            title, [(row.name, row.composite) for row in data.rows], _("无综合得分"))))
    return pictures


def _page(template: str, assessment: Assessment, **context: Any) -> str:
    db = get_session()
    data = services.report_data(db, assessment)
    return render_template(
        template, assessment=assessment, data=data, charts=_charts(assessment, data),
        components=COMPONENTS, local_time=services.local_time, **labels(), **context)


@bp.get("/assessments/<int:assessment_id>/reports")
@require(*READERS)
def index(assessment_id: int) -> ResponseReturnValue:
    assessment = assessment_for(assessment_id)
    return _page("reports/index.html", assessment)


@bp.get("/assessments/<int:assessment_id>/report")
@require(*READERS)
def print_page(assessment_id: int) -> ResponseReturnValue:
    assessment = assessment_for(assessment_id)
    db = get_session()
    return _page(
        "reports/print.html", assessment,
        decisions=services.decision_lines(db, assessment),
        steps=services.approval_trail(db, assessment),
        amendments=services.amendments(db, assessment),
        boxes=services.closed_boxes(db, assessment),
        printed_at=beijing_now(),
    )


@bp.get("/assessments/<int:assessment_id>/report.xlsx", endpoint="workbook")
@require(*READERS)
def workbook_download(assessment_id: int) -> ResponseReturnValue:
    assessment = assessment_for(assessment_id)
    body = workbook.assessment_workbook(get_session(), assessment)
    return _download(body, XLSX, f"{assessment.county.name}{assessment.year}年度考核.xlsx")


@bp.get("/assessments/<int:assessment_id>/summary.csv")
@require(*READERS)
def summary_csv(assessment_id: int) -> ResponseReturnValue:
    assessment = assessment_for(assessment_id)
    data = services.report_data(get_session(), assessment)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([_("县区"), _("年度"), _("排序"), _("姓名"), _("职务"),
                     *[str(COMPONENT_LABELS[c]) for c in COMPONENTS],
                     _("综合得分"), _("排名"), _("等次"), _("备注")])
    for row in data.rows:
        _safe_writerow(writer, [
            assessment.county.name, assessment.year, row.order, row.name, row.position,
            *["" if row.scores[c] is None else str(row.scores[c]) for c in COMPONENTS],
            "" if row.composite is None else str(row.composite),
            "" if row.rank is None else row.rank,
            workbook.grade_label(row.grade), workbook.flags_text(row.flags),
        ])
    return _download("\ufeff" + out.getvalue(), "text/csv; charset=utf-8",
                     f"{assessment.county.name}{assessment.year}年度汇总.csv")


def _safe_writerow(writer: Any, values: list[Any]) -> None:
    """A CSV row in which no text cell can start a spreadsheet formula (=, +, -, @)."""
    writer.writerow([f"'{v}" if isinstance(v, str) and v[:1] in ("=", "+", "-", "@", "\t", "\r")
                     else v for v in values])


def _year() -> tuple[int, str | None]:
    """The ``year`` parameter (``CityFilterForm``), or this year in Beijing; and what is wrong
    with it, in the visitor's language, when it is not a year."""
    form = CityFilterForm(request.args)
    if not form.validate():
        return beijing_year(), "；".join(form.problems())
    year: int | None = form.year.data
    return (beijing_year() if year is None else year), None


@bp.get("/city")
@require(*READERS)
def city() -> ResponseReturnValue:
    year, problem = _year()
    user = current_user()
    assert user is not None
    statuses = services.city_overview(get_session(), year, user)
    page = render_template("reports/city.html", year=year, problem=problem, statuses=statuses,
                           **labels())
    return page, 400 if problem else 200


@bp.get("/city.xlsx")
@require(*READERS)
def city_workbook() -> ResponseReturnValue:
    year, problem = _year()
    if problem:
        return render_template("reports/city.html", year=year, problem=problem, statuses=[],
                               **labels()), 400
    user = current_user()
    assert user is not None
    statuses = services.city_overview(get_session(), year, user)
    return _download(workbook.city_workbook(year, statuses), XLSX, f"{year}年度全市汇总.xlsx")
