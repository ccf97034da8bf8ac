"""Display names for complaints and appeals (A22)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

COMPLAINT_KIND_LABELS = {"complaint": _l("检举"), "appeal": _l("申诉")}
COMPLAINT_STATUS_LABELS = {
    "open": _l("待处理"),
    "investigating": _l("调查中"),
    "resolved": _l("已办结"),
}
