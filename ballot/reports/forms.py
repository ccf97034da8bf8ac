"""What the reports pages read (STYLE habit 14): the city view's year."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from ballot.forms import Form, YearField


class CityFilterForm(Form):
    """The city view's filter, from the query string: a year (2000-2100); empty means this
    year in Beijing."""

    year = YearField(_l("年度"))
