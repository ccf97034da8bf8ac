"""The score-sheet services without HTTP: what L and H become once sheets are stored (A8.3,
A8.4), and the score parser."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest

from ballot.accounts.models import Role
from ballot.accounts.services import create_user
from ballot.assessments.models import Assessment
from ballot.assessments.services import LockedError
from ballot.db import get_session
from ballot.results.services import build_input
from ballot.scores.services import (
    LinkProblem,
    SheetError,
    add_scorer,
    enter_paper_sheet,
    find_scorer_by_token,
    lock_inputs,
    parse_score,
    submit_sheet,
    withdraw_scorer,
)
from tally import score_assessment
from tests.conftest import CREDENTIAL_KEY, PASSWORD


def test_l_and_h_are_the_averages_of_the_submitted_sheets(app, roster):
    with app.app_context():
        db = get_session()
        team = create_user(db, "team9", PASSWORD, Role.TEAM)
        assessment = db.get(Assessment, roster.assessment_id)
        m1, m2, m3 = (f"m{m}" for m in roster.member_ids)

        def scorer(kind: str, name: str):  # type: ignore[no-untyped-def]
            return add_scorer(db, assessment, CREDENTIAL_KEY, kind=kind, name=name, actor=team)

        first, second, mistaken = (scorer("city_leader", n) for n in ("赵市长", "钱市长", "李市长"))
        submit_sheet(db, first.scorer, {"score": "90", "signed_name": "赵市长"})
        submit_sheet(db, second.scorer, {"score": "85.5", "signed_name": "钱市长"})
        submit_sheet(db, mistaken.scorer, {"score": "10", "signed_name": "李市长"})
        withdraw_scorer(db, mistaken.scorer, "误加", actor=team)
        scorer("city_leader", "未交市长")  # never submits: counts for nothing
        secretary, head = scorer("county_head", "孙书记"), scorer("county_head", "周县长")
        submit_sheet(db, secretary.scorer, {m1: "90", m2: "80", m3: "70.25",
                                            "signed_name": "孙书记"})
        enter_paper_sheet(db, head.scorer, {m1: "85", m2: "81", m3: "70"}, actor=team)
        db.commit()

        result = score_assessment(build_input(db, assessment))
        assert {m.exact.L for m in result.members} == {Fraction(8775, 100)}
        by_name = {m.name: m.exact.H for m in result.members}
        assert by_name == {"王建国": Fraction(175, 2), "李秀兰": Fraction(161, 2),
                           "陈国华": Fraction(14025, 200)}

        with pytest.raises(LinkProblem):
            find_scorer_by_token(db, CREDENTIAL_KEY, mistaken.token)
        assert find_scorer_by_token(db, CREDENTIAL_KEY, first.token.lower()).name == "赵市长"

        lock_inputs(db, assessment, actor=team)
        with pytest.raises(LockedError):
            submit_sheet(db, first.scorer, {"score": "1", "signed_name": "赵市长"})


def test_a_bad_sheet_names_every_field(app, roster):
    with app.app_context():
        db = get_session()
        assessment = db.get(Assessment, roster.assessment_id)
        link = add_scorer(db, assessment, CREDENTIAL_KEY, kind="county_head", name="孙书记",
                          actor=None)
        m1, m2, m3 = (f"m{m}" for m in roster.member_ids)
        with pytest.raises(SheetError) as caught:
            submit_sheet(db, link.scorer, {m1: "100.00", m2: "1e2", "signed_name": "孙"})
        assert set(caught.value.problems) == {m2, m3, "signed_name"}


@pytest.mark.parametrize("text, expected", [
    ("0", Decimal("0")), ("100", Decimal("100")), ("99.99", Decimal("99.99")),
    (" 88.5 ", Decimal("88.5")), ("８５．５", Decimal("85.5")), ("100.00", Decimal("100")),
])
def test_parse_score_accepts(text, expected):
    assert parse_score(text) == expected


@pytest.mark.parametrize("text", ["", "abc", "100.01", "-0.5", "1e2", "90.123", "NaN", "90.",
                                  "Infinity"])
def test_parse_score_refuses(text):
    with pytest.raises(ValueError):
        parse_score(text)
