"""Issuing slips from the team's page: a bad count is refused in the visitor's language and
issues nothing (issue 9: "slip count must be between 1 and 2000, got 5000" reached a Chinese
page in English)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from ballot.db import get_session
from ballot.evaluations.models import Slip
from tests.conftest import csrf_token


def _slips(app, evaluation_id: int) -> int:  # type: ignore[no-untyped-def]
    with app.app_context():
        return int(get_session().scalar(
            select(func.count()).select_from(Slip).where(Slip.evaluation_id == evaluation_id)))


@pytest.mark.parametrize(("count", "chinese", "english"), [
    ("5000", "票签数量：应为 1 到 2000 之间的整数，收到“5000”", "must be a whole number between 1 and 2000"),
    ("0", "票签数量：应为 1 到 2000 之间的整数，收到“0”", "must be a whole number between 1 and 2000"),
    ("9" * 5000, "票签数量：应为 1 到 2000 之间的整数", "must be a whole number between 1 and 2000"),
    ("", "票签数量：必须填写", "Number of slips: required"),
    ("１２", "票签数量：应为 1 到 2000 之间的整数", "must be a whole number"),
])
def test_a_bad_count_is_refused_in_the_visitors_language(app, team, make_evaluation, count,
                                                         chinese, english):
    setup = make_evaluation(slips=3)
    url = f"/evaluations/{setup.evaluation_id}/slips"
    page = team.post(url, data={"csrf_token": csrf_token(team, url), "count": count})
    assert page.status_code == 422 and chinese in page.get_data(as_text=True)
    team.get("/lang/en")
    page = team.post(url, data={"csrf_token": csrf_token(team, url), "count": count})
    assert page.status_code == 422 and english in page.get_data(as_text=True)
    assert _slips(app, setup.evaluation_id) == 3


def test_a_good_count_issues_the_slips(app, team, make_evaluation):
    setup = make_evaluation(slips=3)
    url = f"/evaluations/{setup.evaluation_id}/slips"
    page = team.post(url, data={"csrf_token": csrf_token(team, url), "count": "4"})
    assert page.status_code == 200
    assert _slips(app, setup.evaluation_id) == 7
