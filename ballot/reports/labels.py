"""Display names for report terms: flags, decisions, approval actions, score-sheet sources."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

FLAG_LABELS = {
    "missing_P": _l("缺实绩考核得分"),
    "missing_T": _l("缺目标管理得分"),
    "missing_L": _l("缺市级领导评分"),
    "missing_H": _l("缺党政正职评分"),
    "missing_D": _l("缺民主测评"),
    "missing_I": _l("缺个别谈话"),
    "no_valid_votes_D": _l("民主测评无有效票"),
    "no_valid_votes_I": _l("个别谈话无有效票"),
    "veto": _l("一票否决"),
    "veto_exceeds_quota": _l("否决建议等次超出优秀限额"),
    "over_quota": _l("超出优秀限额"),
    "tie_at_quota": _l("限额处同分待定"),
    "priority_promotion": _l("优先提拔重用"),
    "admonition": _l("诫勉谈话"),
    "adjustment": _l("组织调整"),
    "decided": _l("考核组已决定"),
    "promotion_candidate": _l("提拔使用人选"),
}
DECISION_LABELS = {
    "tie": _l("限额处同分"),
    "veto": _l("一票否决"),
    "missing_input": _l("缺项"),
    "promotion": _l("提拔使用"),
}
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


def labels() -> dict[str, dict[str, object]]:
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
