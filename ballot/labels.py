"""Display names for the method's terms, in the visitor's language."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

if TYPE_CHECKING:
    from ballot.evaluations.models import Evaluation

KIND_LABELS = {"democratic": _l("民主测评"), "interview": _l("个别谈话")}
STATE_LABELS = {"draft": _l("未开始"), "open": _l("进行中"), "closing": _l("正在结束"),
                "closed": _l("已结束")}
RATING_LABELS = {
    "excellent": _l("优秀"),
    "competent": _l("称职"),
    "basically_competent": _l("基本称职"),
    "incompetent": _l("不称职"),
    "abstain": _l("弃权"),
}
STAGE_LABELS = {
    "setup": _l("准备与录入"),
    "proposed": _l("考核组已提出建议"),
    "review": _l("三部门审核中"),
    "deliberation": _l("领导小组审议中"),
    "approval": _l("待市委审定"),
    "approved": _l("市委已审定"),
}
ROLE_LABELS = {
    "admin": _l("管理员"),
    "team": _l("考核组"),
    "scorer": _l("评分人"),
    "reviewer": _l("审核人"),
    "observer": _l("监督（纪委）"),
}
OFFICE_LABELS = {
    "organization": _l("市委组织部"),
    "supervision": _l("市督考办"),
    "poverty": _l("市扶贫办"),
    "leading_group": _l("市扶贫攻坚领导小组"),
    "party_committee": _l("市委"),
}
GRADE_LABELS = {
    "excellent": _l("优秀"),
    "competent": _l("称职"),
    "basically_competent": _l("基本称职"),
    "incompetent": _l("不称职"),
}
CLOSED_REASON_LABELS = {
    "team": _l("考核组结束"),
    "time": _l("到达结束时间"),
    "all_slips_used": _l("票签全部用完"),
}


def evaluation_year_title(evaluation: Evaluation) -> str:
    """E.g. 武都区 2026年度."""
    assessment = evaluation.assessment
    return _("%(county)s %(year)s年度", county=assessment.county.name, year=assessment.year)


def evaluation_title(evaluation: Evaluation) -> str:
    """E.g. 武都区 2026年度 · 民主测评."""
    kind = KIND_LABELS[evaluation.kind]
    return f"{evaluation_year_title(evaluation)} · {kind}"
