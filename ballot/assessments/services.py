"""Counties, assessments and rosters: creating an assessment, the roster file import, the
assessment's settings (A11.6, A13) and starting evaluations from the roster (A11.3).

The pages and the ``ballot`` command call the same services: every change is checked the same
way, refused with a ``Refusal`` whose messages are translatable, and audited.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from ballot.assessments.imports import TableError, read_table
from ballot.assessments.models import Assessment, County, Member, Stage
from ballot.audit.services import record
from ballot.errors import Refusal
from ballot.parsing import FIRST_YEAR, LAST_YEAR, has_control, whole_number

if TYPE_CHECKING:
    from ballot.accounts.models import User

#: Roster columns: the Chinese headings of the template, or their English names.
ROSTER_COLUMNS = {
    "姓名": "name", "name": "name",
    "职务": "position", "position": "position",
    "分管工作": "portfolio", "portfolio": "portfolio",
    "排序": "order", "order": "order",
}
MAX_ROSTER_ROWS = 200


class LockedError(Refusal):
    """A change refused because the inputs are locked or the results are in the approval chain."""

    status = 409


def ensure_inputs_open(assessment: Assessment) -> None:
    """Roster, P/T/L/H and settings change only before the team locks the inputs (A15 procedure)."""
    if not assessment.inputs_open:
        raise LockedError(_l("本考核的录入已锁定（或考核结果已进入审批），不能再修改。"))


def ensure_decisions_open(assessment: Assessment) -> None:
    """Decisions change only while the team has not proposed (or after a return)."""
    if assessment.stage != Stage.SETUP:
        raise LockedError(_l("考核结果已进入审批流程；审定后的更正请登记为更正记录。")
                          if assessment.stage == Stage.APPROVED else
                          _l("考核结果已进入审批流程。"))


class RosterError(Refusal):
    """A roster that cannot be imported; ``problems`` lists every bad row, nothing is saved."""

    def __init__(self, problems: Sequence[object]) -> None:
        super().__init__(_l("名单未能导入，未保存任何内容。"), problems=list(problems))


@dataclass(frozen=True)
class RosterRow:
    name: str
    position: str
    portfolio: str
    order: int


def get_or_create_assessment(session: Session, county_name: str, year: int) -> Assessment:
    """The county's assessment for the year, creating the county and assessment if needed,
    with no audit entry: a shortcut for test fixtures and the benchmark's seed. Pages and
    commands use ``create_assessment`` and ``find_or_create_assessment``."""
    name = county_name.strip()
    problems = _county_name_problems(name) + _year_problems(year)
    if problems:
        raise SetupError(problems)
    county = session.scalar(select(County).where(County.name == name))
    if county is None:
        county = County(name=name)
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


def replace_roster(session: Session, assessment: Assessment, rows: Sequence[RosterRow]) -> None:
    """Set the assessment's members to ``rows``, unchecked and unaudited: ``import_roster``'s
    last step (and test fixtures' shortcut). Changes go through ``import_roster``."""
    for member in list(assessment.members):
        session.delete(member)
    session.flush()
    for row in rows:
        session.add(Member(assessment=assessment, name=row.name, position=row.position,
                           portfolio=row.portfolio, order=row.order))
    session.flush()
    session.refresh(assessment)


#: The template's headings for each roster column, in template order.
ROSTER_HEADINGS = {"name": "姓名", "position": "职务", "portfolio": "分管工作", "order": "排序"}
#: Longest values the roster columns hold (the member table's sizes).
ROSTER_LENGTHS = {"name": 40, "position": 80, "portfolio": 200}
#: Highest display order accepted.
MAX_ORDER = 999
#: Longest county name (the county table's size).
MAX_COUNTY_NAME = 60
#: Most other assessed cadres an assessment may count (A11.6); a county has a few dozen.
MAX_OTHER_CADRES = 1000
#: Bounds of k, the anonymity floor (SPEC "Ballots": never below 3; the database checks both).
MIN_ANONYMITY_FLOOR = 3
MAX_ANONYMITY_FLOOR = 1000
#: Longest reason for the team's own Excellent ratio.
MAX_QUOTA_REASON = 500


class SetupError(Refusal):
    """A setup change refused; ``problems`` says why (field and value), nothing is saved."""

    def __init__(self, problems: Sequence[object]) -> None:
        super().__init__(_l("未能保存，未保存任何内容。"), problems=list(problems))


def _county_name_problems(name: str) -> list[object]:
    problems: list[object] = []
    if not name:
        problems.append(_l("县区：请选择已有县区，或输入新县区名称。"))
    if len(name) > MAX_COUNTY_NAME:
        problems.append(_l("县区名称：不能超过 60 个字，现有 %(n)s 个字。", n=len(name)))
    if has_control(name):
        problems.append(_l("县区名称：不能包含换行、制表符等控制字符。"))
    return problems


def _year_problems(year: int) -> list[object]:
    if FIRST_YEAR <= year <= LAST_YEAR:
        return []
    return [_l("年度：应为 2000 到 2100 之间的整数，实际为“%(value)s”。", value=year)]


def create_assessment(
    session: Session,
    *,
    county_id: int | None,
    new_county: str,
    year: int,
    allowed_county_ids: set[int] | None,
    actor: User | None,
) -> Assessment:
    """A new assessment for a county (picked by id, or named and created) and a year (A10).

    ``allowed_county_ids`` limits a team account to its counties (None: any county).
    """
    problems: list[object] = []
    name = new_county.strip()
    county: County | None = None
    if county_id is not None and name:
        problems.append(_l("县区：请选择已有县区，或输入新县区名称，二者只填一项。"))
    elif county_id is not None:
        county = session.get(County, county_id)
        if county is None:
            problems.append(_l("县区：所选县区不存在。"))
    else:
        problems.extend(_county_name_problems(name))
        if not problems:
            county = session.scalar(select(County).where(County.name == name))
    problems.extend(_year_problems(year))
    if not problems and allowed_county_ids is not None and (
        county is None or county.id not in allowed_county_ids
    ):
        names = "、".join(session.scalars(
            select(County.name).where(County.id.in_(allowed_county_ids)).order_by(County.name)))
        problems.append(_l("您的账号只能为以下县区创建考核：%(names)s。", names=names or "—"))
    if problems:
        raise SetupError(problems)
    if county is None:
        county = County(name=name)
        session.add(county)
        session.flush()
        record(session, "county.create", actor=actor, target=f"county:{county.id}",
               after={"name": county.name})
    elif session.scalar(select(Assessment.id).where(
        Assessment.county_id == county.id, Assessment.year == year
    )) is not None:
        raise SetupError([_l("%(county)s %(year)s年度的考核已经存在，不能重复创建。",
                             county=county.name, year=year)])
    assessment = Assessment(county=county, year=year)
    session.add(assessment)
    session.flush()
    record(session, "assessment.create", actor=actor, assessment_id=assessment.id,
           target=f"assessment:{assessment.id}",
           after={"county": county.name, "year": year})
    return assessment


def find_or_create_assessment(session: Session, county_name: str, year: int,
                              actor: User | None) -> Assessment:
    """The named county's assessment for the year (the command line names both): the existing
    one, or a new one made by ``create_assessment`` with its checks and audit entries."""
    name = county_name.strip()
    if not _county_name_problems(name):  # a name PostgreSQL would refuse is never looked up
        existing = session.scalar(select(Assessment).join(Assessment.county).where(
            County.name == name, Assessment.year == year))
        if existing is not None:
            return existing
    return create_assessment(session, county_id=None, new_county=name, year=year,
                             allowed_county_ids=None, actor=actor)


def roster_locked_reason(session: Session, assessment: Assessment) -> str | None:
    """Why the roster can no longer be replaced, or None while it can.

    Ballots and score sheets refer to the members, so the roster is fixed once an evaluation,
    a head's score (form 5) or a decision exists, and when the inputs are locked (A15).
    """
    from ballot.evaluations.models import Evaluation
    from ballot.results.models import Amendment, Decision
    from ballot.scores.models import MemberScore

    if not assessment.inputs_open:
        return _("录入已锁定（或考核结果已进入审批），名单不能再修改。")
    if session.scalar(select(Evaluation.id).where(Evaluation.assessment_id == assessment.id)
                      .limit(1)) is not None:
        return _("本考核已创建测评，名单不能再修改（选票上的成员必须与名单一致）。")
    member_ids = select(Member.id).where(Member.assessment_id == assessment.id)
    for model in (MemberScore, Decision, Amendment):
        column = model.member_id
        if session.scalar(select(column).where(column.in_(member_ids)).limit(1)) is not None:
            return _("已有针对名单成员的评分或决定记录，名单不能再整体替换。")
    return None


def parse_roster_file(filename: str, data: bytes) -> list[RosterRow]:
    """Read a roster file (XLSX or CSV, by its name: 姓名, 职务, 分管工作, 排序, or name, position,
    portfolio, order); every problem is reported by row and column (A4)."""
    try:
        table = read_table(filename, data, ROSTER_COLUMNS, required=("name", "position"),
                           labels=ROSTER_HEADINGS, max_rows=MAX_ROSTER_ROWS)
    except TableError as error:
        raise RosterError(error.problems) from None
    problems: list[object] = []
    parsed: list[tuple[int, RosterRow]] = []
    explicit_order = "order" in table.columns and any(r.cells.get("order") for r in table.rows)
    for index, row in enumerate(table.rows, start=1):
        cells = row.cells
        for key in ("name", "position"):
            if not cells.get(key):
                problems.append(_l("第%(row)s行「%(column)s」：不能为空。",
                                   row=row.number, column=ROSTER_HEADINGS[key]))
        for key, limit in ROSTER_LENGTHS.items():
            value = cells.get(key, "")
            if len(value) > limit:
                problems.append(_l("第%(row)s行「%(column)s」：不能超过 %(max)s 个字，现有 %(n)s 个字。",
                                   row=row.number, column=ROSTER_HEADINGS[key], max=limit,
                                   n=len(value)))
            if has_control(value):
                problems.append(_l("第%(row)s行「%(column)s」：不能包含换行、制表符等控制字符。",
                                   row=row.number, column=ROSTER_HEADINGS[key]))
        order = index
        if explicit_order:
            text = cells.get("order", "")
            parsed_order = whole_number(text, 1, MAX_ORDER)
            if parsed_order is None:
                problems.append(_l("第%(row)s行「排序」：应为 1 到 %(max)s 的整数，实际为“%(value)s”。",
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
            problems.append(_l("第%(rows)s行「排序」：排序 %(order)s 重复。",
                               rows="、".join(map(str, numbers)), order=order))
    if not parsed and not problems:
        problems.append(_l("名单中没有成员：列标题下面没有任何一行。"))
    if problems:
        raise RosterError(problems)
    return sorted((member for _number, member in parsed), key=lambda r: r.order)


def _member_snapshot(member: Member) -> dict[str, object]:
    return {"order": member.order, "name": member.name, "position": member.position,
            "portfolio": member.portfolio}


def import_roster(session: Session, assessment: Assessment, rows: Sequence[RosterRow],
                  actor: User | None) -> None:
    """Replace the roster with ``rows`` (all or nothing), audited with the old and new lists;
    refused once ``roster_locked_reason`` gives a reason.

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


def _shown(text: str, limit: int = 20) -> str:
    """A refused value as the message quotes it: a pasted page of digits is cut short."""
    return text if len(text) <= limit else text[:limit] + "…"


@dataclass(frozen=True)
class Settings:
    """The assessment's settings as read by ``SettingsForm``."""

    #: Other assessed county-level cadres in the Excellent quota pool (A11.6).
    other_cadres_count: int
    #: Excellent grades those cadres already have.
    other_cadres_excellent: int
    #: The team's own Excellent ratio (A13), or None for the computed one.
    quota_ratio: Decimal | None
    #: Why the team set its own ratio (required with it).
    quota_reason: str
    #: Default Excellent cap per ballot, or None for no cap.
    excellent_cap: int | None
    #: Decimals of published figures.
    decimals: int
    #: k of the anonymity floor.
    anonymity_floor: int


SETTING_FIELDS = ("other_cadres_count", "other_cadres_excellent", "quota_ratio", "quota_reason",
                  "excellent_cap", "decimals", "anonymity_floor")
#: Most decimals of the team's own Excellent ratio (the column holds it as text).
RATIO_PLACES = 4


def _ratio_problems(ratio: Decimal, ceiling: Decimal) -> list[object]:
    """The team's Excellent ratio: 0 < ratio <= the ceiling (A11.6, A13), four decimals at most."""
    label = _l("本考核优秀比例")
    shown = format(ratio.normalize(), "f")
    percent = format(ceiling * 100, ".0f") + "%"
    if not Decimal(0) < ratio <= ceiling:
        return [_l("%(field)s：应大于 0 且不超过 %(max)s（即 %(pct)s），实际为“%(value)s”。",
                   field=label, max=ceiling, pct=percent, value=shown)]
    if -int(ratio.normalize().as_tuple().exponent) > RATIO_PLACES:
        return [_l("%(field)s：最多四位小数，实际为“%(value)s”。", field=label, value=shown)]
    return []


def update_settings(session: Session, assessment: Assessment, settings: Settings,
                    actor: User | None) -> list[str]:
    """Other assessed cadres (A11.6), the team's own Excellent ratio with its reason (A13, never
    above the 20% ceiling), the default Excellent cap per ballot, the published decimals and k
    of the anonymity floor (SPEC "Ballots").

    Returns the fields changed; one audit entry holds their before and after values.
    """
    from tally import InputError, Rules

    if not assessment.inputs_open:
        raise SetupError([_l("录入已锁定（或考核结果已进入审批），设置不能再修改。")])
    problems: list[object] = []
    rules = Rules()
    try:
        rules = Rules(decimals=settings.decimals)
    except InputError as error:
        problems.append(_l("保留小数位数：%(message)s", message=error.message))
    ratio = settings.quota_ratio
    reason = settings.quota_reason.strip() if ratio is not None else ""
    if ratio is not None:
        problems.extend(_ratio_problems(ratio, rules.ratio_ceiling))
        if not reason:
            problems.append(_l("确定比例的理由：自定优秀比例时必须填写理由（A13）。"))
    if len(reason) > MAX_QUOTA_REASON:
        problems.append(_l("确定比例的理由：不能超过 500 个字，现有 %(n)s 个字。", n=len(reason)))
    if problems:
        raise SetupError(problems)
    new = {"other_cadres_count": settings.other_cadres_count,
           "other_cadres_excellent": settings.other_cadres_excellent,
           "quota_ratio": None if ratio is None else format(ratio.normalize(), "f"),
           "quota_reason": reason or None, "excellent_cap": settings.excellent_cap,
           "decimals": settings.decimals, "anonymity_floor": settings.anonymity_floor}
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
