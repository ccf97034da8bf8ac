"""Closing an evaluation: by the team, at its time, when every slip is used; the tally it runs;
and what is stored (SPEC "Ballots"); tests/test_secrecy.py attacks the storage itself."""

from __future__ import annotations

import base64
import datetime as dt
import itertools
import json

import pytest
from flask import Flask
from sqlalchemy import func, inspect, select, text

from ballot.db import get_session
from ballot.evaluations.models import Ballot, Evaluation
from ballot.evaluations.services import close_evaluation, results
from tests.conftest import csrf_token, publish_counts, vote

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
    setup = make_evaluation(slips=6, floor=3)
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
    publish_counts(app, setup.evaluation_id)  # one ballot: below the anonymity floor
    shown = client.get(f"/evaluations/{setup.evaluation_id}/results")
    assert shown.status_code == 200 and "100.00" in shown.get_data(as_text=True)


def test_team_closes_from_its_page_and_lands_on_the_results(app, team, make_evaluation):
    client = team
    setup = make_evaluation()
    vote(app.test_client(), setup.credentials[0], {setup.member_ids[0]: "competent"})
    token = csrf_token(client, f"/evaluations/{setup.evaluation_id}/")
    closed = client.post(f"/evaluations/{setup.evaluation_id}/close", data={"csrf_token": token})
    assert closed.status_code == 303 and closed.headers["Location"].endswith("/results")
    publish_counts(app, setup.evaluation_id)  # one ballot: below the anonymity floor
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


def test_a_get_past_the_closing_time_refuses_the_voter_and_writes_nothing(app, client,
                                                                          make_evaluation):
    past = dt.datetime.now(dt.UTC).replace(tzinfo=None) - dt.timedelta(minutes=1)
    setup = make_evaluation(closes_at=past)
    # What a link previewer or a QR scanner app fires: refused, and nothing written.
    assert client.get(f"/s/{setup.credentials[0]}").status_code == 410
    with app.app_context():
        entries = get_session().scalar(text("SELECT count(*) FROM audit_entry"))
    evaluation = _evaluation(app, setup.evaluation_id)
    assert (evaluation.state, evaluation.closed_reason) == ("open", None)
    assert evaluation.phase() == "closing" and not evaluation.accepts_ballots
    with app.app_context():
        assert get_session().scalar(text("SELECT count(*) FROM audit_entry")) == entries


def test_the_team_pages_show_closing_and_write_nothing(app, team, make_evaluation):
    past = dt.datetime.now(dt.UTC).replace(tzinfo=None) - dt.timedelta(minutes=1)
    setup = make_evaluation(closes_at=past)
    base = f"/evaluations/{setup.evaluation_id}"
    for url in (f"{base}/", f"{base}/screen", f"{base}/slips", f"{base}/results",
                f"{base}/paper"):
        page = team.get(url)
        assert page.status_code in (200, 403), url
    dashboard = team.get(f"{base}/").get_data(as_text=True)
    assert "正在结束" in dashboard and "系统正在结束并计票" in dashboard
    assert "正在结束" in team.get(f"{base}/screen").get_data(as_text=True)
    assert _evaluation(app, setup.evaluation_id).state == "open"


def _move_closing_time(app: Flask, evaluation_id: int, closes_at: dt.datetime) -> None:
    with app.app_context():
        db = get_session()
        db.get_one(Evaluation, evaluation_id).closes_at = closes_at
        db.commit()


def test_a_confirm_arriving_after_the_time_closes_and_tallies(app, client, make_evaluation):
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    setup = make_evaluation(closes_at=now + dt.timedelta(hours=1))
    assert vote(app.test_client(), setup.credentials[0],
                {setup.member_ids[0]: "excellent"}).status_code == 303
    assert client.get(f"/s/{setup.credentials[1]}").status_code == 303
    token = csrf_token(client)
    # The closing time passes while the phone shows its ballot. Moved, not waited for: a
    # closing time a few seconds ahead raced the vote above on a loaded machine.
    _move_closing_time(app, setup.evaluation_id,
                       dt.datetime.now(dt.UTC).replace(tzinfo=None) - dt.timedelta(seconds=1))
    late = client.post("/ballot/confirm", data={"csrf_token": token})
    assert late.status_code == 410
    evaluation = _evaluation(app, setup.evaluation_id)
    assert (evaluation.state, evaluation.closed_reason, evaluation.ballots_cast) == (
        "closed", "time", 1)


def test_the_closer_closes_evaluations_past_their_time_only(app, make_evaluation):
    from ballot.evaluations.closer import close_due_now

    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    due = make_evaluation(closes_at=now - dt.timedelta(seconds=1))
    later = make_evaluation(closes_at=now + dt.timedelta(hours=1))
    assert close_due_now(app) == [due.evaluation_id]
    closed = _evaluation(app, due.evaluation_id)
    assert (closed.state, closed.closed_reason, closed.box_digest is not None) == (
        "closed", "time", True)
    assert _evaluation(app, later.evaluation_id).state == "open"
    assert close_due_now(app) == []


def test_no_column_links_a_ballot_to_a_slip_a_time_or_a_device(app):
    with app.app_context():
        inspector = inspect(get_session().get_bind())
        tables = set(inspector.get_table_names())
        ballot_columns = {c["name"] for c in inspector.get_columns("ballot")}
        slip_columns = {c["name"] for c in inspector.get_columns("slip")}
        ballot_fks = {fk["referred_table"] for fk in inspector.get_foreign_keys("ballot")}
        slip_fks = {fk["referred_table"] for fk in inspector.get_foreign_keys("slip")}
    # No table of ratings at all: a ballot is its ciphertext (and its tracker, derived from it).
    assert "rating" not in tables
    assert ballot_columns == {"id", "evaluation_id", "valid", "ciphertext", "tracker"}
    # No serial: the slip's key is its credential's hash.
    assert slip_columns == {"credential_hash", "evaluation_id", "spent"}
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


def test_slips_are_stored_in_an_order_unrelated_to_the_printed_sheet(app, make_evaluation):
    """The sheet prints credentials in the order issue_slips returns them; the rows go in
    shuffled, so no row position (PostgreSQL's ctid, SQLite's key order) follows the sheet."""
    from ballot.slips.credentials import credential_hash
    from tests.conftest import CREDENTIAL_KEY

    setup = make_evaluation(slips=40)
    sheet = {credential_hash(CREDENTIAL_KEY, c): i for i, c in enumerate(setup.credentials)}
    with app.app_context():
        db = get_session()
        physical = "ctid" if db.get_bind().dialect.name == "postgresql" else "credential_hash"
        stored = [r[0] for r in db.execute(text(
            f"SELECT credential_hash FROM slip WHERE evaluation_id = :e ORDER BY {physical}"),
            {"e": setup.evaluation_id})]
    order = [sheet[h] for h in stored]
    assert sorted(order) == list(range(40))
    assert abs(spearman(order)) < 0.6, order


def spearman(order: list[int]) -> float:
    """Rank correlation between positions 0..n-1 and ``order`` (a permutation)."""
    n = len(order)
    return 1 - 6 * sum((i - o) ** 2 for i, o in enumerate(order)) / (n * (n * n - 1))


def _cast_in_known_order(app: Flask, make_evaluation, n: int):  # type: ignore[no-untyped-def]
    """Cast n ballots; return (setup, cast index by ballot ciphertext)."""
    setup = make_evaluation(slips=n + 1)
    index: dict[bytes, int] = {}
    for i, (credential, rating) in enumerate(zip(setup.credentials,
                                                 itertools.cycle(RATINGS), strict=False)):
        if i == n:
            break
        assert vote(app.test_client(), credential, {setup.member_ids[0]: rating}
                    ).status_code == 303
        with app.app_context():
            for ciphertext in get_session().scalars(select(Ballot.ciphertext)):
                index.setdefault(bytes(ciphertext), i)
    return setup, index


@pytest.mark.parametrize("attempt", range(2))
def test_the_published_box_does_not_reveal_the_cast_order(app, make_evaluation, attempt):
    from ballot.evaluations.box import box_bytes

    n = 24
    setup, index = _cast_in_known_order(app, make_evaluation, n)
    _close(app, setup.evaluation_id)
    with app.app_context():
        evaluation = get_session().get_one(Evaluation, setup.evaluation_id)
        document = json.loads(box_bytes(get_session(), evaluation))
    order = [index[base64.b64decode(b["ciphertext"])] for b in document["ballots"]]
    assert sorted(order) == list(range(n))
    # Ordered by tracker, a hash: a uniform shuffle of 24 has |rho| < 0.6 but for 1 in 200,000.
    assert abs(spearman(order)) < 0.6, order
    with app.app_context():
        db = get_session()
        if db.get_bind().dialect.name == "sqlite":
            # No rowid at all: rows live in the order of their random keys.
            for table in ("ballot", "slip"):
                sql = db.execute(text("SELECT sql FROM sqlite_master WHERE name = :t"),
                                 {"t": table}).scalar_one()
                assert sql.rstrip().endswith("WITHOUT ROWID"), sql
            stored = [index[bytes(c)] for c, in db.execute(text(
                "SELECT ciphertext FROM ballot WHERE evaluation_id = :e"),
                {"e": setup.evaluation_id})]
            assert abs(spearman(stored)) < 0.6, stored


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
