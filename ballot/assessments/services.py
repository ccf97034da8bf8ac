"""Counties, assessments and rosters: find-or-create, the roster file import, the assessment's
settings (A11.6, A13) and starting evaluations from the roster (A11.3)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from ballot.assessments.imports import TableError, read_table
from ballot.assessments.models import Assessment, County, Member
from ballot.audit.services import record
from ballot.clock import utcnow
from ballot.parsing import has_control, whole_number

if TYPE_CHECKING:
    from ballot.accounts.models import User
    from ballot.evaluations.models import Evaluation

#: Roster columns: the Chinese headings of the template, or their English names.
ROSTER_COLUMNS = {
    "姓名": "name", "name": "name",
    "职务": "position", "position": "position",
    "分管工作": "portfolio", "portfolio": "portfolio",
    "排序": "order", "order": "order",
}
MAX_ROSTER_ROWS = 200


class LockedError(Exception):
    """A change refused because the inputs are locked or the results are in the approval chain."""


def ensure_inputs_open(assessment: Assessment) -> None:
    """Roster, P/T/L/H and settings change only before the team locks the inputs (A15 procedure)."""
    if assessment.inputs_locked or assessment.stage != "setup":
        raise LockedError("inputs are locked for this assessment")


def ensure_decisions_open(assessment: Assessment) -> None:
    """Decisions change only while the team has not proposed (or after a return)."""
    if assessment.stage != "setup":
        raise LockedError("the results are in the approval chain; record an amendment instead"
                          if assessment.stage == "approved" else
                          "the results are in the approval chain")


class RosterError(Exception):
    """A roster file that cannot be imported; ``problems`` lists every bad row, nothing is saved."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class RosterRow:
    name: str
    position: str
    portfolio: str
    order: int


def get_or_create_assessment(session: Session, county_name: str, year: int) -> Assessment:
    """The county's assessment for the year, creating the county and assessment if needed."""
    county_name = county_name.strip()
    if not county_name:
        raise RosterError(["county: must not be empty"])
    if has_control(county_name):
        raise RosterError(["county: must not contain control characters (line breaks, tabs, NUL)"])
    if not 2000 <= year <= 2100:
        raise RosterError([f"year: must be between 2000 and 2100, got {year}"])
    county = session.scalar(select(County).where(County.name == county_name))
    if county is None:
        county = County(name=county_name)
        session.add(county)
        session.flush()
    assessment = session.scalar(
        select(Assessment).where(Assessment.county_id == county.id, Assessment.year == year)
    )
    if assessment is None:
        assessment = Assessment(county=county, year=year)
        session.add(assessment)
        session.flush()
    return assessment


def parse_roster_csv(text: str) -> list[RosterRow]:
    """Read a roster CSV (姓名, 职务, 分管工作, 排序); every problem is reported, by row number."""
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    rows = list(reader)
    if not rows:
        raise RosterError(["the file is empty"])
    header = [ROSTER_COLUMNS.get(h.strip()) for h in rows[0]]
    missing = [c for c in ("name", "position") if c not in header]
    if missing:
        raise RosterError([f"row 1: missing column {' and '.join(missing)} (姓名, 职务 are required)"])
    problems: list[str] = []
    parsed: list[RosterRow] = []
    body = [r for r in rows[1:] if any(cell.strip() for cell in r)]
    if len(body) > MAX_ROSTER_ROWS:
        raise RosterError([f"at most {MAX_ROSTER_ROWS} members, got {len(body)}"])
    for number, raw in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in raw):
            continue
        cells = {key: raw[i].strip() for i, key in enumerate(header) if key and i < len(raw)}
        name, position = cells.get("name", ""), cells.get("position", "")
        if not name:
            problems.append(f"row {number}, 姓名: must not be empty")
        if not position:
            problems.append(f"row {number}, 职务: must not be empty")
        for label, value, limit in (("姓名", name, 40), ("职务", position, 80),
                                    ("分管工作", cells.get("portfolio", ""), 200)):
            if len(value) > limit:
                problems.append(f"row {number}, {label}: at most {limit} characters, "
                                f"got {len(value)}")
            if has_control(value):
                problems.append(f"row {number}, {label}: must not contain control characters "
                                "(line breaks, tabs, NUL)")
        order_text = cells.get("order", "")
        order = len(parsed) + 1
        if order_text:
            parsed_order = whole_number(order_text, 1, MAX_ROSTER_ROWS * 10)
            if parsed_order is None:
                problems.append(f"row {number}, 排序: must be a whole number >= 1, got {order_text!r}")
            else:
                order = parsed_order
        parsed.append(RosterRow(name, position, cells.get("portfolio", ""), order))
    orders = [r.order for r in parsed]
    for order in sorted({o for o in orders if orders.count(o) > 1}):
        problems.append(f"排序 {order} appears more than once")
    if not parsed and not problems:
        problems.append("the roster has no members")
    if problems:
        raise RosterError(problems)
    return sorted(parsed, key=lambda r: r.order)


def replace_roster(session: Session, assessment: Assessment, rows: list[RosterRow]) -> None:
    """Set the assessment's roster; refused once any evaluation of it exists."""
    from ballot.evaluations.models import Evaluation

    if session.scalar(select(Evaluation.id).where(Evaluation.assessment_id == assessment.id)):
        raise RosterError(["the roster cannot change after an evaluation has been created"])
    for member in list(assessment.members):
        session.delete(member)
    session.flush()
    for row in rows:
        session.add(Member(assessment=assessment, name=row.name, position=row.position,
                           portfolio=row.portfolio, order=row.order))
    session.flush()
    session.refresh(assessment)


# --- The workspace's setup pages (messages in Chinese, every change audited) -----------------

#: The template's headings for each roster column, in template order.
ROSTER_HEADINGS = {"name": "姓名", "position": "职务", "portfolio": "分管工作", "order": "排序"}
#: Longest values the roster columns hold (the member table's sizes).
ROSTER_LENGTHS = {"name": 40, "position": 80, "portfolio": 200}
#: Highest display order accepted.
MAX_ORDER = 999
#: China has kept UTC+8 all year since 1991: the closing time typed on the page is in it.
CHINA = dt.timezone(dt.timedelta(hours=8), "Asia/Shanghai")
#: Most other assessed cadres an assessment may count (A11.6); a county has a few dozen.
MAX_OTHER_CADRES = 1000
#: Bounds of k, the anonymity floor (SPEC "Ballots": never below 3; the database checks both).
MIN_ANONYMITY_FLOOR = 3
MAX_ANONYMITY_FLOOR = 1000


class SetupError(Exception):
    """A setup change refused; ``problems`` says why (field and value), nothing is saved."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def create_assessment(
    session: Session,
    *,
    county_id: str,
    new_county: str,
    year: str,
    allowed_county_ids: set[int] | None,
    actor: User | None,
) -> Assessment:
    """A new assessment for a county (picked, or typed and created) and a year (A10).

    ``allowed_county_ids`` limits a team account to its counties (None: any county).
    """
    problems = []
    name = new_county.strip()
    county: County | None = None
    if county_id.strip() and name:
        problems.append(_("县区：请选择已有县区，或输入新县区名称，二者只填一项。"))
    elif county_id.strip():
        county_text = county_id.strip()
        county = (session.get(County, int(county_text))
                  if county_text.isascii() and county_text.isdigit() and len(county_text) < 10
                  else None)
        if county is None:
            problems.append(_("县区：所选县区不存在。"))
    elif name:
        if len(name) > 60:
            problems.append(_("县区名称：不能超过 60 个字，现有 %(n)s 个字。", n=len(name)))
        if has_control(name):
            problems.append(_("县区名称：不能包含换行、制表符等控制字符。"))
        county = session.scalar(select(County).where(County.name == name))
    else:
        problems.append(_("县区：请选择已有县区，或输入新县区名称。"))
    year_text = year.strip()
    year_value = whole_number(year_text, 2000, 2100)
    if year_value is None:
        problems.append(_("年度：应为 2000 到 2100 之间的整数，实际为“%(value)s”。", value=_shown(year_text)))
    if not problems and allowed_county_ids is not None and (
        county is None or county.id not in allowed_county_ids
    ):
        names = "、".join(session.scalars(
            select(County.name).where(County.id.in_(allowed_county_ids)).order_by(County.name)))
        problems.append(_("您的账号只能为以下县区创建考核：%(names)s。", names=names or "—"))
    if problems:
        raise SetupError(problems)
    assert year_value is not None
    if county is None:
        county = County(name=name)
        session.add(county)
        session.flush()
        record(session, "county.create", actor=actor, target=f"county:{county.id}",
               after={"name": county.name})
    elif session.scalar(select(Assessment.id).where(
        Assessment.county_id == county.id, Assessment.year == year_value
    )) is not None:
        raise SetupError([_("%(county)s %(year)s年度的考核已经存在，不能重复创建。",
                            county=county.name, year=year_value)])
    assessment = Assessment(county=county, year=year_value)
    session.add(assessment)
    session.flush()
    record(session, "assessment.create", actor=actor, assessment_id=assessment.id,
           target=f"assessment:{assessment.id}",
           after={"county": county.name, "year": year_value})
    return assessment


def roster_locked_reason(session: Session, assessment: Assessment) -> str | None:
    """Why the roster can no longer be replaced, or None while it can.

    Ballots and score sheets refer to the members, so the roster is fixed once an evaluation,
    a head's score (form 5) or a decision exists, and when the inputs are locked (A15).
    """
    from ballot.evaluations.models import Evaluation
    from ballot.results.models import Amendment, Decision
    from ballot.scores.models import MemberScore

    try:
        ensure_inputs_open(assessment)
    except LockedError:
        return _("录入已锁定（或考核结果已进入审批），名单不能再修改。")
    if session.scalar(select(Evaluation.id).where(Evaluation.assessment_id == assessment.id)
                      .limit(1)) is not None:
        return _("本考核已创建测评，名单不能再修改（选票上的成员必须与名单一致）。")
    member_ids = select(Member.id).where(Member.assessment_id == assessment.id)
    for model in (MemberScore, Decision, Amendment):
        column = model.member_id  # type: ignore[attr-defined]
        if session.scalar(select(column).where(column.in_(member_ids)).limit(1)) is not None:
            return _("已有针对名单成员的评分或决定记录，名单不能再整体替换。")
    return None


def parse_roster_file(filename: str, data: bytes) -> list[RosterRow]:
    """Read an uploaded roster (XLSX or CSV: 姓名, 职务, 分管工作, 排序, or name, position,
    portfolio, order); every problem is reported by row and column, in Chinese (A4)."""
    try:
        table = read_table(filename, data, ROSTER_COLUMNS, required=("name", "position"),
                           labels=ROSTER_HEADINGS, max_rows=MAX_ROSTER_ROWS)
    except TableError as error:
        raise RosterError(error.problems) from None
    problems: list[str] = []
    parsed: list[tuple[int, RosterRow]] = []
    explicit_order = "order" in table.columns and any(r.cells.get("order") for r in table.rows)
    for index, row in enumerate(table.rows, start=1):
        cells = row.cells
        for key in ("name", "position"):
            if not cells.get(key):
                problems.append(_("第%(row)s行「%(column)s」：不能为空。",
                                  row=row.number, column=ROSTER_HEADINGS[key]))
        for key, limit in ROSTER_LENGTHS.items():
            value = cells.get(key, "")
            if len(value) > limit:
                problems.append(_("第%(row)s行「%(column)s」：不能超过 %(max)s 个字，现有 %(n)s 个字。",
                                  row=row.number, column=ROSTER_HEADINGS[key], max=limit,
                                  n=len(value)))
            if has_control(value):
                problems.append(_("第%(row)s行「%(column)s」：不能包含换行、制表符等控制字符。",
                                  row=row.number, column=ROSTER_HEADINGS[key]))
        order = index
        if explicit_order:
            text = cells.get("order", "")
            parsed_order = whole_number(text, 1, MAX_ORDER)
            if parsed_order is None:
                problems.append(_("第%(row)s行「排序」：应为 1 到 %(max)s 的整数，实际为“%(value)s”。",
                                  row=row.number, max=MAX_ORDER, value=_shown(text)))
                order = 0
            else:
                order = parsed_order
        parsed.append((row.number, RosterRow(cells.get("name", ""), cells.get("position", ""),
                                             cells.get("portfolio", ""), order)))
    rows_by_order: dict[int, list[int]] = {}
    for number, member in parsed:
        if member.order:
            rows_by_order.setdefault(member.order, []).append(number)
    for order, numbers in sorted(rows_by_order.items()):
        if len(numbers) > 1:
            problems.append(_("第%(rows)s行「排序」：排序 %(order)s 重复。",
                              rows="、".join(map(str, numbers)), order=order))
    if not parsed and not problems:
        problems.append(_("名单中没有成员：列标题下面没有任何一行。"))
    if problems:
        raise RosterError(problems)
    return sorted((member for _number, member in parsed), key=lambda r: r.order)


def _member_snapshot(member: Member) -> dict[str, object]:
    return {"order": member.order, "name": member.name, "position": member.position,
            "portfolio": member.portfolio}


def import_roster(session: Session, assessment: Assessment, rows: list[RosterRow],
                  actor: User | None) -> None:
    """Replace the roster with ``rows`` (all or nothing), audited with the old and new lists.

    Last year's grades (A18) already entered stay with members whose name is unchanged.
    """
    reason = roster_locked_reason(session, assessment)
    if reason:
        raise RosterError([reason])
    before = [_member_snapshot(m) for m in assessment.members]
    previous_grades = {m.name: m.previous_grade for m in assessment.members if m.previous_grade}
    replace_roster(session, assessment, rows)
    for member in assessment.members:
        member.previous_grade = previous_grades.get(member.name)
    session.flush()
    record(session, "roster.replace", actor=actor, assessment_id=assessment.id,
           target=f"assessment:{assessment.id}",
           before={"members": before},
           after={"members": [_member_snapshot(m) for m in assessment.members]})


SETTING_FIELDS = ("other_cadres_count", "other_cadres_excellent", "quota_ratio", "quota_reason",
                  "excellent_cap", "decimals", "anonymity_floor")


def _shown(text: str, limit: int = 20) -> str:
    """A refused value as the message quotes it: a pasted page of digits is cut short."""
    return text if len(text) <= limit else text[:limit] + "…"


def _whole(text: str, low: int, high: int, label: str, problems: list[str]) -> int | None:
    """A whole number in [low, high] (``parsing.whole_number``: no '²', no thousand-digit
    strings), or None with the field's problem added."""
    value = whole_number(text, low, high)
    if value is None:
        problems.append(_("%(field)s：应为 %(low)s 到 %(high)s 的整数，实际为“%(value)s”。",
                          field=label, low=low, high=high, value=_shown(text)))
    return value


def _anonymity_floor(form: Mapping[str, str], current: int, problems: list[str]) -> int | None:
    """k of the anonymity floor (SPEC "Ballots"): a whole number from 3 to 1000. It decides at
    each close whether that evaluation's counts are withheld; an evaluation already closed keeps
    its decision. A form without the field keeps the current k."""
    if "anonymity_floor" not in form:
        return current
    text = str(form.get("anonymity_floor", "")).strip()
    value = whole_number(text, MIN_ANONYMITY_FLOOR, MAX_ANONYMITY_FLOOR)
    if value is None:
        problems.append(_("匿名下限：应为 %(low)s 到 %(high)s 的整数（有效票少于此数时暂不公开各成员的票数，"
                          "不能低于 %(low)s），实际为“%(value)s”。",
                          low=MIN_ANONYMITY_FLOOR, high=MAX_ANONYMITY_FLOOR, value=_shown(text)))
    return value


def _ratio(text: str, ceiling: Decimal, problems: list[str]) -> str | None:
    """An Excellent ratio typed as 0.18 or 18%; 0 < ratio <= the ceiling (A11.6, A13)."""
    label = _("本考核优秀比例")
    percent = text.endswith(("%", "％"))
    try:
        value = Decimal(text[:-1].strip() if percent else text)
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite():
        problems.append(_("%(field)s：不是数字：“%(value)s”。", field=label, value=text))
        return None
    if percent:
        value = value / 100
    if not Decimal(0) < value <= ceiling:
        percent_text = f"{ceiling * 100:.0f}%"
        problems.append(_("%(field)s：应大于 0 且不超过 %(max)s（即 %(pct)s），实际为“%(value)s”。",
                          field=label, max=ceiling, pct=percent_text, value=text))
        return None
    if -int(value.normalize().as_tuple().exponent) > 4:
        problems.append(_("%(field)s：最多四位小数，实际为“%(value)s”。", field=label, value=text))
        return None
    return format(value.normalize(), "f")


def update_settings(session: Session, assessment: Assessment, form: Mapping[str, str],
                    actor: User | None) -> list[str]:
    """Other assessed cadres (A11.6), the team's own Excellent ratio with its reason (A13, never
    above the 20% ceiling), the default Excellent cap per ballot, the published decimals and k
    of the anonymity floor (SPEC "Ballots").

    Returns the fields changed; one audit entry holds their before and after values.
    """
    from tally import InputError, Rules

    try:
        ensure_inputs_open(assessment)
    except LockedError:
        raise SetupError([_("录入已锁定（或考核结果已进入审批），设置不能再修改。")]) from None
    problems: list[str] = []
    text = {key: str(form.get(key, "")).strip() for key in SETTING_FIELDS}
    count = _whole(text["other_cadres_count"], 0, MAX_OTHER_CADRES, _("其他县级干部人数"),
                   problems)
    given = _whole(text["other_cadres_excellent"], 0, count if count is not None else
                   MAX_OTHER_CADRES, _("其他县级干部已评优秀人数"), problems)
    decimals = _whole(text["decimals"], 0, 4, _("保留小数位数"), problems)
    rules = Rules()
    if decimals is not None:
        try:
            rules = Rules(decimals=decimals)
        except InputError as error:
            problems.append(_("保留小数位数：%(message)s", message=error.message))
    ratio = _ratio(text["quota_ratio"], rules.ratio_ceiling, problems) if text["quota_ratio"] \
        else None
    reason = text["quota_reason"] if text["quota_ratio"] else ""
    if text["quota_ratio"] and not reason:
        problems.append(_("确定比例的理由：自定优秀比例时必须填写理由（A13）。"))
    if len(reason) > 500:
        problems.append(_("确定比例的理由：不能超过 500 个字，现有 %(n)s 个字。", n=len(reason)))
    members = len(assessment.members)
    cap = _whole(text["excellent_cap"], 0, members, _("每张选票优秀票上限"), problems) \
        if text["excellent_cap"] else None
    floor = _anonymity_floor(form, assessment.anonymity_floor, problems)
    if problems:
        raise SetupError(problems)
    new = {"other_cadres_count": count, "other_cadres_excellent": given, "quota_ratio": ratio,
           "quota_reason": reason or None, "excellent_cap": cap, "decimals": decimals,
           "anonymity_floor": floor}
    old = {key: getattr(assessment, key) for key in SETTING_FIELDS}
    changed = [key for key in SETTING_FIELDS if new[key] != old[key]]
    if not changed:
        return []
    for key in changed:
        setattr(assessment, key, new[key])
    session.flush()
    record(session, "assessment.settings", actor=actor, assessment_id=assessment.id,
           target=f"assessment:{assessment.id}",
           before={key: old[key] for key in changed}, after={key: new[key] for key in changed})
    return changed


def local_closing_time(text: str, now: dt.datetime | None = None) -> dt.datetime | None:
    """A closing time typed in Beijing time (datetime-local, e.g. 2026-12-01T11:30) as naive UTC;
    it must lie in the future."""
    text = text.strip()
    if not text:
        return None
    try:
        local = dt.datetime.fromisoformat(text)
        if not 2000 <= local.year <= 2100:
            raise ValueError(text)
    except ValueError:
        raise SetupError([_("结束时间：格式应为“年-月-日 时:分”，实际为“%(value)s”。",
                            value=text)]) from None
    if local.tzinfo is not None:
        local = local.astimezone(CHINA).replace(tzinfo=None)
    closing = local.replace(tzinfo=CHINA).astimezone(dt.UTC).replace(tzinfo=None)
    if closing <= (now or utcnow()):
        raise SetupError([_("结束时间：%(value)s 已经过去，请填写将来的时间（北京时间）。",
                            value=local.strftime("%Y-%m-%d %H:%M"))])
    return closing


def start_evaluation(session: Session, assessment: Assessment, form: Mapping[str, str],
                     actor: User | None) -> Evaluation:
    """A draft evaluation over the roster (A11.3: the meeting, or the interviews), with its
    Excellent cap per ballot and optional closing time (SPEC ballot decisions)."""
    from ballot.evaluations.models import Kind
    from ballot.evaluations.services import EvaluationError, create_evaluation

    if not assessment.members:
        raise SetupError([_("名单为空：请先导入被考核成员名单，再创建测评。")])
    try:
        ensure_inputs_open(assessment)
    except LockedError:
        raise SetupError([_("录入已锁定（或考核结果已进入审批），不能再创建测评。")]) from None
    problems: list[str] = []
    kind_text = str(form.get("kind", "")).strip()
    if kind_text not in {k.value for k in Kind}:
        problems.append(_("测评类型：请选择民主测评或个别谈话。"))
    cap_text = str(form.get("excellent_cap", "")).strip()
    cap = _whole(cap_text, 0, len(assessment.members), _("每张选票优秀票上限"), problems) \
        if cap_text else None
    try:
        closes_at = local_closing_time(str(form.get("closes_at", "")))
    except SetupError as error:
        problems.extend(error.problems)
        closes_at = None
    if problems:
        raise SetupError(problems)
    try:
        return create_evaluation(session, assessment, Kind(kind_text), excellent_cap=cap,
                                 closes_at=closes_at, actor=actor)
    except EvaluationError as error:
        raise SetupError([str(error)]) from None
