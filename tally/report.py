"""Rendering a scored assessment as JSON, an aligned Chinese table (form 6), or CSV."""

from __future__ import annotations

import csv
import io
import json
import unicodedata
from decimal import Decimal

from tally.model import Grade, VetoArea
from tally.scoring import COMPONENTS, AssessmentResult, Flag, MemberResult

GRADE_ZH = {
    Grade.EXCELLENT: "优秀",
    Grade.COMPETENT: "称职",
    Grade.BASICALLY_COMPETENT: "基本称职",
    Grade.INCOMPETENT: "不称职",
}

VETO_AREA_ZH = {
    VetoArea.WORK_SAFETY: "安全生产",
    VetoArea.ENVIRONMENTAL_PROTECTION: "环境保护",
    VetoArea.ENERGY_SAVING_EMISSION_REDUCTION: "节能减排",
    VetoArea.POPULATION_FAMILY_PLANNING: "人口和计划生育",
    VetoArea.LAND_RESOURCES: "国土资源",
    VetoArea.PRODUCT_QUALITY: "产品质量",
    VetoArea.PUBLIC_SECURITY: "社会治安综合治理",
    VetoArea.PARTY_CONDUCT_INTEGRITY: "党风廉政建设",
    VetoArea.SOCIAL_CONFLICTS_PETITIONS: "排查化解突出社会矛盾和信访问题",
}

FLAG_ZH = {
    Flag.MISSING_P: "缺实绩考核得分",
    Flag.MISSING_T: "缺目标管理得分",
    Flag.MISSING_L: "缺市级领导评分",
    Flag.MISSING_H: "缺党政正职评分",
    Flag.MISSING_D: "缺民主测评",
    Flag.MISSING_I: "缺个别谈话",
    Flag.NO_VALID_VOTES_D: "民主测评无有效票",
    Flag.NO_VALID_VOTES_I: "个别谈话无有效票",
    Flag.VETO: "一票否决",
    Flag.VETO_EXCEEDS_QUOTA: "否决建议等次超出优秀限额",
    Flag.OVER_QUOTA: "超出优秀限额",
    Flag.TIE_AT_QUOTA: "限额处同分待定",
    Flag.PRIORITY_PROMOTION: "优先提拔重用",
    Flag.ADMONITION: "诫勉谈话",
    Flag.ADJUSTMENT: "组织调整",
}

_COMPONENT_ZH = {
    "P": "实绩",
    "T": "目标",
    "L": "市级领导",
    "H": "正职",
    "D": "民主测评",
    "I": "个别谈话",
}

_BASIS_ZH = {
    "base": "基准比例",
    "raised": "连续两年名次靠前,上调",
    "lowered": "连续两年名次在后两位,下调",
    "team": "考核组确定",
}

CSV_COLUMNS = (
    "id",
    "name",
    "position",
    *COMPONENTS,
    "composite",
    "rank",
    "band",
    "grade",
    "flags",
)


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def member_to_json(member: MemberResult) -> dict[str, object]:
    """One member as JSON: published figures as strings (exact to the digit), null where missing."""
    row: dict[str, object] = {"id": member.id, "name": member.name, "position": member.position}
    for name in COMPONENTS:
        row[name] = _text(member.published.get(name))
    row["composite"] = _text(member.composite)
    row["rank"] = member.rank
    row["band"] = None if member.band is None else member.band.value
    row["grade"] = None if member.grade is None else member.grade.value
    row["flags"] = list(member.flags)
    veto = member.veto
    row["veto"] = (
        None
        if veto is None
        else {
            "area": veto.area.value,
            "facts": veto.facts,
            "grade": None if veto.grade is None else veto.grade.value,
            "reason": veto.reason,
        }
    )
    return row


def to_json(result: AssessmentResult) -> dict[str, object]:
    """The whole result as a JSON-ready dict: county, year, decimals, members, quota."""
    quota = result.quota
    return {
        "county": result.county,
        "year": result.year,
        "decimals": result.rules.decimals,
        "members": [member_to_json(member) for member in result.members],
        "quota": {
            "ratio": str(quota.ratio),
            "ratio_basis": quota.ratio_basis,
            "pool": quota.pool,
            "cap": quota.cap,
            "taken_by_others": quota.taken_by_others,
            "available": quota.available,
            "reason": quota.reason,
        },
    }


def render_json(result: AssessmentResult) -> str:
    """The JSON output of `tally score`, UTF-8 text with Chinese kept readable."""
    return json.dumps(to_json(result), ensure_ascii=False, indent=2) + "\n"


def render_csv(result: AssessmentResult) -> str:
    """One row per member with the JSON columns; flags joined by ";"; empty cell for null."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for member in result.members:
        row = member_to_json(member)
        cells: list[str] = []
        for column in CSV_COLUMNS:
            value = row[column]
            if column == "flags":
                assert isinstance(value, list)
                cells.append(";".join(str(flag) for flag in value))
            else:
                cells.append("" if value is None else str(value))
        writer.writerow(cells)
    return buffer.getvalue()


def display_width(text: str) -> int:
    """Columns a terminal gives `text`: wide and fullwidth (CJK) characters take two."""
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def _pad(text: str, width: int, right: bool) -> str:
    gap = " " * (width - display_width(text))
    return gap + text if right else text + gap


def _percent(weight: Decimal) -> str:
    return f"{(weight * 100).normalize():f}%"


def _remarks(member: MemberResult) -> str:
    parts: list[str] = []
    for flag in member.flags:
        label = FLAG_ZH.get(flag, flag)
        if flag == Flag.VETO and member.veto is not None:
            label = f"{label}({VETO_AREA_ZH[member.veto.area]})"
        parts.append(label)
    return "、".join(parts)


def render_table(result: AssessmentResult) -> str:
    """The summary for people (form 6, 量化评分表): Chinese headings, columns aligned for CJK."""
    weights = result.rules.weights
    headings = [
        "姓名",
        "职务",
        *(f"{_COMPONENT_ZH[name]}×{_percent(getattr(weights, name))}" for name in COMPONENTS),
        "综合得分",
        "排名",
        "等次",
        "备注",
    ]
    right_aligned = {index for index in range(2, 10)}
    rows = [headings]
    for member in result.members:
        figures = [_text(member.published.get(name)) or "—" for name in COMPONENTS]
        rows.append(
            [
                member.name,
                member.position,
                *figures,
                _text(member.composite) or "—",
                "—" if member.rank is None else str(member.rank),
                "待定" if member.grade is None else GRADE_ZH[member.grade],
                _remarks(member),
            ]
        )
    widths = [max(display_width(row[col]) for row in rows) for col in range(len(headings))]
    lines = [f"{result.county} {result.year}年度 县(区)党政领导班子成员考核量化评分表", ""]
    for row in rows:
        cells = [_pad(cell, widths[col], col in right_aligned) for col, cell in enumerate(row)]
        lines.append("  ".join(cells).rstrip())
    quota = result.quota
    basis = _BASIS_ZH[quota.ratio_basis]
    lines.append("")
    lines.append(
        f"优秀限额:比例 {_percent(quota.ratio)}({basis}),被考核干部 {quota.pool} 人,"
        f"限额 {quota.cap} 人,其他县级干部已评优秀 {quota.taken_by_others} 人,"
        f"班子成员可评优秀 {quota.available} 人"
    )
    return "\n".join(lines) + "\n"
