"""The team's decisions: what the tally leaves to the team (A12 a tie at the quota line, A14 a
one-vote veto, a missing input, the A17 promotion mark), which decision a member's result
admits, and how the recorded ones change the member's grade and flags.

The decisions themselves (with author and time) are kept by the caller; these rules see only
``TeamDecision``, the part of a decision that matters to them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from enum import StrEnum

from tally.model import Grade, Ranking, Veto, VetoArea
from tally.rules import DEFAULT_RULES, Rules
from tally.scoring import Flag, MemberResult, consequence_flags

#: What the team can decide.
DECISION_KINDS = ("tie", "veto", "missing_input", "promotion")
#: A17 grounds for marking a promotion candidate (a promotion decision without one withdraws
#: the mark).
PROMOTION_BASES = ("poverty_exit", "hard_conditions_progress")
#: A12: the grades a tie at the quota line can be decided to.
TIE_GRADES = (Grade.EXCELLENT, Grade.COMPETENT)
#: Flag of a member whose grade the team decided (a tie, a missing input, a veto).
DECIDED = "decided"
#: Flag of a member the team marked as an A17 promotion candidate.
PROMOTION_CANDIDATE = "promotion_candidate"


@dataclass(frozen=True)
class TeamDecision:
    """One decision of the team as the rules see it: its kind (one of ``DECISION_KINDS``), the
    grade, the A14 veto area, the facts (for a promotion: its A17 basis) and the reason; None
    where the kind has none."""

    kind: str
    grade: Grade | None = None
    veto_area: str | None = None
    facts: str | None = None
    reason: str | None = None


class Refusal(StrEnum):
    """Why ``admit_decision`` refuses a decision for a member."""

    #: A tie decision for a member the tally did not leave tied at the quota line (A12).
    NOT_TIED = "not_tied"
    #: A tie decided to a grade other than Excellent or Competent (A12).
    TIE_GRADE = "tie_grade"
    #: A missing-input decision for a member whose composite is computed.
    NOT_MISSING = "not_missing"
    #: A missing-input decision without a grade.
    GRADE_NEEDED = "grade_needed"
    #: A veto withdrawal (no area) for a member without a veto on record.
    NO_VETO = "no_veto"
    #: A veto in an area that is not one of A14's.
    VETO_AREA = "veto_area"
    #: A veto without its facts (A14).
    VETO_FACTS = "veto_facts"
    #: A veto without the proposed grade (A14).
    VETO_GRADE = "veto_grade"
    #: A promotion mark on a basis that is not one of A17's.
    PROMOTION_BASIS = "promotion_basis"
    #: A promotion withdrawal (no basis) for a member who is not marked.
    NOT_MARKED = "not_marked"


def promotion_marked(decided: Mapping[str, TeamDecision]) -> bool:
    """A17: the member's newest promotion decision gives a basis (one without withdraws it)."""
    promotion = decided.get("promotion")
    return promotion is not None and bool(promotion.facts)


def member_veto(decided: Mapping[str, TeamDecision]) -> Veto | None:
    """A14: the veto the member's newest veto decision records; None without one, or when that
    decision has no area (a withdrawal)."""
    decision = decided.get("veto")
    if decision is None or not decision.veto_area:
        return None
    return Veto(area=VetoArea(decision.veto_area), facts=decision.facts or "",
                grade=decision.grade, reason=decision.reason)


def admit_decision(
    proposed: TeamDecision, result: MemberResult, decided: Mapping[str, TeamDecision]
) -> TeamDecision | Refusal:
    """The decision as it is to be recorded for the member the tally scored as ``result``, whose
    newest decisions by kind are ``decided``, with the fields its kind does not use cleared; or
    why the member's result does not admit it.

    A tie needs a member left tied at the quota line and a grade of ``TIE_GRADES`` (A12); a
    missing input, a member without a composite and a grade; a veto, an A14 area, the facts and
    a proposed grade, or no area to withdraw the veto on record; a promotion mark, an A17 basis,
    or none to withdraw the mark. The Excellent quota is checked on the result of the decision.
    """
    kind = proposed.kind
    if kind == "tie":
        if Flag.TIE_AT_QUOTA not in result.flags:
            return Refusal.NOT_TIED
        if proposed.grade not in TIE_GRADES:
            return Refusal.TIE_GRADE
        return replace(proposed, veto_area=None, facts=None)
    if kind == "missing_input":
        if result.composite is not None:
            return Refusal.NOT_MISSING
        if proposed.grade is None:
            return Refusal.GRADE_NEEDED
        return replace(proposed, veto_area=None, facts=None)
    if kind == "veto":
        if proposed.veto_area is None:
            if member_veto(decided) is None:
                return Refusal.NO_VETO
            return replace(proposed, grade=None, facts=None)
        if proposed.veto_area not in {area.value for area in VetoArea}:
            return Refusal.VETO_AREA
        if proposed.facts is None:
            return Refusal.VETO_FACTS
        if proposed.grade is None:
            return Refusal.VETO_GRADE
        return proposed
    if kind == "promotion":
        if proposed.facts is not None and proposed.facts not in PROMOTION_BASES:
            return Refusal.PROMOTION_BASIS
        if proposed.facts is None and not promotion_marked(decided):
            return Refusal.NOT_MARKED
        return replace(proposed, grade=None, veto_area=None)
    raise ValueError(f"unknown decision kind {kind!r}; one of {', '.join(DECISION_KINDS)}")


def apply_decisions(
    result: MemberResult,
    decided: Mapping[str, TeamDecision],
    previous_grade: Grade | None,
    ranking: Ranking | None,
    rules: Rules = DEFAULT_RULES,
) -> tuple[Grade | None, tuple[str, ...]]:
    """The member's grade and flags once the team's newest decisions by kind apply.

    A tie decision applies only to a member the tally left at the quota line (A12), a
    missing-input decision only to a member without a composite; a grade so decided is flagged
    ``decided`` and gets its A18/A19 consequences like the tally's own. A vetoed member's grade
    is the team's (A14), flagged ``decided`` too. A promotion mark adds ``promotion_candidate``
    (A17). The veto itself reaches the tally as input (``member_veto``).
    """
    grade = result.grade
    flags = list(result.flags)
    if grade is None:
        tie, missing = decided.get("tie"), decided.get("missing_input")
        if tie is not None and tie.grade and Flag.TIE_AT_QUOTA in flags:
            grade = tie.grade
        elif missing is not None and missing.grade and result.composite is None:
            grade = missing.grade
        if grade is not None:
            flags.append(DECIDED)
            flags += consequence_flags(grade, previous_grade, ranking, rules)
    elif Flag.VETO in flags:
        flags.append(DECIDED)
    if promotion_marked(decided):
        flags.append(PROMOTION_CANDIDATE)
    return grade, tuple(flags)
