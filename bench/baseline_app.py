"""The bare baseline: the least a server can do per ballot on the same stack and database.

Two routes, the same but for one step, so the product's confirm can be compared like with like:

- ``POST /spend``: the ballot in clear, its slot values as bytes (one per slot, 0 or 1).
- ``POST /spend/encrypted``: the ballot encrypted as the product encrypts it (``tally.box``,
  under the evaluation's public keys, same roster).

Each looks up the slip's evaluation (a read, as the product's confirm does), builds the ballot's
slots from the form in roster order, encrypts them or not, and then, in one raw write
transaction, spends the credential with ``UPDATE slip SET spent = true WHERE ... AND NOT spent``
and stores the ballot row with its tracker. Encryption happens before the write lock, as in the
product. No session cookie, no CSRF, no templates and no ORM; the same gunicorn config and the
same engine (``ballot.db.make_engine``: SQLite gets the same pragmas, ``synchronous=FULL``
included, and ``BEGIN IMMEDIATE``) on the product's migrated schema (docs/benchmark.md). The
product never imports this module.

    gunicorn -c deploy/gunicorn.conf.py "bench.baseline_app:create_app()"
"""

from __future__ import annotations

import os
import secrets

from flask import Flask, request
from sqlalchemy import text
from sqlalchemy.engine import Engine

from ballot.db import IMMEDIATE, make_engine
from ballot.slips.credentials import credential_hash
from tally import box

FIND = text("SELECT evaluation_id FROM slip WHERE credential_hash = :h AND NOT spent")
SPEND = text("UPDATE slip SET spent = true WHERE credential_hash = :h AND NOT spent")
STORE_BALLOT = text(
    "INSERT INTO ballot (id, evaluation_id, valid, ciphertext, tracker) "
    "VALUES (:id, :e, true, :c, :t)"
)
ROSTER = text(
    'SELECT member.id FROM member JOIN evaluation ON evaluation.assessment_id = '
    'member.assessment_id WHERE evaluation.id = :e ORDER BY member."order"'
)
KEYS = text("SELECT box_keys FROM evaluation WHERE id = :e")


class _Evaluations:
    """Per process: an evaluation's roster order and encryptor, read once (as the product's
    ballot view and encryptor caches do)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._rosters: dict[int, list[int]] = {}
        self._encryptors: dict[int, box.Encryptor] = {}

    def roster(self, evaluation_id: int) -> list[int]:
        found = self._rosters.get(evaluation_id)
        if found is None:
            with self.engine.connect() as conn:
                found = list(conn.execute(ROSTER, {"e": evaluation_id}).scalars())
            self._rosters[evaluation_id] = found
        return found

    def encryptor(self, evaluation_id: int) -> box.Encryptor:
        found = self._encryptors.get(evaluation_id)
        if found is None:
            with self.engine.connect() as conn:
                found = box.Encryptor(bytes(conn.execute(KEYS, {"e": evaluation_id}).scalar_one()))
            self._encryptors[evaluation_id] = found
        return found


def create_app() -> Flask:
    """The baseline app; DATABASE_URL and BALLOT_CREDENTIAL_KEY come from the environment."""
    app = Flask(__name__)
    engine = make_engine(os.environ["DATABASE_URL"])
    key = os.environ["BALLOT_CREDENTIAL_KEY"]
    evaluations = _Evaluations(engine)

    def spend(encrypt: bool):  # type: ignore[no-untyped-def]
        """Form: ``credential`` and ``m<member id>=<rating>``; 303 when stored, 409 when spent."""
        form = request.form
        hashed = credential_hash(key, form["credential"])
        with engine.connect() as conn:
            evaluation_id = conn.execute(FIND, {"h": hashed}).scalar()
        if evaluation_id is None:
            return "used", 409
        ratings = [form.get(f"m{member_id}") for member_id in evaluations.roster(evaluation_id)]
        values = box.slot_values([r if r in box.RATINGS else None for r in ratings])
        if encrypt:
            ballot = evaluations.encryptor(evaluation_id).encrypt(values)
        else:
            ballot = bytes(values)
        with engine.connect().execution_options(**IMMEDIATE) as conn, conn.begin():
            if conn.execute(SPEND, {"h": hashed}).rowcount != 1:
                return "used", 409
            conn.execute(STORE_BALLOT, {"id": secrets.token_hex(16), "e": evaluation_id,
                                        "c": ballot, "t": box.tracker(ballot)})
        return "", 303, {"Location": "/thanks"}

    app.add_url_rule("/spend", "spend_plain", lambda: spend(False), methods=["POST"])
    app.add_url_rule("/spend/encrypted", "spend_encrypted", lambda: spend(True),
                     methods=["POST"])
    return app
