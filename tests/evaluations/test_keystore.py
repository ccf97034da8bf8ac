"""The box key: made at open, kept outside the database, surviving a restart, destroyed at close
(issue 8, item 2 and 3)."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import select, text

from ballot.db import get_session
from ballot.evaluations.keystore import KeyMissing, KeyStore, current_keystore
from ballot.evaluations.models import Evaluation
from ballot.evaluations.services import KeyLost, close_evaluation, sweep_keys
from tally import box
from tests.conftest import vote


def test_a_stored_key_opens_only_with_the_same_wrapping_key_and_evaluation(tmp_path):
    seed = box.new_seed()
    store = KeyStore(tmp_path / "keys", "wrapping secret")
    store.put(7, seed)
    # A new process (a restart) reads it back.
    assert KeyStore(tmp_path / "keys", "wrapping secret").get(7) == seed
    assert seed not in store.path(7).read_bytes()
    with pytest.raises(KeyMissing):
        KeyStore(tmp_path / "keys", "another secret").get(7)
    # A key file moved to another evaluation's name does not open there.
    os.replace(store.path(7), store.path(8))
    with pytest.raises(KeyMissing):
        store.get(8)
    assert oct(store.path(8).stat().st_mode & 0o777) == "0o600"


def test_destroy_overwrites_and_removes_the_file(tmp_path):
    store = KeyStore(tmp_path / "keys", "s")
    store.put(1, box.new_seed())
    store.put(2, box.new_seed())
    store.destroy(1)
    assert not store.path(1).exists() and store.stored() == [2]
    with pytest.raises(KeyMissing):
        store.get(1)
    assert store.sweep([2, 3]) == [2] and store.stored() == []


def test_opening_makes_a_key_outside_the_database_and_closing_destroys_it(app, make_evaluation):
    setup = make_evaluation(slips=3)
    vote(app.test_client(), setup.credentials[0], {setup.member_ids[0]: "excellent"})
    with app.app_context():
        db = get_session()
        store = current_keystore()
        seed = store.get(setup.evaluation_id)
        evaluation = db.get_one(Evaluation, setup.evaluation_id)
        members = len(setup.member_ids)
        assert evaluation.box_keys == box.public_keys(seed, members * box.SLOTS_PER_MEMBER)
        # Nothing of the seed in any column of the evaluation row.
        row = db.execute(text("SELECT * FROM evaluation WHERE id = :i"),
                         {"i": setup.evaluation_id}).one()
        assert not any(isinstance(v, bytes | str) and seed.hex() in str(v) or v == seed
                       for v in row)
        assert close_evaluation(db, setup.evaluation_id, "team")
        assert store.has(setup.evaluation_id)  # not before the commit
        db.commit()
        assert not store.has(setup.evaluation_id)
        assert setup.evaluation_id not in store.stored()


def test_a_lost_key_refuses_to_close_and_changes_nothing(app, team, make_evaluation):
    from tests.conftest import csrf_token

    setup = make_evaluation(slips=3)
    vote(app.test_client(), setup.credentials[0], {setup.member_ids[0]: "excellent"})
    with app.app_context():
        current_keystore().path(setup.evaluation_id).unlink()
        with pytest.raises(KeyLost):
            close_evaluation(get_session(), setup.evaluation_id, "team")
    token = csrf_token(team, f"/evaluations/{setup.evaluation_id}/")
    page = team.post(f"/evaluations/{setup.evaluation_id}/close", data={"csrf_token": token})
    assert page.status_code == 500 and "密钥" in page.get_data(as_text=True)
    with app.app_context():
        evaluation = get_session().get_one(Evaluation, setup.evaluation_id)
        assert (evaluation.state, evaluation.box_result, evaluation.ballots_cast) == (
            "open", None, None)


def test_a_key_left_behind_by_a_crash_after_close_is_swept(app, make_evaluation):
    setup = make_evaluation(slips=2)
    with app.app_context():
        db = get_session()
        store = current_keystore()
        seed = store.get(setup.evaluation_id)
        assert close_evaluation(db, setup.evaluation_id, "team")
        db.commit()
        store.put(setup.evaluation_id, seed)  # as if the process died before destroying it
        other = db.scalar(select(Evaluation.id).where(Evaluation.state == "open"))
        assert other is None
        assert sweep_keys(db) == [setup.evaluation_id]
        assert not store.has(setup.evaluation_id)


def test_an_evaluation_closed_with_no_ballot_has_an_empty_box(app, make_evaluation):
    setup = make_evaluation(slips=2)
    with app.app_context():
        db = get_session()
        assert close_evaluation(db, setup.evaluation_id, "team")
        db.commit()
        evaluation = db.get_one(Evaluation, setup.evaluation_id)
        from ballot.evaluations.box import box_bytes

        verified = box.verify_box(box_bytes(db, evaluation))
    assert verified.digest == evaluation.box_digest
    assert verified.valid_ballots == 0 and all(m.score is None for m in verified.members)


def test_a_second_open_from_a_stale_page_never_replaces_the_key(app, make_evaluation):
    """Two opens at once (a double click, two staff members): the one that loaded the draft
    before the other committed is refused and leaves the winner's key, under which ballots are
    already being cast, untouched."""
    from ballot.evaluations.services import EvaluationError, open_evaluation

    setup = make_evaluation(slips=3, state="draft")
    with app.app_context():
        maker = app.extensions["db_sessionmaker"]
        first, second = maker(), maker()
        try:
            stale = second.get_one(Evaluation, setup.evaluation_id)
            assert stale.state == "draft"
            second.rollback()  # its snapshot ends; the ORM object stays "draft" in memory
            open_evaluation(first, first.get_one(Evaluation, setup.evaluation_id))
            first.commit()
            seed = current_keystore().get(setup.evaluation_id)
            with pytest.raises(EvaluationError):
                open_evaluation(second, stale)
            second.rollback()
        finally:
            first.close()
            second.close()
        assert current_keystore().get(setup.evaluation_id) == seed
    vote(app.test_client(), setup.credentials[0], {setup.member_ids[0]: "excellent"})
    with app.app_context():
        db = get_session()
        assert close_evaluation(db, setup.evaluation_id, "team")
        db.commit()
        assert db.get_one(Evaluation, setup.evaluation_id).ballots_cast == 1


def test_changing_the_decimals_while_open_leaves_a_box_that_recounts(app, make_evaluation):
    from ballot.assessments.models import Assessment
    from ballot.evaluations.box import box_bytes

    setup = make_evaluation(slips=4, floor=3)
    for credential in setup.credentials[:3]:
        vote(app.test_client(), credential, {setup.member_ids[0]: "competent"})
    with app.app_context():
        db = get_session()
        db.get_one(Assessment, setup.assessment_id).decimals = 0
        db.commit()
        assert close_evaluation(db, setup.evaluation_id, "team")
        db.commit()
        evaluation = db.get_one(Evaluation, setup.evaluation_id)
        verified = box.verify_box(box_bytes(db, evaluation))
    assert str(verified.members[0].score) == "80.00"  # the header's 2 decimals, fixed at open


def test_a_scrub_a_close_still_owes_runs_on_the_closers_next_pass(app, make_evaluation):
    """A close on SQLite leaves a marker until its scrub has run; a scrub that could not run
    (here: the marker put back by hand, as after a crash) is run by the closer's next pass."""
    from ballot.evaluations.closer import close_due_now
    from ballot.evaluations.keystore import current_keystore
    from ballot.evaluations.services import SCRUB_PENDING

    setup = make_evaluation(slips=3)
    with app.app_context():
        db = get_session()
        assert close_evaluation(db, setup.evaluation_id, "team")
        db.commit()
        marker = current_keystore().directory / SCRUB_PENDING
        assert not marker.exists()  # the scrub ran after the commit
        if db.get_bind().dialect.name != "sqlite":
            return
        marker.touch()
    close_due_now(app)
    assert not marker.exists()
