"""The team's decisions (A12 tie, A14 veto, missing input, A17 mark) on a scored assessment:
which decisions a member's result admits, and what the recorded ones do to grades and flags."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from tally import (
    AssessmentInput,
    Flag,
    Grade,
    MemberInput,
    MemberResult,
    Ranking,
    Refusal,
    TeamDecision,
    VetoArea,
    VoteCounts,
    admit_decision,
    apply_decisions,
    member_veto,
    score_assessment,
)

ALL_EXCELLENT = VoteCounts(excellent=10, competent=0, basically_competent=0, incompetent=0)


def member(name: str, h: str = "95", d: VoteCounts | None = ALL_EXCELLENT) -> MemberInput:
    return MemberInput(id=name, name=name, H=(Decimal(h),), D=d, I=ALL_EXCELLENT)


# P = T = L = 95 for all; D = I = 100.
# a, b: 0.45×95 + 0.20×95 + 0.10×95 + 0.10×95 + 0.10×100 + 0.05×100 = 95.75
# c:    H 70 instead of 95, 2.50 less = 93.25
# d:    no D, so no composite.
# Pool 4 members + 5 other cadres = 9, quota floor(15% × 9) = 1 place: a and b tie on the line
# (tie_at_quota, no grade), c is over the quota (Competent).
ASSESSMENT = AssessmentInput(
    county="甲县", year=2026, P=Decimal(95), T=Decimal(95), L=(Decimal(95),),
    other_cadres_count=5,
    members=(member("a"), member("b"), member("c", h="70"), member("d", d=None)),
)


def scored(data: AssessmentInput = ASSESSMENT) -> dict[str, MemberResult]:
    return {m.id: m for m in score_assessment(data).members}


RESULTS = scored()


def test_the_example_leaves_a_tie_and_a_missing_input_to_the_team() -> None:
    a, b, c, d = (RESULTS[n] for n in "abcd")
    assert a.composite == b.composite == Decimal("95.75") and c.composite == Decimal("93.25")
    assert a.grade is None and Flag.TIE_AT_QUOTA in a.flags and Flag.TIE_AT_QUOTA in b.flags
    assert c.grade is Grade.COMPETENT and Flag.OVER_QUOTA in c.flags
    assert d.composite is None and d.grade is None and Flag.MISSING_D in d.flags


# apply_decisions


def test_a_tie_decision_sets_the_grade_of_a_member_at_the_quota_line() -> None:
    grade, flags = apply_decisions(RESULTS["a"], {"tie": TeamDecision("tie", Grade.EXCELLENT)},
                                   None, None)
    assert grade is Grade.EXCELLENT
    assert flags == (Flag.TIE_AT_QUOTA, "decided")
    grade, _ = apply_decisions(RESULTS["b"], {"tie": TeamDecision("tie", Grade.COMPETENT)},
                               None, None)
    assert grade is Grade.COMPETENT


def test_without_a_decision_the_tied_member_has_no_grade() -> None:
    assert apply_decisions(RESULTS["a"], {}, None, None) == (None, (Flag.TIE_AT_QUOTA,))


def test_a_tie_decision_does_not_touch_a_member_the_tally_graded() -> None:
    # c is over the quota, Competent by the tally: a tie decision does not make it Excellent.
    grade, flags = apply_decisions(RESULTS["c"], {"tie": TeamDecision("tie", Grade.EXCELLENT)},
                                   None, None)
    assert grade is Grade.COMPETENT and "decided" not in flags
    # d has no grade, but is not tied at the line: a tie decision does not decide it either.
    grade, flags = apply_decisions(RESULTS["d"], {"tie": TeamDecision("tie", Grade.EXCELLENT)},
                                   None, None)
    assert grade is None and "decided" not in flags


def test_a_missing_input_decision_applies_only_without_a_composite() -> None:
    decided = {"missing_input": TeamDecision("missing_input", Grade.BASICALLY_COMPETENT)}
    grade, flags = apply_decisions(RESULTS["d"], decided, None, None)
    # A decided Basically competent brings its A19 admonition like a computed one.
    assert grade is Grade.BASICALLY_COMPETENT
    assert flags[-2:] == ("decided", Flag.ADMONITION)
    # a has a composite: the missing-input decision is ignored, a stays undecided.
    assert apply_decisions(RESULTS["a"], decided, None, None)[0] is None


def test_a_decided_excellent_gets_the_a18_priority_promotion() -> None:
    tie = {"tie": TeamDecision("tie", Grade.EXCELLENT)}
    near_top = Ranking(counties=10, previous=2, current=1)
    _, flags = apply_decisions(RESULTS["a"], tie, Grade.EXCELLENT, near_top)
    assert Flag.PRIORITY_PROMOTION in flags
    # Not near the top this year (4th of 10): no priority promotion.
    _, flags = apply_decisions(RESULTS["a"], tie, Grade.EXCELLENT, replace(near_top, current=4))
    assert Flag.PRIORITY_PROMOTION not in flags


def test_the_promotion_mark_and_its_withdrawal() -> None:
    marked = {"promotion": TeamDecision("promotion", facts="poverty_exit")}
    assert "promotion_candidate" in apply_decisions(RESULTS["c"], marked, None, None)[1]
    withdrawn = {"promotion": TeamDecision("promotion")}
    assert "promotion_candidate" not in apply_decisions(RESULTS["c"], withdrawn, None, None)[1]


def test_a_veto_reaches_the_tally_and_its_grade_is_flagged_decided() -> None:
    veto = TeamDecision("veto", Grade.BASICALLY_COMPETENT, VetoArea.WORK_SAFETY.value,
                        "分管领域发生较大安全生产事故", "负有领导责任")
    found = member_veto({"veto": veto})
    assert found is not None
    assert (found.area, found.grade, found.reason) == (
        VetoArea.WORK_SAFETY, Grade.BASICALLY_COMPETENT, "负有领导责任")
    vetoed = replace(ASSESSMENT, members=tuple(
        replace(m, veto=found) if m.id == "a" else m for m in ASSESSMENT.members))
    results = scored(vetoed)
    grade, flags = apply_decisions(results["a"], {"veto": veto}, None, None)
    assert grade is Grade.BASICALLY_COMPETENT
    assert {Flag.VETO, "decided", Flag.ADMONITION} <= set(flags)
    # a left the quota: b alone at 95.75 takes the one place.
    assert results["b"].grade is Grade.EXCELLENT


def test_a_veto_decision_without_an_area_withdraws_the_veto() -> None:
    assert member_veto({"veto": TeamDecision("veto", reason="经核实不负责任")}) is None
    assert member_veto({}) is None


# admit_decision


@pytest.mark.parametrize("name, proposed, refusal", [
    ("c", TeamDecision("tie", Grade.EXCELLENT), Refusal.NOT_TIED),
    ("a", TeamDecision("tie", Grade.BASICALLY_COMPETENT), Refusal.TIE_GRADE),
    ("a", TeamDecision("tie"), Refusal.TIE_GRADE),
    ("a", TeamDecision("missing_input", Grade.COMPETENT), Refusal.NOT_MISSING),
    ("d", TeamDecision("missing_input"), Refusal.GRADE_NEEDED),
    ("c", TeamDecision("veto"), Refusal.NO_VETO),
    ("c", TeamDecision("veto", Grade.COMPETENT, "weather", "事实"), Refusal.VETO_AREA),
    ("c", TeamDecision("veto", Grade.COMPETENT, "work_safety"), Refusal.VETO_FACTS),
    ("c", TeamDecision("veto", None, "work_safety", "事实"), Refusal.VETO_GRADE),
    ("c", TeamDecision("promotion", facts="bonus"), Refusal.PROMOTION_BASIS),
    ("c", TeamDecision("promotion"), Refusal.NOT_MARKED),
])
def test_decisions_the_result_does_not_admit(name: str, proposed: TeamDecision,
                                             refusal: Refusal) -> None:
    assert admit_decision(proposed, RESULTS[name], {}) is refusal


def test_admitted_decisions_keep_only_what_their_kind_uses() -> None:
    tie = admit_decision(TeamDecision("tie", Grade.EXCELLENT, "work_safety", "事实", "理由"),
                         RESULTS["a"], {})
    assert tie == TeamDecision("tie", Grade.EXCELLENT, reason="理由")
    missing = admit_decision(TeamDecision("missing_input", Grade.COMPETENT, facts="事实"),
                             RESULTS["d"], {})
    assert missing == TeamDecision("missing_input", Grade.COMPETENT)
    mark = admit_decision(TeamDecision("promotion", Grade.EXCELLENT, "work_safety",
                                       "hard_conditions_progress"), RESULTS["c"], {})
    assert mark == TeamDecision("promotion", facts="hard_conditions_progress")
    veto = TeamDecision("veto", Grade.COMPETENT, "work_safety", "事实", "理由")
    assert admit_decision(veto, RESULTS["c"], {}) == veto


def test_withdrawals_need_something_on_record_to_withdraw() -> None:
    on_record = {"veto": TeamDecision("veto", Grade.COMPETENT, "work_safety", "事实"),
                 "promotion": TeamDecision("promotion", facts="poverty_exit")}
    withdraw_veto = admit_decision(TeamDecision("veto", Grade.EXCELLENT, facts="事实"),
                                   RESULTS["c"], on_record)
    assert withdraw_veto == TeamDecision("veto")
    assert admit_decision(TeamDecision("promotion"), RESULTS["c"], on_record) == TeamDecision(
        "promotion")
    # A veto decision already withdrawn (no area) leaves nothing to withdraw.
    assert admit_decision(TeamDecision("veto"), RESULTS["c"],
                          {"veto": TeamDecision("veto")}) is Refusal.NO_VETO


def test_an_unknown_kind_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="bonus"):
        admit_decision(TeamDecision("bonus"), RESULTS["a"], {})
