"""Display names for scorers and their sheets (A8.3 form 4, A8.4 form 5)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

SCORER_KIND_LABELS = {
    "city_leader": _l("联系本县的市级领导（表4）"),
    "county_head": _l("县委书记、县长（表5）"),
}
SHEET_SOURCE_LABELS = {"link": _l("本人在线签名"), "paper": _l("纸质评分表录入")}
