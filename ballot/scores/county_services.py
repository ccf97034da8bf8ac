"""P and T per county and year (A8.1, A8.2): typed in or imported all at once, every change
audited; and the A13 ranking of the counties by P that raises or lowers the Excellent ratio."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from ballot.accounts.access import may_see_county
from ballot.accounts.models import User
from ballot.assessments.imports import TableError, read_table
from ballot.assessments.models import Assessment, County
from ballot.assessments.ranking import performance_by_county
from ballot.audit.services import record
from ballot.errors import Refusal
from ballot.parsing import has_control
from ballot.scores.models import CountyScore
from ballot.scores.reading import ScoreProblem, read_score, shown, stored
from tally import DEFAULT_RULES, competition_rank, county_ranking, excellent_ratio

#: The two county scores, by column, with the template's heading.
SCORE_HEADINGS = {"performance": "实绩考核得分", "target": "目标管理得分"}
#: The import's headings: the template's, plus short and English names.
PT_COLUMNS = {
    "县区": "county", "县（区）": "county", "县(区)": "county", "县区名称": "county",
    "county": "county",
    "实绩考核得分": "performance", "实绩考核": "performance", "P": "performance",
    "performance": "performance",
    "目标管理得分": "target", "目标管理责任考核得分": "target", "目标管理": "target", "T": "target",
    "target": "target",
}
PT_HEADINGS = {"county": "县区", **SCORE_HEADINGS}
#: Most rows an import may hold; a city has a dozen counties.
MAX_PT_ROWS = 200
MAX_COUNTY_NAME = 60



class CountyScoreError(Refusal):
    """P/T changes refused; ``problems`` lists every one (row or county, column, value)."""

    def __init__(self, problems: Sequence[object]) -> None:
        super().__init__(_l("实绩与目标分未能保存，未保存任何内容。"), problems=list(problems))


def score_problem(problem: ScoreProblem, text: str | None) -> str:
    """The P/T page's words for a score that does not read (after the county or row, and the
    column)."""
    value = shown(text)
    messages = {
        ScoreProblem.EMPTY: _l("不是数字：“%(value)s”。", value=value),
        ScoreProblem.NOT_A_NUMBER: _l("不是数字：“%(value)s”。", value=value),
        ScoreProblem.OUT_OF_RANGE: _l("应在 0 到 100 之间，实际为“%(value)s”。", value=value),
        ScoreProblem.TOO_MANY_DECIMALS: _l("最多两位小数，实际为“%(value)s”。", value=value),
    }
    return str(messages[problem])


def parse_score(text: str) -> tuple[str | None, str | None]:
    """A score 0-100 with at most 2 decimals (``reading.read_score``), as (the stored text,
    None) or (None, the problem)."""
    score = read_score(text)
    if isinstance(score, ScoreProblem):
        return None, score_problem(score, text)
    return stored(score), None


def add_county(session: Session, name: str, actor: User | None) -> County:
    """A county the city assesses, so that imports and assessments know it (names unique)."""
    name = name.strip()
    if not name:
        raise CountyScoreError([_("县区名称：不能为空。")])
    if len(name) > MAX_COUNTY_NAME:
        raise CountyScoreError([_("县区名称：不能超过 %(max)s 个字，现有 %(n)s 个字。",
                                  max=MAX_COUNTY_NAME, n=len(name))])
    if has_control(name):
        raise CountyScoreError([_("县区名称：不能包含换行、制表符等控制字符。")])
    if session.scalar(select(County.id).where(County.name == name)) is not None:
        raise CountyScoreError([_("县区名称：“%(name)s”已经存在。", name=name)])
    county = County(name=name)
    session.add(county)
    session.flush()
    record(session, "county.create", actor=actor, target=f"county:{county.id}",
           after={"name": name})
    return county


@dataclass(frozen=True)
class CountyLine:
    """One county's row on the P/T page for a year, with its A13 places and ratio."""

    county: County
    performance: str | None
    target: str | None
    #: The county's assessment for the year, if created.
    assessment: Assessment | None
    #: Inputs locked: P and T of this county and year no longer change.
    locked: bool
    #: Place by P this year and last year (equal scores share a place: 1, 1, 3).
    place: int | None
    previous_place: int | None
    #: A13 by the default rules: "raised", "lowered" or "base"; None without both places.
    basis: str | None
    ratio: Decimal | None


def _locked(assessment: Assessment | None) -> bool:
    return assessment is not None and not assessment.inputs_open


def county_lines(session: Session, year: int) -> list[CountyLine]:
    """Every county with its P and T for the year, places by P this year and last, and the
    Excellent ratio A13 gives it by default (top 3 both years: raised; last 2: lowered)."""
    counties = session.scalars(select(County).order_by(County.name)).all()
    scores = {s.county_id: s for s in session.scalars(
        select(CountyScore).where(CountyScore.year == year))}
    assessments = {a.county_id: a for a in session.scalars(
        select(Assessment).where(Assessment.year == year))}
    current, previous = performance_by_county(session, year), performance_by_county(session, year - 1)
    city = {county.id for county in counties}
    lines = []
    for county in counties:
        score = scores.get(county.id)
        ranking = county_ranking(county.id, current, previous, city, DEFAULT_RULES)
        ratio, basis = excellent_ratio(ranking, DEFAULT_RULES) if ranking else (None, None)
        lines.append(CountyLine(
            county=county,
            performance=score.performance if score else None,
            target=score.target if score else None,
            assessment=assessments.get(county.id),
            locked=_locked(assessments.get(county.id)),
            place=competition_rank(current, county.id),
            previous_place=competition_rank(previous, county.id),
            basis=basis,
            ratio=ratio,
        ))
    return lines


def _apply(session: Session, year: int, updates: dict[int, dict[str, str | None]],
           where: dict[int, str], user: User | None, action: str,
           extra: dict[str, object] | None = None) -> int:
    """Write the changed scores, one audit entry per county; refuse (all of them) when a
    county's inputs are locked or the account may not act on it. Returns counties changed."""
    counties = {c.id: c for c in session.scalars(select(County).where(
        County.id.in_(updates)))} if updates else {}
    rows = {s.county_id: s for s in session.scalars(select(CountyScore).where(
        CountyScore.year == year, CountyScore.county_id.in_(updates)))} if updates else {}
    assessments = {a.county_id: a for a in session.scalars(select(Assessment).where(
        Assessment.year == year, Assessment.county_id.in_(updates)))} if updates else {}
    changes = []
    problems = []
    for county_id, values in updates.items():
        row = rows.get(county_id)
        old = {key: getattr(row, key) if row else None for key in SCORE_HEADINGS}
        new = {**old, **values}
        if new == old:
            continue
        county = counties[county_id]
        if user is not None and not may_see_county(user, county_id):
            problems.append(_("%(where)s：您的账号不能修改%(county)s的分数。",
                              where=where[county_id], county=county.name))
        elif _locked(assessments.get(county_id)):
            problems.append(_("%(where)s：%(county)s %(year)s年度考核的录入已锁定，实绩和目标分不能再修改。",
                              where=where[county_id], county=county.name, year=year))
        changes.append((county, row, old, new))
    if problems:
        raise CountyScoreError(problems)
    for county, row, old, new in changes:
        if row is None:
            row = CountyScore(county_id=county.id, year=year)
            session.add(row)
        row.performance, row.target = new["performance"], new["target"]
        session.flush()
        assessment = assessments.get(county.id)
        record(session, action, actor=user,
               assessment_id=assessment.id if assessment else None,
               target=f"county:{county.id}",
               before={"county": county.name, "year": year, **old},
               after={"county": county.name, "year": year, **new, **(extra or {})})
    return len(changes)


def counties_by_name(session: Session) -> list[County]:
    """Every county, in the P/T table's order."""
    return list(session.scalars(select(County).order_by(County.name)))


def save_scores(session: Session, year: int,
                typed: Mapping[int, Mapping[str, Decimal | None]], user: User | None) -> int:
    """The typed table, read by its form: by county id, the scores typed (``performance``,
    ``target``), None where the cell was cleared; a score not typed is left as it is. All or
    nothing. Returns counties changed."""
    names = {c.id: c.name for c in counties_by_name(session)}
    updates: dict[int, dict[str, str | None]] = {}
    problems: list[object] = []
    for county_id, values in typed.items():
        for key, value in values.items():
            text = None if value is None else stored(value)
            if text is not None and not isinstance(read_score(text), Decimal):
                problems.append(_l("%(county)s「%(column)s」：%(problem)s",
                                   county=names[county_id], column=SCORE_HEADINGS[key],
                                   problem=score_problem(ScoreProblem.OUT_OF_RANGE, text)))
            updates.setdefault(county_id, {})[key] = text
    if problems:
        raise CountyScoreError(problems)
    return _apply(session, year, updates, names, user, "county_score.update")


def import_scores(session: Session, year: int, filename: str, data: bytes,
                  user: User | None) -> int:
    """Import P and/or T of every county for the year from XLSX or CSV (县区, 实绩考核得分,
    目标管理得分; a missing column or a blank cell leaves that score as it is).

    Any bad row (unknown or repeated county, a score not a number, outside 0-100 or with more
    than 2 decimals) refuses the whole file, every bad row listed. Returns counties changed.
    """
    try:
        table = read_table(filename, data, PT_COLUMNS, required=("county",), labels=PT_HEADINGS,
                           max_rows=MAX_PT_ROWS, at_least_one_of=tuple(SCORE_HEADINGS))
    except TableError as error:
        raise CountyScoreError(error.problems) from None
    by_name = {c.name: c for c in session.scalars(select(County))}
    seen: dict[int, int] = {}
    updates: dict[int, dict[str, str | None]] = {}
    where: dict[int, str] = {}
    problems = []
    for row in table.rows:
        name = row.cells.get("county", "").strip()
        county = by_name.get(name)
        if not name:
            problems.append(_("第%(row)s行「县区」：不能为空。", row=row.number))
        elif county is None:
            problems.append(_("第%(row)s行「县区」：没有名为“%(name)s”的县区（请先在本页添加县区）。",
                              row=row.number, name=name))
        elif county.id in seen:
            problems.append(_("第%(row)s行「县区」：“%(name)s”与第%(first)s行重复。",
                              row=row.number, name=name, first=seen[county.id]))
            county = None
        for key, heading in SCORE_HEADINGS.items():
            text = row.cells.get(key, "").strip()
            if not text:
                continue
            value, problem = parse_score(text)
            if problem:
                problems.append(_("第%(row)s行「%(column)s」：%(problem)s", row=row.number,
                                  column=heading, problem=problem))
            elif county is not None:
                updates.setdefault(county.id, {})[key] = value
        if county is not None:
            seen[county.id] = row.number
            where[county.id] = _("第%(row)s行", row=row.number)
    if not table.rows:
        problems.append(_("文件中没有数据行：列标题下面没有任何一行。"))
    if problems:
        raise CountyScoreError(problems)
    return _apply(session, year, updates, where, user, "county_score.import",
                  {"file": filename})


def template_rows(session: Session, year: int) -> list[list[object]]:
    """The import template's rows: every county with its scores for the year so far."""
    return [[line.county.name,
             Decimal(line.performance) if line.performance else None,
             Decimal(line.target) if line.target else None]
            for line in county_lines(session, year)]


