"""The setup pages' forms (STYLE habit 14): a new assessment, the assessment's settings and a
new evaluation. They read every value through ``ballot.parsing`` (no 500 on 5,000 digits) and
refuse it in the visitor's language; the services check what depends on the rules and the
state (the A13 ceiling, the lock, the roster)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import StringField
from wtforms.validators import ValidationError

from ballot import parsing
from ballot.assessments.services import (
    MAX_ANONYMITY_FLOOR,
    MAX_OTHER_CADRES,
    MIN_ANONYMITY_FLOOR,
    Settings,
)
from ballot.evaluations.models import Kind
from ballot.forms import (
    BeijingDateTimeField,
    Form,
    ParsedField,
    TextField,
    WholeNumberField,
    YearField,
)


def _shown(raw: str) -> str:
    """What the visitor typed, cut short for a message."""
    return raw if len(raw) <= 20 else raw[:20] + "…"


class CountField(WholeNumberField):
    """A whole number in [low, high], refused with the setup pages' wording; empty counts as
    wrong unless ``optional`` (the settings always hold a number)."""

    def __init__(self, label: object = None, *, optional: bool = False, **kwargs: Any) -> None:
        super().__init__(label, **kwargs)
        self.optional = optional

    def limit(self, high: int) -> None:
        """Narrow the upper bound once the form knows it (the roster's size, the other cadres'
        number), reading the value again."""
        self.high = high
        self.data = self.parse(self.raw) if self.raw else None

    def pre_validate(self, form: Any) -> None:
        if not self.raw and not self.optional:
            raise ValidationError(str(self.message()))
        super().pre_validate(form)

    def message(self) -> object:
        return _l("%(field)s：应为 %(low)s 到 %(high)s 的整数，实际为“%(value)s”。",
                  field=self.label.text, low=self.low, high=self.high, value=_shown(self.raw))


class CountyField(WholeNumberField):
    """The id of a county picked from the list."""

    def __init__(self, label: object = None, **kwargs: Any) -> None:
        super().__init__(label, low=1, **kwargs)

    def message(self) -> object:
        return _l("县区：所选县区不存在。")


class NewAssessmentForm(Form):
    """A county (picked, or typed to be created) and a year (A10)."""

    county_id = CountyField(_l("县区"))
    new_county = TextField(_l("县区名称"), max_length=60)
    year = YearField(_l("年度"))

    def validate_year(self, field: YearField) -> None:
        if not field.raw:  # empty is refused like any other non-year
            raise ValidationError(str(field.message()))


class RatioField(ParsedField):
    """A ratio typed as 0.18 or 18%, read leniently: the service says what the A13 ceiling
    allows and how many decimals."""

    def parse(self, text: str) -> Decimal | None:
        return parsing.ratio(text, high=Decimal(1000), places=parsing.MAX_NUMBER_TEXT)

    def message(self) -> object:
        return _l("%(field)s：不是数字：“%(value)s”。", field=self.label.text,
                  value=_shown(self.raw))


class FloorField(CountField):
    """k of the anonymity floor; a form without the field keeps the current k."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        self.present = bool(valuelist)
        super().process_formdata(valuelist)

    def pre_validate(self, form: Any) -> None:
        if self.present:
            super().pre_validate(form)

    def message(self) -> object:
        return _l("匿名下限：应为 %(low)s 到 %(high)s 的整数（有效票少于此数时暂不公开各成员的票数，"
                  "不能低于 %(low)s），实际为“%(value)s”。",
                  low=self.low, high=self.high, value=_shown(self.raw))


class SettingsForm(Form):
    """Other assessed cadres (A11.6), the team's own Excellent ratio and its reason (A13), the
    default Excellent cap per ballot, the published decimals and k of the anonymity floor."""

    other_cadres_count = CountField(_l("其他县级干部人数"), high=MAX_OTHER_CADRES)
    other_cadres_excellent = CountField(_l("其他县级干部已评优秀人数"), high=MAX_OTHER_CADRES)
    quota_ratio = RatioField(_l("本考核优秀比例"))
    # A textarea: line breaks are allowed; the service checks the length.
    quota_reason = StringField(_l("确定比例的理由"), filters=[lambda text: (text or "").strip()])
    excellent_cap = CountField(_l("每张选票优秀票上限"), optional=True)
    decimals = CountField(_l("保留小数位数"), high=4)
    anonymity_floor = FloorField(_l("匿名下限"), low=MIN_ANONYMITY_FLOOR,
                                 high=MAX_ANONYMITY_FLOOR)

    def __init__(self, formdata: Any, *, members: int) -> None:
        super().__init__(formdata)
        self.excellent_cap.limit(members)
        if self.other_cadres_count.data is not None:
            self.other_cadres_excellent.limit(self.other_cadres_count.data)

    def settings(self, current_floor: int) -> Settings:
        """The values read (after ``validate``), for ``update_settings``."""
        floor = self.anonymity_floor.data if self.anonymity_floor.present else current_floor
        return Settings(
            other_cadres_count=self.other_cadres_count.data,
            other_cadres_excellent=self.other_cadres_excellent.data,
            quota_ratio=self.quota_ratio.data,
            quota_reason=self.quota_reason.data or "",
            excellent_cap=self.excellent_cap.data,
            decimals=self.decimals.data,
            anonymity_floor=floor,
        )


class KindField(StringField):  # type: ignore[misc]  # WTForms ships no types
    """The kind of evaluation: the meeting or the interviews (A11.3)."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        self.data = str(valuelist[0]).strip() if valuelist else ""

    def pre_validate(self, form: Any) -> None:
        if self.data not in {k.value for k in Kind}:
            raise ValidationError(str(_l("测评类型：请选择民主测评或个别谈话。")))


class StartEvaluationForm(Form):
    """A draft evaluation over the roster: its kind, Excellent cap and optional closing time."""

    kind = KindField(_l("测评类型"))
    excellent_cap = CountField(_l("每张选票优秀票上限"), optional=True)
    closes_at = BeijingDateTimeField(_l("结束时间"))

    def __init__(self, formdata: Any, *, members: int) -> None:
        super().__init__(formdata)
        self.excellent_cap.limit(members)

