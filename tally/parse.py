"""Turning a JSON assessment (already decoded, numbers as Decimal) into an `AssessmentInput`."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from tally.errors import InputError
from tally.fields import (
    as_decimal,
    as_mapping,
    as_score,
    as_score_list,
    as_text,
    as_whole,
    check_keys,
    describe,
    join,
)
from tally.model import (
    AssessmentInput,
    Grade,
    MemberInput,
    Ranking,
    Veto,
    VetoArea,
    VoteCounts,
)
from tally.rules import DEFAULT_RULES, Rules

_TOP_KEYS = (
    "county",
    "year",
    "rules",
    "county_scores",
    "other_cadres",
    "ranking",
    "quota_ratio",
    "quota_reason",
    "members",
)
_MEMBER_KEYS = (
    "id",
    "name",
    "position",
    "portfolio",
    "H",
    "D",
    "I",
    "veto",
    "previous_grade",
)
_COUNT_KEYS = ("excellent", "competent", "basically_competent", "incompetent")


def parse_assessment(obj: object) -> AssessmentInput:
    """Check and convert one county's assessment; raise `InputError` naming the first bad field."""
    top = as_mapping(obj, "(top level)")
    check_keys(top, "", _TOP_KEYS, required=("county", "year", "county_scores", "members"))
    county = as_text(top["county"], "county")
    year = as_whole(top["year"], "year", 1900, 9999)
    rules = DEFAULT_RULES if top.get("rules") is None else Rules.from_mapping(top["rules"])

    scores = as_mapping(top["county_scores"], "county_scores")
    check_keys(scores, "county_scores", ("P", "T", "L"))
    p = _optional_score(scores.get("P"), "county_scores.P")
    t = _optional_score(scores.get("T"), "county_scores.T")
    leaders = as_score_list(scores.get("L"), "county_scores.L")

    others_count, others_excellent = 0, 0
    if top.get("other_cadres") is not None:
        others = as_mapping(top["other_cadres"], "other_cadres")
        check_keys(others, "other_cadres", ("count", "excellent"), required=("count",))
        others_count = as_whole(others["count"], "other_cadres.count")
        others_excellent = as_whole(
            others.get("excellent", 0), "other_cadres.excellent", 0, others_count
        )

    ranking = None if top.get("ranking") is None else _ranking(top["ranking"], "ranking")

    quota_ratio = None
    if top.get("quota_ratio") is not None:
        quota_ratio = as_decimal(top["quota_ratio"], "quota_ratio", Decimal(0), rules.ratio_ceiling)
    quota_reason = None
    if top.get("quota_reason") is not None:
        quota_reason = as_text(top["quota_reason"], "quota_reason")

    raw_members = top["members"]
    if not isinstance(raw_members, list):
        raise InputError("members", f"must be a list of members, got {describe(raw_members)}")
    members = tuple(_member(item, f"members[{index}]") for index, item in enumerate(raw_members))
    seen: dict[str, int] = {}
    for index, member in enumerate(members):
        if member.id in seen:
            raise InputError(
                f"members[{index}].id",
                f"duplicate id {describe(member.id)} (also members[{seen[member.id]}])",
            )
        seen[member.id] = index

    return AssessmentInput(
        county=county,
        year=year,
        rules=rules,
        P=p,
        T=t,
        L=leaders,
        other_cadres_count=others_count,
        other_cadres_excellent=others_excellent,
        ranking=ranking,
        quota_ratio=quota_ratio,
        members=members,
        quota_reason=quota_reason,
    )


def _optional_score(value: object, path: str) -> Decimal | None:
    return None if value is None else as_score(value, path)


def _ranking(value: object, path: str) -> Ranking:
    """A13: the county's place among all counties by P, last year and this year."""
    mapping = as_mapping(value, path)
    keys = ("counties", "previous", "current")
    check_keys(mapping, path, keys, required=keys)
    counties = as_whole(mapping["counties"], join(path, "counties"), 1)
    previous = as_whole(mapping["previous"], join(path, "previous"), 1, counties)
    current = as_whole(mapping["current"], join(path, "current"), 1, counties)
    return Ranking(counties=counties, previous=previous, current=current)


def _member(value: object, path: str) -> MemberInput:
    mapping = as_mapping(value, path)
    check_keys(mapping, path, _MEMBER_KEYS, required=("id", "name"))
    return MemberInput(
        id=as_text(mapping["id"], join(path, "id")),
        name=as_text(mapping["name"], join(path, "name")),
        position=_optional_text(mapping.get("position"), join(path, "position")),
        portfolio=_optional_text(mapping.get("portfolio"), join(path, "portfolio")),
        H=as_score_list(mapping.get("H"), join(path, "H")),
        D=_counts(mapping.get("D"), join(path, "D")),
        I=_counts(mapping.get("I"), join(path, "I")),
        veto=None if mapping.get("veto") is None else _veto(mapping["veto"], join(path, "veto")),
        previous_grade=_grade(mapping.get("previous_grade"), join(path, "previous_grade")),
    )


def _optional_text(value: object, path: str) -> str:
    return "" if value is None else as_text(value, path, allow_empty=True)


def _counts(value: object, path: str) -> VoteCounts | None:
    """A8.5/A8.6 vote counts: four whole numbers >= 0; absent or null means the form is missing."""
    if value is None:
        return None
    mapping: Mapping[str, object] = as_mapping(value, path)
    check_keys(mapping, path, _COUNT_KEYS, required=_COUNT_KEYS)
    counts = {key: as_whole(mapping[key], join(path, key)) for key in _COUNT_KEYS}
    return VoteCounts(**counts)


def _grade(value: object, path: str) -> Grade | None:
    if value is None:
        return None
    try:
        if not isinstance(value, str):
            raise ValueError(value)
        return Grade(value)
    except ValueError:
        choices = ", ".join(grade.value for grade in Grade)
        raise InputError(path, f"must be one of {choices}, got {describe(value)}") from None


def _veto(value: object, path: str) -> Veto:
    """A14: the veto area (one of nine), the facts, and the team's proposed grade and reason."""
    mapping = as_mapping(value, path)
    check_keys(mapping, path, ("area", "facts", "grade", "reason"), required=("area", "facts"))
    area_value = mapping["area"]
    try:
        if not isinstance(area_value, str):
            raise ValueError(area_value)
        area = VetoArea(area_value)
    except ValueError:
        choices = ", ".join(area.value for area in VetoArea)
        raise InputError(
            join(path, "area"), f"must be one of {choices}, got {describe(area_value)}"
        ) from None
    grade = _grade(mapping.get("grade"), join(path, "grade"))
    reason = None
    if mapping.get("reason") is not None:
        reason = as_text(mapping["reason"], join(path, "reason"))
    if grade is not None and reason is None:
        raise InputError(join(path, "reason"), "is required when a grade is proposed")
    return Veto(
        area=area, facts=as_text(mapping["facts"], join(path, "facts")), grade=grade, reason=reason
    )
