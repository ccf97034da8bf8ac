"""The bare baseline: the least a server can do per ballot on the same stack and database.

One route, ``POST /spend``, spends a credential and stores a ballot with its ratings in one raw
transaction, with no session cookie, no CSRF, no templates and no ORM. It runs under the same
gunicorn config and the same engine (``ballot.db.make_engine``, so SQLite gets the same pragmas
and ``BEGIN IMMEDIATE``) on the product's migrated schema. The product's full vote is measured
against it (docs/benchmark.md); the product never imports this module.

    gunicorn -c deploy/gunicorn.conf.py "bench.baseline_app:create_app()"
"""

from __future__ import annotations

import os
import secrets

from flask import Flask, request
from sqlalchemy import text

from ballot.db import IMMEDIATE, make_engine
from ballot.evaluations.models import RATING_VALUES
from ballot.slips.credentials import credential_hash

SPEND = text(
    "UPDATE slip SET spent = true WHERE credential_hash = :h AND NOT spent "
    "RETURNING evaluation_id"
)
STORE_BALLOT = text("INSERT INTO ballot (id, evaluation_id, valid) VALUES (:id, :e, true)")
STORE_RATING = text("INSERT INTO rating (ballot_id, member_id, rating) VALUES (:b, :m, :r)")


def create_app() -> Flask:
    """The baseline app; DATABASE_URL and BALLOT_CREDENTIAL_KEY come from the environment."""
    app = Flask(__name__)
    engine = make_engine(os.environ["DATABASE_URL"])
    key = os.environ["BALLOT_CREDENTIAL_KEY"]

    @app.post("/spend")
    def spend():  # type: ignore[no-untyped-def]
        """Form: ``credential`` and ``m<member id>=<rating>``; 303 when stored, 409 when spent."""
        form = request.form
        ratings = [
            (int(name[1:]), value)
            for name, value in form.items()
            if name.startswith("m") and value in RATING_VALUES
        ]
        ballot_id = secrets.token_hex(16)
        with engine.connect().execution_options(**IMMEDIATE) as conn, conn.begin():
            spent = conn.execute(SPEND, {"h": credential_hash(key, form["credential"])}).first()
            if spent is None:
                return "used", 409
            conn.execute(STORE_BALLOT, {"id": ballot_id, "e": spent[0]})
            if ratings:
                conn.execute(STORE_RATING, [{"b": ballot_id, "m": m, "r": r} for m, r in ratings])
        return "", 303, {"Location": "/thanks"}

    return app
