"""Display names for form 6's flags, the A14 veto areas, decision kinds and A15 actions."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

#: The tally's flags (tally.scoring.Flag) and the marks added by results.services.
FLAG_LABELS = {
    "missing_P": _l("缺实绩考核分"),
    "missing_T": _l("缺目标管理分"),
    "missing_L": _l("缺市级领导评分"),
    "missing_H": _l("缺党政正职评分"),
    "missing_D": _l("缺民主测评"),
    "missing_I": _l("缺个别谈话"),
    "no_valid_votes_D": _l("民主测评无有效票"),
    "no_valid_votes_I": _l("个别谈话无有效票"),
    "withheld_D": _l("民主测评票数暂不公开（有效票少于匿名下限）"),
    "withheld_I": _l("个别谈话票数暂不公开（有效票少于匿名下限）"),
    "veto": _l("一票否决"),
    "veto_exceeds_quota": _l("否决后拟定优秀超出名额"),
    "over_quota": _l("超出优秀名额，定为称职"),
    "tie_at_quota": _l("名额线上同分（由考核组决定）"),
    "priority_promotion": _l("连续两年优秀且名次靠前，优先提拔（第十八条）"),
    "admonition": _l("诫勉谈话；确不胜任的组织调整（第十九条）"),
    "adjustment": _l("降职、免职等组织调整（第十九条）"),
    "decided": _l("考核组已决定"),
    "promotion_candidate": _l("提拔使用人选（第十七条）"),
    "amended": _l("审定后已更正"),
}

#: The nine A14 areas (tally.VetoArea).
VETO_AREA_LABELS = {
    "work_safety": _l("安全生产"),
    "environmental_protection": _l("环境保护"),
    "energy_saving_emission_reduction": _l("节能减排"),
    "population_family_planning": _l("人口和计划生育"),
    "land_resources": _l("国土资源"),
    "product_quality": _l("产品质量"),
    "public_security": _l("社会治安综合治理"),
    "party_conduct_integrity": _l("党风廉政建设"),
    "social_conflicts_petitions": _l("排查化解突出社会矛盾和信访问题"),
}

DECISION_KIND_LABELS = {
    "tie": _l("名额线上同分"),
    "veto": _l("一票否决"),
    "missing_input": _l("缺少录入"),
    "promotion": _l("提拔使用人选（第十七条）"),
}

#: A17 grounds for the promotion mark.
PROMOTION_BASIS_LABELS = {
    "poverty_exit": _l("所在县（区）减贫摘帽"),
    "hard_conditions_progress": _l("基础条件差、任务重，成效显著、名次进步明显"),
}

ACTION_LABELS = {
    "propose": _l("提出等次建议"),
    "sign_off": _l("审核同意"),
    "return": _l("退回"),
    "deliberate": _l("审议通过"),
    "approve": _l("审定"),
}

#: Where the Excellent ratio came from (tally QuotaResult.ratio_basis).
RATIO_BASIS_LABELS = {
    "base": _l("基本比例（第十一条）"),
    "raised": _l("连续两年名次靠前，提高比例（第十三条）"),
    "lowered": _l("连续两年名次在后两位，降低比例（第十三条）"),
    "team": _l("考核组确定的比例"),
}

#: The six components of A8/A9 with their weights.
COMPONENT_LABELS = {
    "P": _l("实绩考核（45%）"),
    "T": _l("目标管理（20%）"),
    "L": _l("市级领导评分（10%）"),
    "H": _l("党政正职评分（10%）"),
    "D": _l("民主测评（10%）"),
    "I": _l("个别谈话（5%）"),
}

#: Who a stage waits for ("team" or an office).
WAITING_LABELS = {
    "team": _l("考核组"),
    "organization": _l("市委组织部"),
    "supervision": _l("市督考办"),
    "poverty": _l("市扶贫办"),
    "leading_group": _l("市扶贫攻坚领导小组"),
    "party_committee": _l("市委"),
}


def labels() -> dict[str, object]:
    """Everything above, for render_template(**labels())."""
    return {
        "FLAG_LABELS": FLAG_LABELS,
        "VETO_AREA_LABELS": VETO_AREA_LABELS,
        "DECISION_KIND_LABELS": DECISION_KIND_LABELS,
        "PROMOTION_BASIS_LABELS": PROMOTION_BASIS_LABELS,
        "ACTION_LABELS": ACTION_LABELS,
        "RATIO_BASIS_LABELS": RATIO_BASIS_LABELS,
        "COMPONENT_LABELS": COMPONENT_LABELS,
        "WAITING_LABELS": WAITING_LABELS,
    }
