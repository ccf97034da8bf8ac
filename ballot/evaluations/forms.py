"""The team's forms for one evaluation (STYLE habit 14)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from ballot.evaluations.services import MAX_SLIPS_PER_ISSUE
from ballot.forms import Form, WholeNumberField


class SlipsForm(Form):
    """How many slips to issue now (one per participant)."""

    count = WholeNumberField(_l("票签数量"), required=True, low=1, high=MAX_SLIPS_PER_ISSUE)

