"""The forms layer's common parts (STYLE habit 14): a base form and fields that read their value
through ``ballot.parsing``, so every form refuses a bad number, year, score or time the same way,
with a message in the visitor's language, and never raises (no 500 on 5,000 digits).

Per-feature ``forms.py`` build on these. CSRF is checked for every POST by ``CSRFProtect``
(``ballot/__init__.py``), so the forms do not add a second token.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import Field, StringField
from wtforms.validators import ValidationError

from ballot import parsing


class Form(FlaskForm):  # type: ignore[misc]  # Flask-WTF and WTForms ship no types
    """A page's form: read from the request's form (POST) or query (GET); CSRF checked by the
    app for every POST already."""

    class Meta:
        csrf = False

    def problems(self) -> list[str]:
        """Every field's first error, in field order, as text in the visitor's language."""
        return [str(errors[0]) for errors in self.errors.values() if errors]


class ParsedField(Field):  # type: ignore[misc]
    """A text input whose value is read by ``parse`` (returns None for anything it refuses);
    empty is allowed unless ``required``. ``data`` is the parsed value or None; ``raw`` is what
    was typed, for showing it again."""

    #: What ``parse`` returned (its type is the subclass's), or None.
    data: Any

    def __init__(self, label: object = None, *, required: bool = False, **kwargs: Any) -> None:
        super().__init__(label, **kwargs)
        self.required = required
        self.raw = ""

    def parse(self, text: str) -> Any:
        raise NotImplementedError

    def message(self) -> object:
        raise NotImplementedError

    def process_formdata(self, valuelist: list[Any]) -> None:
        self.raw = str(valuelist[0]).strip() if valuelist else ""
        self.data = self.parse(self.raw) if self.raw else None

    def pre_validate(self, form: Any) -> None:
        if not self.raw:
            if self.required:
                raise ValidationError(str(_l("%(field)s：必须填写。", field=self.label.text)))
            return
        if self.data is None:
            raise ValidationError(str(self.message()))

    def _value(self) -> str:
        return self.raw if self.raw else ("" if self.data is None else str(self.data))


class WholeNumberField(ParsedField):
    """A whole number in [low, high] (``parsing.whole_number``)."""

    def __init__(self, label: object = None, *, low: int = 0, high: int = parsing.MAX_ID,
                 **kwargs: Any) -> None:
        super().__init__(label, **kwargs)
        self.low, self.high = low, high

    def parse(self, text: str) -> int | None:
        return parsing.whole_number(text, self.low, self.high)

    def message(self) -> object:
        return _l("%(field)s：应为 %(low)s 到 %(high)s 之间的整数，收到“%(value)s”。",
                  field=self.label.text, low=self.low, high=self.high, value=_shown(self.raw))


class YearField(WholeNumberField):
    """An assessment year (2000-2100)."""

    def __init__(self, label: object = None, **kwargs: Any) -> None:
        super().__init__(label, low=parsing.FIRST_YEAR, high=parsing.LAST_YEAR, **kwargs)


class ScoreField(ParsedField):
    """A score out of 100 with at most ``places`` decimals (``parsing.score``)."""

    def __init__(self, label: object = None, *, places: int = 2, **kwargs: Any) -> None:
        super().__init__(label, **kwargs)
        self.places = places

    def parse(self, text: str) -> Decimal | None:
        return parsing.score(text, self.places)

    def message(self) -> object:
        return _l("%(field)s：应为 0 到 100 之间的数，最多 %(places)s 位小数，收到“%(value)s”。",
                  field=self.label.text, places=self.places, value=_shown(self.raw))


class DateField(ParsedField):
    """A date written 2026-01-31 (``parsing.date``)."""

    def parse(self, text: str) -> dt.date | None:
        return parsing.date(text)

    def message(self) -> object:
        return _l("%(field)s：应为 2026-01-31 这样的日期，收到“%(value)s”。",
                  field=self.label.text, value=_shown(self.raw))


class BeijingDateTimeField(ParsedField):
    """A time typed in Beijing time, as naive UTC (``parsing.beijing_datetime``)."""

    def parse(self, text: str) -> dt.datetime | None:
        return parsing.beijing_datetime(text)

    def message(self) -> object:
        return _l("%(field)s：格式应为“年-月-日 时:分”（北京时间），收到“%(value)s”。",
                  field=self.label.text, value=_shown(self.raw))


class TextField(StringField):  # type: ignore[misc]
    """One line of text: stripped, at most ``max_length`` characters, no control character."""

    def __init__(self, label: object = None, *, max_length: int = 200, required: bool = False,
                 **kwargs: Any) -> None:
        super().__init__(label, **kwargs)
        self.max_length = max_length
        self.required = required

    def process_formdata(self, valuelist: list[Any]) -> None:
        self.data = str(valuelist[0]).strip() if valuelist else ""

    def pre_validate(self, form: Any) -> None:
        text = self.data or ""
        if self.required and not text:
            raise ValidationError(str(_l("%(field)s：必须填写。", field=self.label.text)))
        if len(text) > self.max_length:
            raise ValidationError(str(_l("%(field)s：最多 %(most)s 个字，收到 %(count)s 个。",
                                         field=self.label.text, most=self.max_length,
                                         count=len(text))))
        if parsing.has_control(text):
            raise ValidationError(str(_l("%(field)s：不能包含换行、制表符等控制字符。",
                                         field=self.label.text)))


def _shown(raw: str) -> str:
    """What the visitor typed, cut short for a message."""
    return raw if len(raw) <= 20 else raw[:20] + "…"
