"""Closing an evaluation: by the team, at its time, when every slip is used; the tally it runs;
and the anonymity of what is stored (SPEC "Ballots")."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from flask import Flask
from sqlalchemy import func, inspect, select, text

from ballot.db import get_session
from ballot.evaluations.models import Ballot, BallotRating, Evaluation
from ballot.evaluations.services import close_due_evaluations, close_evaluation, results
from tests.conftest import csrf_token, vote

RATINGS = ("excellent", "competent", "basically_competent", "incompetent")


def _close(app: Flask, evaluation_id: int) -> None:
    with app.app_context():
        db = get_session()
        assert close_evaluation(db, evaluation_id, "team")
        db.commit()


def _evaluation(app: Flask, evaluation_id: int) -> Evaluation:
    with app.app_context():
        return get_session().get_one(Evaluation, evaluation_id)


def test_closing_tallies_counts_and_vote_scores(app, make_evaluation):
    setup = make_evaluation(slips=6)
    a, b, c = setup.member_ids
    ballots = [
        {a: "excellent", b: "competent", c: "abstain"},
        {a: "excellent", b: "basically_competent", c: "abstain"},
        {a: "competent", b: "incompetent", c: "abstain"},
        {a: "basically_competent", b: "excellent", c: "abstain"},
    ]
    for credential, ratings in zip(setup.credentials, ballots, strict=False):
        assert vote(app.test_client(), credential, ratings).status_code == 303
    _close(app, setup.evaluation_id)
    with app.app_context():
        db = get_session()
        evaluation = db.get_one(Evaluation, setup.evaluation_id)
        rows = {t.member_id: t for t in results(db, evaluation)}
    assert evaluation.ballots_cast == 4 and evaluation.closed_reason == "team"
    # a: 2 E, 1 C, 1 B -> (2 + 0.8 + 0.5) / 4 * 100 = 82.5
    assert (rows[a].excellent, rows[a].competent, rows[a].basically_competent,
            rows[a].incompetent, rows[a].valid, rows[a].score) == (2, 1, 1, 0, 4, "82.50")
    # b: 1 E, 1 C, 1 B, 1 I -> (1 + 0.8 + 0.5 + 0) / 4 * 100 = 57.5
    assert (rows[b].valid, rows[b].score) == (4, "57.50")
    # c: every ballot abstained -> no valid votes, no score (never 0)
    assert (rows[c].valid, rows[c].abstained, rows[c].score) == (0, 4, None)


def test_results_are_hidden_until_close_and_turnout_is_shown(app, team, make_evaluation):
    client = team
    setup = make_evaluation(slips=3)
    vote(app.test_client(), setup.credentials[0], {setup.member_ids[0]: "excellent"})
    hidden = client.get(f"/evaluations/{setup.evaluation_id}/results")
    assert hidden.status_code == 403
    page = hidden.get_data(as_text=True)
    assert "结果不公开" in page and "已投 1 票" in page and "优秀</th>" not in page
    dashboard = client.get(f"/evaluations/{setup.evaluation_id}/").get_data(as_text=True)
    assert "已投 1 票，共发放票签 3 张（33%）" in dashboard
    _close(app, setup.evaluation_id)
    shown = client.get(f"/evaluations/{setup.evaluation_id}/results")
    assert shown.status_code == 200 and "100.00" in shown.get_data(as_text=True)


def test_team_closes_from_its_page_and_lands_on_the_results(app, team, make_evaluation):
    client = team
    setup = make_evaluation()
    vote(app.test_client(), setup.credentials[0], {setup.member_ids[0]: "competent"})
    token = csrf_token(client, f"/evaluations/{setup.evaluation_id}/")
    closed = client.post(f"/evaluations/{setup.evaluation_id}/close", data={"csrf_token": token})
    assert closed.status_code == 303 and closed.headers["Location"].endswith("/results")
    assert "80.00" in client.get(closed.headers["Location"]).get_data(as_text=True)
    again = client.post(f"/evaluations/{setup.evaluation_id}/close", data={"csrf_token": token})
    assert again.status_code == 409


def test_evaluation_closes_by_itself_when_every_slip_is_used(app, make_evaluation):
    setup = make_evaluation(slips=2)
    a = setup.member_ids[0]
    vote(app.test_client(), setup.credentials[0], {a: "excellent"})
    assert _evaluation(app, setup.evaluation_id).state == "open"
    vote(app.test_client(), setup.credentials[1], {a: "competent"})
    evaluation = _evaluation(app, setup.evaluation_id)
    assert (evaluation.state, evaluation.closed_reason, evaluation.ballots_cast) == (
        "closed", "all_slips_used", 2)


def test_evaluation_closes_at_its_closing_time(app, client, make_evaluation):
    past = dt.datetime.now(dt.UTC).replace(tzinfo=None) - dt.timedelta(minutes=1)
    setup = make_evaluation(closes_at=past)
    response = client.get(f"/s/{setup.credentials[0]}")
    assert response.status_code == 410
    evaluation = _evaluation(app, setup.evaluation_id)
    assert (evaluation.state, evaluation.closed_reason) == ("closed", "time")


def test_close_due_closes_evaluations_past_their_time_only(app, make_evaluation):
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    due = make_evaluation(closes_at=now - dt.timedelta(seconds=1))
    later = make_evaluation(closes_at=now + dt.timedelta(hours=1))
    with app.app_context():
        assert close_due_evaluations(get_session()) == [due.evaluation_id]
    assert _evaluation(app, later.evaluation_id).state == "open"


def test_no_column_links_a_ballot_to_a_slip_a_time_or_a_device(app):
    with app.app_context():
        inspector = inspect(get_session().get_bind())
        ballot_columns = {c["name"] for c in inspector.get_columns("ballot")}
        rating_columns = {c["name"] for c in inspector.get_columns("rating")}
        slip_columns = {c["name"] for c in inspector.get_columns("slip")}
        ballot_fks = {fk["referred_table"] for fk in inspector.get_foreign_keys("ballot")}
        slip_fks = {fk["referred_table"] for fk in inspector.get_foreign_keys("slip")}
    assert ballot_columns == {"id", "evaluation_id", "valid"}
    assert rating_columns == {"ballot_id", "member_id", "rating"}
    assert slip_columns == {"id", "evaluation_id", "credential_hash", "spent"}
    assert ballot_fks == {"evaluation"} and slip_fks == {"evaluation"}


def test_ballot_keys_are_random_not_sequential(app, make_evaluation):
    setup = make_evaluation(slips=5)
    for credential in setup.credentials[:4]:
        vote(app.test_client(), credential, {setup.member_ids[0]: "excellent"})
    with app.app_context():
        keys = get_session().scalars(select(Ballot.id)).all()
    assert len(set(keys)) == 4 and all(len(k) == 32 for k in keys)
    assert not any(k.isdigit() for k in keys)


def test_slips_store_only_a_keyed_hash_of_the_credential(app, make_evaluation):
    setup = make_evaluation(slips=3)
    with app.app_context():
        db = get_session()
        dump = " ".join(str(row) for row in db.execute(text("SELECT * FROM slip")).all())
    for credential in setup.credentials:
        assert credential not in dump


def _cast_in_known_order(app: Flask, make_evaluation, n: int):  # type: ignore[no-untyped-def]
    """Cast n ballots whose ratings encode their cast index; return (setup, index by pattern)."""
    roster_size = 3
    setup = make_evaluation(slips=n + 1)
    patterns = list(itertools.product(RATINGS, repeat=roster_size))[:n]
    for credential, pattern in zip(setup.credentials, patterns, strict=False):
        ratings = dict(zip(setup.member_ids, pattern, strict=True))
        assert vote(app.test_client(), credential, ratings).status_code == 303
    return setup, {pattern: i for i, pattern in enumerate(patterns)}


def _database_order(app: Flask, setup) -> list[int]:  # type: ignore[no-untyped-def]
    """Cast indexes of the ballots in the order the database returns them, with no ORDER BY."""
    with app.app_context():
        db = get_session()
        ballot_ids = [row[0] for row in db.execute(
            text("SELECT id FROM ballot WHERE evaluation_id = :e"), {"e": setup.evaluation_id})]
        ratings: dict[str, dict[int, str]] = {}
        for ballot_id, member_id, rating in db.execute(
                select(BallotRating.ballot_id, BallotRating.member_id, BallotRating.rating)):
            ratings.setdefault(ballot_id, {})[member_id] = rating
    return [tuple(ratings[b][m] for m in setup.member_ids) for b in ballot_ids]  # type: ignore[misc]


@pytest.mark.parametrize("attempt", range(2))
def test_after_close_the_stored_order_does_not_reveal_the_cast_order(app, make_evaluation, attempt):
    n = 24
    setup, index = _cast_in_known_order(app, make_evaluation, n)
    _close(app, setup.evaluation_id)
    order = [index[p] for p in _database_order(app, setup)]  # type: ignore[index]
    assert sorted(order) == list(range(n))
    # A uniform shuffle of 24 puts at most a few ballots back in their cast place; cast order or
    # its reverse would put all of them there.
    in_place = sum(1 for position, cast in enumerate(order) if position == cast)
    reversed_in_place = sum(1 for position, cast in enumerate(order) if n - 1 - position == cast)
    assert in_place < n // 2 and reversed_in_place < n // 2, order
    with app.app_context():
        db = get_session()
        if db.get_bind().dialect.name == "sqlite":
            # No rowid at all: rows live in the order of their random keys.
            for table in ("ballot", "rating"):
                sql = db.execute(text("SELECT sql FROM sqlite_master WHERE name = :t"),
                                 {"t": table}).scalar_one()
                assert sql.rstrip().endswith("WITHOUT ROWID"), sql
        else:
            # Every ballot row was written by the one closing transaction: xmin tells nothing.
            xmins = {r[0] for r in db.execute(text("SELECT xmin::text FROM ballot"))}
            rating_xmins = {r[0] for r in db.execute(text("SELECT xmin::text FROM rating"))}
            assert len(xmins) == 1 and rating_xmins == xmins
            by_ctid = [index[p] for p in _ordered_by(db, setup, "ctid")]  # type: ignore[index]
            assert by_ctid != list(range(n))


def _ordered_by(db, setup, column: str):  # type: ignore[no-untyped-def]
    ids = [r[0] for r in db.execute(text(f"SELECT id FROM ballot ORDER BY {column}"))]
    ratings: dict[str, dict[int, str]] = {}
    for ballot_id, member_id, rating in db.execute(
            select(BallotRating.ballot_id, BallotRating.member_id, BallotRating.rating)):
        ratings.setdefault(ballot_id, {})[member_id] = rating
    return [tuple(ratings[b][m] for m in setup.member_ids) for b in ids]


def test_closing_twice_is_refused_and_changes_nothing(app, make_evaluation):
    setup = make_evaluation()
    vote(app.test_client(), setup.credentials[0], {setup.member_ids[0]: "excellent"})
    _close(app, setup.evaluation_id)
    with app.app_context():
        db = get_session()
        before = db.scalar(select(func.count()).select_from(Ballot))
        assert close_evaluation(db, setup.evaluation_id, "team") is False
        assert db.scalar(select(func.count()).select_from(Ballot)) == before


# SQLite takes the write lock at BEGIN IMMEDIATE, so two casts cannot overlap there.
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_two_last_voters_at_once_still_close_the_evaluation(app, make_evaluation):
    """The last two slips cast in overlapping transactions: whichever commits second sees every
    slip spent and closes (PostgreSQL runs READ COMMITTED, so neither cast can see the other's
    spend before it commits). SQLite serializes writers, so the overlap cannot happen there."""
    from ballot.evaluations.services import close_if_all_used
    from ballot.voting.services import cast_ballot
    from tests.conftest import CREDENTIAL_KEY

    setup = make_evaluation(slips=2)
    with app.app_context():
        first, second = (app.extensions["db_sessionmaker"]() for _ in range(2))
        form = {f"m{m}": "competent" for m in setup.member_ids}
        try:
            cast_ballot(first, CREDENTIAL_KEY, setup.credentials[0], form)
            cast_ballot(second, CREDENTIAL_KEY, setup.credentials[1], form)
            first.commit()
            assert not close_if_all_used(first, setup.evaluation_id)  # the second is in flight
            first.commit()
            second.commit()
            assert close_if_all_used(second, setup.evaluation_id)
            second.commit()
        finally:
            first.close()
            second.close()
    evaluation = _evaluation(app, setup.evaluation_id)
    assert (evaluation.state, evaluation.closed_reason, evaluation.ballots_cast) == (
        "closed", "all_slips_used", 2)


def test_the_last_of_many_concurrent_voters_closes_the_evaluation(app, make_evaluation,
                                                                   database_url, tmp_path):
    """Twelve phones confirm the last twelve slips at once against gunicorn: the evaluation
    ends closed with every ballot counted, on SQLite and PostgreSQL."""
    import threading

    import requests

    from tests.conftest import CREDENTIAL_KEY
    from tests.support.server import running_server

    setup = make_evaluation(slips=12)
    with running_server(database_url, tmp_path, credential_key=CREDENTIAL_KEY,
                        workers=3, threads=4) as server:
        phones = []
        for credential in setup.credentials:
            phone = requests.Session()
            assert phone.get(f"{server.url}/s/{credential}", allow_redirects=False,
                             timeout=10).status_code == 303
            page = phone.get(f"{server.url}/ballot", timeout=10).text
            token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
            phones.append((phone, token))
        start = threading.Barrier(len(phones))
        statuses: list[int] = []

        def confirm(phone: requests.Session, token: str) -> None:
            form = {"csrf_token": token, **{f"m{m}": "excellent" for m in setup.member_ids}}
            start.wait()
            statuses.append(phone.post(f"{server.url}/ballot/confirm", data=form,
                                       allow_redirects=False, timeout=30).status_code)

        threads = [threading.Thread(target=confirm, args=p) for p in phones]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert statuses == [303] * 12
    evaluation = _evaluation(app, setup.evaluation_id)
    assert (evaluation.state, evaluation.closed_reason, evaluation.ballots_cast) == (
        "closed", "all_slips_used", 12)
