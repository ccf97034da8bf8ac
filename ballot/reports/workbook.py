"""The assessment as an XLSX workbook: form 6, forms 2 and 3, the score sheets (forms 4, 5),
the decisions and the A15 approval trail. Numbers are numbers with 2-decimal formats."""

from __future__ import annotations

import io
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet
from sqlalchemy.orm import Session

from ballot.assessments.models import Assessment
from ballot.box.services import digest_or_none
from ballot.evaluations.models import Kind
from ballot.labels import GRADE_LABELS, KIND_LABELS, OFFICE_LABELS, RATING_LABELS, STAGE_LABELS
from ballot.reports import services
from ballot.reports.labels import (
    ACTION_LABELS,
    BASIS_LABELS,
    COMPONENT_LABELS,
    DECISION_LABELS,
    FLAG_LABELS,
    SCORER_KIND_LABELS,
    SOURCE_LABELS,
)
from ballot.results.services import rules_for
from tally import COMPONENTS

SCORE_FORMAT = "0.00"
TIME_FORMAT = "yyyy-mm-dd hh:mm"
_BOLD = Font(bold=True)
_TITLE = Font(bold=True, size=14)
_HEADER_FILL = PatternFill("solid", fgColor="DDE6F0")
_WRAP = Alignment(wrap_text=True, vertical="top")


def grade_label(grade: str | None) -> str:
    return str(GRADE_LABELS[grade]) if grade in GRADE_LABELS else _("待定")


def flags_text(flags: Sequence[str]) -> str:
    return "、".join(str(FLAG_LABELS.get(flag, flag)) for flag in flags)


def percent(weight: Decimal) -> str:
    return f"{(weight * 100).normalize():f}%"


def _title(sheet: Worksheet, text: str, width: int) -> None:
    _safe_append(sheet, [text])
    sheet.cell(row=1, column=1).font = _TITLE
    if width > 1:
        sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)


def _header(sheet: Worksheet, headings: Sequence[str], widths: Sequence[int]) -> int:
    """Append a header row (bold, shaded), set column widths; returns its row number."""
    _safe_append(sheet, list(headings))
    row: int = sheet.max_row
    for column, width in enumerate(widths, start=1):
        cell = sheet.cell(row=row, column=column)
        cell.font = _BOLD
        cell.fill = _HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        letter = get_column_letter(column)
        sheet.column_dimensions[letter].width = max(sheet.column_dimensions[letter].width or 0,
                                                    width)
    return row


def _safe_append(sheet: Worksheet, values: Sequence[Any]) -> None:
    """Append a row; text that looks like a formula (=, +, -, @) stays text, so a name typed as
    "=HYPERLINK(...)" cannot run in the reviewer's Excel."""
    sheet.append(list(values))
    for cell in sheet[sheet.max_row]:
        if cell.data_type == "f":
            cell.data_type = "s"


def _append(sheet: Worksheet, values: Sequence[Any], score_columns: Sequence[int] = (),
            time_columns: Sequence[int] = ()) -> None:
    _safe_append(sheet, list(values))
    row: int = sheet.max_row
    for column in score_columns:
        sheet.cell(row=row, column=column).number_format = SCORE_FORMAT
    for column in time_columns:
        sheet.cell(row=row, column=column).number_format = TIME_FORMAT


def _summary_sheet(sheet: Worksheet, data: services.ReportData) -> None:
    assessment = data.assessment
    weights = rules_for(assessment).weights
    headings = [_("排序"), _("姓名"), _("职务")]
    widths = [6, 10, 16]
    for name in COMPONENTS:
        headings += [str(COMPONENT_LABELS[name]),
                     f"{COMPONENT_LABELS[name]}×{percent(getattr(weights, name))}"]
        widths += [10, 12]
    headings += [_("综合得分"), _("排名"), _("等次"), _("备注")]
    widths += [10, 6, 10, 30]
    _title(sheet, _("%(county)s %(year)s年度 县级领导班子成员考核量化评分表（表6）",
                    county=assessment.county.name, year=assessment.year), len(headings))
    if data.source == "snapshot":
        approved_at = services.local_time(data.snapshot_at)
        source = _("市委审定结果（%(at)s）",
                   at=approved_at.strftime("%Y-%m-%d %H:%M") if approved_at else "")
    else:
        source = _("当前汇总（尚未审定）")
    _safe_append(sheet, [_("县区"), assessment.county.name, _("年度"), assessment.year, _("数据"), source])
    header_row = _header(sheet, headings, widths)
    sheet.freeze_panes = f"C{header_row + 1}"
    score_columns = list(range(4, 4 + 2 * len(COMPONENTS) + 1))
    for row in data.rows:
        values: list[Any] = [row.order, row.name, row.position]
        for name in COMPONENTS:
            values += [row.scores[name], row.weighted[name]]
        values += [row.composite, row.rank, grade_label(row.grade), flags_text(row.flags)]
        _append(sheet, values, score_columns)
    _safe_append(sheet, [])
    quota = data.quota
    _safe_append(sheet, [_("优秀名额（A11.6、A13）")])
    sheet.cell(row=sheet.max_row, column=1).font = _BOLD
    _safe_append(sheet, [_("比例"), quota.ratio,
                  str(BASIS_LABELS.get(quota.ratio_basis, quota.ratio_basis))])
    sheet.cell(row=sheet.max_row, column=2).number_format = "0%"
    _safe_append(sheet, [_("参与比例计算的干部"), quota.pool])
    _safe_append(sheet, [_("优秀上限"), quota.cap])
    _safe_append(sheet, [_("其他县级干部已评优秀"), quota.taken_by_others])
    _safe_append(sheet, [_("班子成员可评优秀"), quota.available])
    if quota.reason:
        _safe_append(sheet, [_("理由"), quota.reason])
    if data.missing:
        _safe_append(sheet, [_("缺少的录入"), "、".join(str(COMPONENT_LABELS[m]) for m in data.missing)])


def _vote_sheet(sheet: Worksheet, session: Session, assessment: Assessment, kind: Kind) -> None:
    lines, turnouts = services.vote_table(session, assessment, kind)
    form = _("民主测评（表2）") if kind == Kind.DEMOCRATIC else _("个别谈话（表3）")
    headings = [_("排序"), _("姓名"), _("职务"), str(RATING_LABELS["excellent"]),
                str(RATING_LABELS["competent"]), str(RATING_LABELS["basically_competent"]),
                str(RATING_LABELS["incompetent"]), _("弃权"), _("有效票"), _("测评得分")]
    _title(sheet, f"{assessment.county.name} {assessment.year} · {form}", len(headings))
    header_row = _header(sheet, headings, [6, 10, 16, 8, 8, 10, 8, 8, 8, 10])
    sheet.freeze_panes = f"C{header_row + 1}"
    if not turnouts:
        _safe_append(sheet, [_("尚无已结束的测评。")])
        return
    if not lines:  # SPEC "Ballots", anonymity floor: ballot/evaluations/floor.py
        _safe_append(sheet, [_("票数暂不公开（有效票少于匿名下限），须考核组记录公开决定后才能显示。")])
    for line in lines:
        _append(sheet, [line.member.order, line.member.name, line.member.position, line.excellent,
                        line.competent, line.basically_competent, line.incompetent,
                        line.abstained, line.valid, line.score], [10])
    _safe_append(sheet, [])
    _safe_append(sheet, [_("票签与选票")])
    sheet.cell(row=sheet.max_row, column=1).font = _BOLD
    _header(sheet, [_("测评编号"), _("结束时间"), _("发放票签"), _("已用票签"), _("收回选票"),
                    _("无效选票"), _("有效选票"), _("票数")], [6, 16, 8, 8, 10, 8, 8, 10])
    for t in turnouts:
        _append(sheet, [t.evaluation.id, services.local_time(t.evaluation.closed_at), t.issued,
                        t.used, t.ballots, t.invalid, t.ballots - t.invalid,
                        _("暂不公开") if t.withheld else _("公开")], time_columns=[2])


def _sheets_sheet(sheet: Worksheet, session: Session, assessment: Assessment) -> None:
    headings = [_("类别"), _("评分人"), _("职务"), _("评分对象"), _("分数"), _("签名"),
                _("签署时间"), _("来源"), _("状态")]
    _title(sheet, f"{assessment.county.name} {assessment.year} · "
                  + _("市级领导评分（表4）与党政正职评分（表5）"), len(headings))
    header_row = _header(sheet, headings, [10, 10, 16, 16, 8, 10, 16, 10, 10])
    sheet.freeze_panes = f"A{header_row + 1}"
    for line in services.score_sheets(session, assessment):
        scorer = line.scorer
        if scorer.withdrawn:
            state = _("已撤回")
        elif scorer.signed_at is None:
            state = _("未提交")
        else:
            state = _("已提交")
        _append(sheet, [str(SCORER_KIND_LABELS.get(scorer.kind, scorer.kind)), scorer.name,
                        scorer.title, line.member.name if line.member else assessment.county.name,
                        line.score, scorer.signed_name or "", services.local_time(scorer.signed_at),
                        str(SOURCE_LABELS.get(scorer.source, scorer.source)), state], [5], [7])


def _decisions_sheet(sheet: Worksheet, session: Session, assessment: Assessment) -> None:
    headings = [_("成员"), _("类型"), _("决定等次"), _("否决领域"), _("事实"), _("理由"),
                _("决定人"), _("时间"), _("是否有效")]
    _title(sheet, f"{assessment.county.name} {assessment.year} · " + _("考核组决定"),
           len(headings))
    header_row = _header(sheet, headings, [10, 12, 10, 14, 30, 30, 10, 16, 8])
    sheet.freeze_panes = f"A{header_row + 1}"
    for line in services.decision_lines(session, assessment):
        d = line.decision
        _append(sheet, [d.member.name, str(DECISION_LABELS.get(d.kind, d.kind)),
                        grade_label(d.grade) if d.grade else "", d.veto_area or "", d.facts or "",
                        d.reason, d.user.display_name, services.local_time(d.at),
                        _("有效") if line.effective else _("已被取代")], time_columns=[8])
        for column in (5, 6):
            sheet.cell(row=sheet.max_row, column=column).alignment = _WRAP


def _approval_sheet(sheet: Worksheet, session: Session, assessment: Assessment) -> None:
    headings = [_("时间"), _("环节"), _("部门"), _("意见"), _("操作人"), _("结果快照")]
    _title(sheet, f"{assessment.county.name} {assessment.year} · " + _("审批记录（A15）"),
           len(headings))
    header_row = _header(sheet, headings, [16, 14, 16, 40, 10, 10])
    sheet.freeze_panes = f"A{header_row + 1}"
    for step in services.approval_trail(session, assessment):
        _append(sheet, [services.local_time(step.at), str(ACTION_LABELS.get(step.action, step.action)),
                        str(OFFICE_LABELS[step.office]) if step.office in OFFICE_LABELS else _("考核组"),
                        step.comment, step.user.display_name, step.snapshot_id], time_columns=[1])
    _safe_append(sheet, [])
    _safe_append(sheet, [_("审定后更正")])
    sheet.cell(row=sheet.max_row, column=1).font = _BOLD
    _header(sheet, [_("时间"), _("成员"), _("说明"), _("原等次"), _("新等次"), _("理由"),
                    _("操作人")], [16, 14, 16, 40, 10, 10, 10])
    for amendment in services.amendments(session, assessment):
        _append(sheet, [services.local_time(amendment.at),
                        amendment.member.name if amendment.member else "",
                        amendment.description,
                        grade_label(amendment.grade_before) if amendment.grade_before else "",
                        grade_label(amendment.grade_after) if amendment.grade_after else "",
                        amendment.reason, amendment.user.display_name], time_columns=[1])


def _box_sheet(sheet: Worksheet, session: Session, assessment: Assessment) -> None:
    """One row per closed evaluation with its box's SHA-256 digest (SPEC "Ballots"), the
    figure to compare with what ``tally verify-box`` prints."""
    headings = [_("类别"), _("测评编号"), _("结束时间"), _("有效选票"), _("无效选票"),
                _("票箱摘要（SHA-256）")]
    _title(sheet, f"{assessment.county.name} {assessment.year} · " + _("测评票箱"),
           len(headings))
    header_row = _header(sheet, headings, [10, 8, 16, 8, 8, 70])
    sheet.freeze_panes = f"A{header_row + 1}"
    boxes = services.closed_boxes(session, assessment)
    for evaluation in boxes:
        _append(sheet, [str(KIND_LABELS[evaluation.kind]), evaluation.id,
                        services.local_time(evaluation.closed_at),
                        (evaluation.ballots_cast or 0) - (evaluation.invalid_ballots or 0),
                        evaluation.invalid_ballots or 0, digest_or_none(evaluation)],
                time_columns=[3])
    if not boxes:
        _safe_append(sheet, [_("尚无已结束的测评。")])
    _safe_append(sheet, [])
    _safe_append(sheet, [_("任何人都可以用 tally verify-box 重新计票，并核对票箱文件的 SHA-256 摘要与此表一致。")])


def assessment_workbook(session: Session, assessment: Assessment) -> bytes:
    """The whole assessment as XLSX bytes (sheets 汇总, 民主测评, 个别谈话, 评分表, 决定, 审批, 测评票箱)."""
    book = Workbook()
    summary = book.active
    summary.title = _("汇总")
    _summary_sheet(summary, services.report_data(session, assessment))
    _vote_sheet(book.create_sheet(_("民主测评")), session, assessment, Kind.DEMOCRATIC)
    _vote_sheet(book.create_sheet(_("个别谈话")), session, assessment, Kind.INTERVIEW)
    _sheets_sheet(book.create_sheet(_("评分表")), session, assessment)
    _decisions_sheet(book.create_sheet(_("决定")), session, assessment)
    _approval_sheet(book.create_sheet(_("审批")), session, assessment)
    _box_sheet(book.create_sheet(_("测评票箱")), session, assessment)
    return _bytes(book)


def city_workbook(year: int, statuses: Sequence[services.CountyStatus]) -> bytes:
    """Every member's grade across the counties of a year, one sheet."""
    book = Workbook()
    sheet = book.active
    sheet.title = _("全市汇总")
    headings = [_("县区"), _("排序"), _("姓名"), _("职务"), _("综合得分"), _("排名"), _("等次"),
                _("备注"), _("进度")]
    _title(sheet, _("%(year)s年度 全市县级领导班子成员考核结果", year=year), len(headings))
    header_row = _header(sheet, headings, [10, 6, 10, 16, 10, 6, 10, 30, 16])
    sheet.freeze_panes = f"A{header_row + 1}"
    for status in statuses:
        if status.data is None or status.assessment is None:
            continue
        for row in status.data.rows:
            _append(sheet, [status.county.name, row.order, row.name, row.position, row.composite,
                            row.rank, grade_label(row.grade), flags_text(row.flags),
                            str(STAGE_LABELS[status.assessment.stage])], [5])
    return _bytes(book)


def _bytes(book: Workbook) -> bytes:
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
