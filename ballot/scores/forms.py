"""The score pages' forms (STYLE habit 14): a scorer added, a reason given, a score sheet (form 4
or form 5, signed on a phone or typed from paper), and the P/T page's year, table, import and new
county. Scores read through ``ballot.scores.reading`` (on ``ballot.parsing``), years through
``ballot.forms.YearField``; nothing here raises on any input.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from werkzeug.datastructures import FileStorage
from wtforms.validators import ValidationError

from ballot.assessments.models import County
from ballot.forms import Form, ParsedField, TextField, YearField
from ballot.scores import county_services, services
from ballot.scores.models import Scorer
from ballot.scores.reading import ScoreProblem, read_score
from ballot.scores.services import FORM_FIELD, MAX_NAME, MAX_REASON, MAX_TITLE, SIGNATURE_FIELD


class ScorerForm(Form):
    """A scorer to add: kind (form 4 or 5), name, title, and optionally a scorer account."""

    kind = TextField(_l("类别"), max_length=20)
    name = TextField(_l("姓名"), max_length=MAX_NAME, required=True)
    title = TextField(_l("职务"), max_length=MAX_TITLE)
    username = TextField(_l("评分人账号"), max_length=60)


class ReasonForm(Form):
    """Why a scorer is withdrawn or the inputs unlocked (the service requires one)."""

    reason = TextField(_l("原因"), max_length=MAX_REASON)


class _ScoreField(ParsedField):
    """A score typed in a text input (full-width digits allowed), with why it does not read."""

    def __init__(self, label: object = None, **kwargs: Any) -> None:
        super().__init__(label, **kwargs)
        self.problem = ScoreProblem.EMPTY
        #: The input was in the form at all (a P/T cell left out is left as it is).
        self.present = False

    def process_formdata(self, valuelist: list[Any]) -> None:
        self.present = bool(valuelist)
        super().process_formdata(valuelist)

    def parse(self, text: str) -> Decimal | None:
        score = read_score(text)
        if isinstance(score, ScoreProblem):
            self.problem = score
            return None
        return score


class SheetScoreField(_ScoreField):
    """One score of a sheet, required; its problem worded as the sheet words it."""

    def pre_validate(self, form: Any) -> None:
        if self.data is None:
            raise ValidationError(services.score_problem(
                self.problem if self.raw else ScoreProblem.EMPTY, self.raw))


class SheetForm(Form):
    """A score sheet's fields, built for one scorer's sheet by ``for_sheet``: the county's score
    (form 4) or one per member of the roster (form 5), and the signature when the scorer signs
    on their phone (the team's paper entry has none)."""

    scorer: Scorer
    names: list[str]

    @classmethod
    def for_sheet(cls, scorer: Scorer, formdata: Mapping[str, Any], *, signed: bool
                  ) -> SheetForm:
        fields: dict[str, Any] = {name: SheetScoreField(name)
                                  for name in services.sheet_fields(scorer)}
        if signed:
            fields[SIGNATURE_FIELD] = TextField(_l("签名"), max_length=MAX_NAME)
        form: SheetForm = type("SheetForm", (cls,), fields)(formdata)
        form.scorer, form.names = scorer, list(formdata)
        return form

    def sheet_problems(self) -> dict[str, str]:
        """Every problem, by field (``FORM_FIELD`` for the sheet as a whole); {} if none."""
        self.validate()
        problems: dict[str, str] = {}
        whole = services.form_problem(self.scorer, self.names)
        if whole is not None:
            problems[FORM_FIELD] = whole
        for name, field in self._fields.items():
            if name == SIGNATURE_FIELD:
                continue
            if field.errors and whole is None:
                problems[name] = str(field.errors[0])
        if SIGNATURE_FIELD in self._fields:
            signature = self._fields[SIGNATURE_FIELD]
            problem = (str(signature.errors[0]) if signature.errors
                       else services.signature_problem(self.scorer, signature.data or ""))
            if problem is not None:
                problems[SIGNATURE_FIELD] = problem
        return problems

    def check(self) -> dict[str, str]:
        """The sheet's fields as typed, for the service; SheetError naming every bad field."""
        problems = self.sheet_problems()
        if problems:
            raise services.SheetError(problems)
        return {name: field.raw if isinstance(field, ParsedField) else field.data or ""
                for name, field in self._fields.items()}


class YearForm(Form):
    """The year of the P/T page (its query, and the hidden field of each of its forms)."""

    year = YearField(_l("年度"), required=True)


class CountyForm(YearForm):
    """A county to add (the service checks the name)."""

    name = TextField(_l("县区名称"))


class ImportForm(YearForm):
    """One XLSX or CSV file of P and/or T for the year's counties."""

    file = FileField(_l("分数文件"), validators=[FileRequired(
        message=_l("请选择要上传的文件（.xlsx 或 .csv）。"))])

    def upload(self) -> FileStorage:
        upload: FileStorage = self.file.data
        return upload


class PTScoreField(_ScoreField):
    """A P or T cell of the typed table: blank clears the score (A8.1, A8.2)."""

    def __init__(self, label: object = None, *, county: str, key: str, **kwargs: Any) -> None:
        super().__init__(label, **kwargs)
        self.county, self.key = county, key

    def pre_validate(self, form: Any) -> None:
        if self.raw and self.data is None:
            raise ValidationError(str(_l(
                "%(county)s「%(column)s」：%(problem)s", county=self.county,
                column=county_services.SCORE_HEADINGS[self.key],
                problem=county_services.score_problem(self.problem, self.raw))))


class PTForm(YearForm):
    """The typed table: ``p-<county id>`` and ``t-<county id>`` per county, built by
    ``for_counties``; a cell the page did not send is left as it is."""

    cells: list[tuple[int, str, str]]

    @classmethod
    def for_counties(cls, counties: Sequence[County], formdata: Mapping[str, Any]) -> PTForm:
        cells = [(county.id, county.name, prefix, key) for county in counties
                 for prefix, key in (("p", "performance"), ("t", "target"))]
        fields = {f"{prefix}-{county_id}": PTScoreField(f"{name} {prefix.upper()}", county=name,
                                                         key=key)
                  for county_id, name, prefix, key in cells}
        form: PTForm = type("PTForm", (cls,), fields)(formdata)
        form.cells = [(county_id, f"{prefix}-{county_id}", key)
                      for county_id, _name, prefix, key in cells]
        return form

    def typed(self) -> dict[int, dict[str, Decimal | None]]:
        """By county id, each score sent: the value, or None for a cleared cell."""
        typed: dict[int, dict[str, Decimal | None]] = {}
        for county_id, name, key in self.cells:
            field = self._fields[name]
            if field.present:
                typed.setdefault(county_id, {})[key] = field.data
        return typed

