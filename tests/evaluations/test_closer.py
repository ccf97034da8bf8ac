"""The closer (ballot/evaluations/closer.py): with the product running as an operator runs it
(gunicorn, deploy/gunicorn.conf.py) and no request at all, an evaluation closes and is tallied
within a minute of its closing time (issue 9: a GET never writes, so nothing else would)."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from flask import Flask

from ballot.db import get_session
from ballot.evaluations.models import Evaluation
from tests.conftest import CREDENTIAL_KEY, vote
from tests.support.server import running_server

pytestmark = pytest.mark.server


def _evaluation(app: Flask, evaluation_id: int) -> Evaluation:
    with app.app_context():
        return get_session().get_one(Evaluation, evaluation_id)


def test_an_evaluation_closes_and_tallies_at_its_time_with_no_request(
        app: Flask, make_evaluation, database_url, tmp_path):
    setup = make_evaluation(slips=6, floor=3)
    for credential in setup.credentials[:3]:
        assert vote(app.test_client(), credential,
                    {setup.member_ids[0]: "excellent"}).status_code == 303
    # The closing time set once the votes are in: set before them, a few seconds ahead, it
    # raced them on a loaded machine.
    closes_at = dt.datetime.now(dt.UTC).replace(tzinfo=None) + dt.timedelta(seconds=3)
    with app.app_context():
        db = get_session()
        db.get_one(Evaluation, setup.evaluation_id).closes_at = closes_at
        db.commit()
    # The default interval (10 s): what an operator gets without setting anything.
    with running_server(database_url, tmp_path, credential_key=CREDENTIAL_KEY, workers=2,
                        threads=2):
        deadline = closes_at + dt.timedelta(seconds=60)
        while _evaluation(app, setup.evaluation_id).state == "open":
            assert dt.datetime.now(dt.UTC).replace(tzinfo=None) < deadline, (
                "not closed within a minute of its closing time")
            time.sleep(0.5)
        closed_at = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    evaluation = _evaluation(app, setup.evaluation_id)
    assert (evaluation.state, evaluation.closed_reason, evaluation.ballots_cast) == (
        "closed", "time", 3)
    assert evaluation.box_digest is not None and evaluation.closed_at is not None
    assert evaluation.closed_at >= closes_at
    assert (closed_at - closes_at).total_seconds() < 60
    with app.app_context():
        stored = get_session().get_one(Evaluation, setup.evaluation_id)
        excellent = {t.member_id: t.excellent for t in stored.tallies}
    assert excellent[setup.member_ids[0]] == 3
