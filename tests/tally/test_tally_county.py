"""The shipped example, a full county of 8 members (examples/wudu-2026.json), checked by hand.

Every member shares P 91.5, T 88 and L (90 + 86.5) ÷ 2 = 88.25, worth
0.45 × 91.5 + 0.20 × 88 + 0.10 × 88.25 = 41.175 + 17.6 + 8.825 = 67.6 of the composite.
Quota: 8 members + 18 other cadres = 26; 0.15 × 26 = 3.9 → 3; 1 already Excellent → 2 places.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from tally import parse_assessment, score_assessment, to_json

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "wudu-2026.json"


@pytest.fixture(scope="module")
def result() -> dict[str, object]:
    raw = json.loads(EXAMPLE.read_text(encoding="utf-8"), parse_float=Decimal)
    return to_json(score_assessment(parse_assessment(raw)))


def members(result: dict[str, object]) -> dict[str, dict[str, object]]:
    rows = result["members"]
    assert isinstance(rows, list)
    return {row["id"]: row for row in rows}


@pytest.mark.parametrize(
    ("member_id", "H", "D", "I", "composite"),
    [
        # H (96 + 94) ÷ 2 = 95; D (45 + 4×0.8 + 0.5) ÷ 50 = 97.4; I (9 + 0.8) ÷ 10 = 98
        # 67.6 + 9.5 + 9.74 + 4.9 = 91.74
        ("m01", "95.00", "97.40", "98.00", "91.74"),
        # 67.6 + 9.2 + 9.48 + 4.8 = 91.08
        ("m02", "92.00", "94.80", "96.00", "91.08"),
        # 67.6 + 9.25 + 9.7 + 4.9 = 91.45, for both (same averages from different H scores)
        ("m03", "92.50", "97.00", "98.00", "91.45"),
        ("m04", "92.50", "97.00", "98.00", "91.45"),
        # 67.6 + 9.0 + 9.4 + 4.8 = 90.80
        ("m05", "90.00", "94.00", "96.00", "90.80"),
        # 67.6 + 8.45 + 8.8 + 4.45 = 89.30
        ("m06", "84.50", "88.00", "89.00", "89.30"),
        # no interview votes: no I, no composite
        ("m07", "87.50", "92.20", None, None),
        # D (26 + 17×0.8 + 4×0.5) ÷ 48 = 41.6 ÷ 48 = 86.666...; 67.6 + 8.55 + 8.6666... + 4.35
        # = 89.1666... → 89.17
        ("m08", "85.50", "86.67", "87.00", "89.17"),
    ],
)
def test_components_and_composite(
    result: dict[str, object],
    member_id: str,
    H: str,
    D: str,
    I: str | None,  # noqa: E741
    composite: str | None,
) -> None:
    row = members(result)[member_id]
    assert (row["P"], row["T"], row["L"]) == ("91.50", "88.00", "88.25")
    assert (row["H"], row["D"], row["I"], row["composite"]) == (H, D, I, composite)


def test_grades_ranks_and_flags(result: dict[str, object]) -> None:
    summary = {
        member_id: (row["rank"], row["band"], row["grade"], row["flags"])
        for member_id, row in members(result).items()
    }
    assert summary == {
        # first place takes one of the 2 places; Excellent last year, county 2nd this year (A18)
        "m01": (1, "excellent", "excellent", ["priority_promotion"]),
        # m03 and m04 tie at 91.45 for the one place left: both left to the team
        "m03": (2, "excellent", None, ["tie_at_quota"]),
        "m04": (2, "excellent", None, ["tie_at_quota"]),
        # at >= 90 but below the tie: Competent (A12), no A18 despite Excellent last year
        "m02": (4, "excellent", "competent", ["over_quota"]),
        "m05": (5, "excellent", "competent", ["over_quota"]),
        # A14 veto: the team's proposed grade, and A19 admonition for it
        "m06": (6, "competent", "basically_competent", ["veto", "admonition"]),
        "m07": (None, None, None, ["no_valid_votes_I"]),
        "m08": (7, "competent", "competent", []),
    }


def test_quota(result: dict[str, object]) -> None:
    assert result["quota"] == {
        "ratio": "0.15",
        "ratio_basis": "base",
        "pool": 26,
        "cap": 3,
        "taken_by_others": 1,
        "available": 2,
        "reason": None,
    }


def test_veto_is_carried_through(result: dict[str, object]) -> None:
    veto = members(result)["m06"]["veto"]
    assert isinstance(veto, dict)
    assert veto["area"] == "public_security"
    assert veto["grade"] == "basically_competent"
    assert veto["reason"] == "会同区委政法委认定负主要领导责任"
