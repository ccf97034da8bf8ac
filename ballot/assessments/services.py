"""Counties, assessments and rosters: find-or-create and the roster file import."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ballot.assessments.models import Assessment, County, Member

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
        order_text = cells.get("order", "")
        order = len(parsed) + 1
        if order_text:
            if not order_text.isdigit() or int(order_text) < 1:
                problems.append(f"row {number}, 排序: must be a whole number >= 1, got {order_text!r}")
            else:
                order = int(order_text)
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
