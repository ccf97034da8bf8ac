"""The box file rebuilt from the database (ballot/evaluations/box.py) is, byte for byte, the
canonical box document of tally.box, so its digest is the one anyone recomputes (SPEC "Ballots")."""

from __future__ import annotations

import hashlib
import json

from flask import Flask

from ballot.db import get_session
from ballot.evaluations.box import box_bytes, file_chunks, has_box, stored_ballots
from ballot.evaluations.models import Evaluation
from ballot.evaluations.services import close_evaluation
from ballot.voting.services import cast_paper_ballot
from tally import box
from tests.conftest import CREDENTIAL_KEY, vote


def _closed_box(app: Flask, make_evaluation, ballots: list[dict]) -> int:  # type: ignore[no-untyped-def]
    setup = make_evaluation(slips=len(ballots) + 2, cap=1)
    for credential, choices in zip(setup.credentials, ballots, strict=False):
        paper = choices.pop("paper", False)
        ratings = {setup.member_ids[i]: r for i, r in choices.items()}
        if paper:
            with app.app_context():
                db = get_session()
                cast_paper_ballot(db, CREDENTIAL_KEY, credential, ratings)
                db.commit()
        else:
            assert vote(app.test_client(), credential, ratings).status_code == 303
    with app.app_context():
        db = get_session()
        assert close_evaluation(db, setup.evaluation_id, "team")
        db.commit()
    return setup.evaluation_id


def test_file_chunks_are_the_canonical_box_document(app, make_evaluation):
    evaluation_id = _closed_box(app, make_evaluation, [
        {0: "excellent", 1: "competent", 2: "abstain"},
        {0: "competent", 1: "basically_competent", 2: "incompetent"},
        {0: "incompetent", 1: "excellent", 2: "competent"},
        # A paper ballot over the cap of one Excellent: invalid, no ciphertext, not in the file.
        {"paper": True, 0: "excellent", 1: "excellent", 2: None},
    ])
    with app.app_context():
        db = get_session()
        evaluation = db.get_one(Evaluation, evaluation_id)
        assert has_box(evaluation)
        ciphertexts, invalid = stored_ballots(db, evaluation_id)
        header = json.loads(evaluation.box_header)
        result = json.loads(evaluation.box_result)
        streamed = b"".join(file_chunks(evaluation.box_header, ciphertexts, evaluation.box_result))
        digest = evaluation.box_digest
        downloaded = box_bytes(db, evaluation)
    assert (len(ciphertexts), invalid) == (3, 1)
    expected = box.canonical(box.box_document(header, ciphertexts, result))
    assert streamed == expected == downloaded
    assert hashlib.sha256(streamed).hexdigest() == digest
    verified = box.verify_box(streamed)
    assert (verified.valid_ballots, verified.invalid_ballots) == (3, 1)
    assert [m.counts for m in verified.members] == [(1, 1, 0, 1), (1, 1, 1, 0), (0, 1, 0, 1)]


def test_file_chunks_of_an_empty_box_are_canonical_too(app, make_evaluation):
    evaluation_id = _closed_box(app, make_evaluation, [])
    with app.app_context():
        db = get_session()
        evaluation = db.get_one(Evaluation, evaluation_id)
        streamed = box_bytes(db, evaluation)
        header = json.loads(evaluation.box_header)
        result = json.loads(evaluation.box_result)
        digest = evaluation.box_digest
    assert streamed == box.canonical(box.box_document(header, [], result))
    assert hashlib.sha256(streamed).hexdigest() == digest
    assert box.verify_box(streamed).valid_ballots == 0
