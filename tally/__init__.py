"""Pure scoring engine for the Longnan method: frozen dataclasses in, exact results out.

No Flask, no database, no floats. See SPEC.md and docs/tally.md.
"""

from tally.box import BoxError, Verified, verify_box
from tally.errors import InputError
from tally.model import (
    AssessmentInput,
    Grade,
    MemberInput,
    Ranking,
    Veto,
    VetoArea,
    VoteCounts,
)
from tally.parse import parse_assessment
from tally.ranking import carried_place, competition_rank, county_ranking
from tally.report import render_csv, render_json, render_table, to_json
from tally.rules import DEFAULT_RULES, MAX_RATIO, Bands, Rules, VoteValues, Weights
from tally.scoring import (
    ALL_FLAGS,
    COMPONENTS,
    AssessmentResult,
    Components,
    Flag,
    MemberResult,
    QuotaResult,
    average,
    band,
    competition_ranks,
    composite,
    consequence_flags,
    excellent_quota,
    excellent_ratio,
    publish,
    score_assessment,
    vote_score,
)

__all__ = [
    "ALL_FLAGS",
    "COMPONENTS",
    "DEFAULT_RULES",
    "MAX_RATIO",
    "AssessmentInput",
    "AssessmentResult",
    "Bands",
    "BoxError",
    "Components",
    "Flag",
    "Grade",
    "InputError",
    "MemberInput",
    "MemberResult",
    "QuotaResult",
    "Ranking",
    "Rules",
    "Veto",
    "Verified",
    "VetoArea",
    "VoteCounts",
    "VoteValues",
    "Weights",
    "average",
    "band",
    "carried_place",
    "competition_rank",
    "competition_ranks",
    "composite",
    "consequence_flags",
    "county_ranking",
    "excellent_quota",
    "excellent_ratio",
    "parse_assessment",
    "publish",
    "render_csv",
    "render_json",
    "render_table",
    "score_assessment",
    "to_json",
    "verify_box",
    "vote_score",
]
