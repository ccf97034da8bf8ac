"""Display names for report terms: flags, decisions, approval actions, score-sheet sources."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from ballot.results import labels as results_labels

# One wording for form 6 on screen, on paper and in the workbook.
FLAG_LABELS = results_labels.FLAG_LABELS
DECISION_LABELS = results_labels.DECISION_KIND_LABELS
ACTION_LABELS = {
    "propose": _l("考核组提出建议"),
    "sign_off": _l("审核同意"),
    "return": _l("退回"),
    "deliberate": _l("审议"),
    "approve": _l("审定"),
}
SOURCE_LABELS = {"link": _l("链接填写"), "paper": _l("纸质录入")}
SCORER_KIND_LABELS = {"city_leader": _l("市级领导"), "county_head": _l("党政正职")}
BASIS_LABELS = {
    "base": _l("基准比例"),
    "raised": _l("连续两年名次靠前，上调"),
    "lowered": _l("连续两年名次在后两位，下调"),
    "team": _l("考核组确定"),
}
COMPONENT_LABELS = {
    "P": _l("实绩考核"),
    "T": _l("目标管理"),
    "L": _l("市级领导评分"),
    "H": _l("党政正职评分"),
    "D": _l("民主测评"),
    "I": _l("个别谈话"),
}


def labels() -> dict[str, object]:
    """Everything above, to pass to render_template."""
    return {
        "FLAG_LABELS": FLAG_LABELS,
        "DECISION_LABELS": DECISION_LABELS,
        "ACTION_LABELS": ACTION_LABELS,
        "SOURCE_LABELS": SOURCE_LABELS,
        "SCORER_KIND_LABELS": SCORER_KIND_LABELS,
        "BASIS_LABELS": BASIS_LABELS,
        "COMPONENT_LABELS": COMPONENT_LABELS,
    }
