"""A GET never changes state (STYLE habit 2, issue 9): link previewers, QR scanner apps and a
projector refreshing every 5 s fire GETs. Every GET route of the app is opened, by an admin and
by a voter, with an evaluation past its closing time (the case that used to close on a GET),
and no INSERT, UPDATE or DELETE reaches the database."""

from __future__ import annotations

import datetime as dt

from flask import Flask
from sqlalchemy import event
from werkzeug.routing import IntegerConverter

from ballot.accounts.models import Role
from ballot.db import get_session
from ballot.evaluations.models import Evaluation
from tests.conftest import make_user, sign_in


def _get_urls(app: Flask, sample_ids: dict[str, int]) -> list[tuple[str, str]]:
    urls = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            if "GET" not in (rule.methods or set()) or rule.endpoint == "static":
                continue
            values: dict[str, object] = {}
            for name, converter in rule._converters.items():  # noqa: SLF001
                if isinstance(converter, IntegerConverter):
                    values[name] = sample_ids.get(name, 1)
                else:
                    values[name] = "xlsx" if name == "fmt" else "x"
            urls.append((rule.endpoint, rule.build(values, append_unknown=False)[1]))  # type: ignore[index]
    return urls


def test_no_get_writes_even_past_a_closing_time(app, make_evaluation):
    past = dt.datetime.now(dt.UTC).replace(tzinfo=None) - dt.timedelta(minutes=1)
    setup = make_evaluation(slips=4, closes_at=past)
    make_user(app, "admin-1", Role.ADMIN)
    admin = app.test_client()
    assert sign_in(admin, "admin-1").status_code == 303
    writes: list[str] = []
    with app.app_context():
        engine = get_session().get_bind()

    def _record(_conn, _cursor, statement, _parameters, context, _many):  # type: ignore[no-untyped-def]
        if context is not None and (context.isinsert or context.isupdate or context.isdelete):
            writes.append(statement.split("\n", 1)[0])

    event.listen(engine, "before_cursor_execute", _record)
    try:
        ids = {"evaluation_id": setup.evaluation_id, "assessment_id": setup.assessment_id}
        opened = 0
        for endpoint, url in _get_urls(app, ids):
            if endpoint == "voting.set_language":
                continue  # sets the session cookie's language only
            response = admin.get(url)
            assert response.status_code < 500, (endpoint, url, response.status_code)
            assert not writes, (endpoint, url, writes)
            opened += 1
        phone = app.test_client()
        for url in (f"/s/{setup.credentials[0]}", "/ballot", "/thanks", "/"):
            phone.get(url)
            assert not writes, (url, writes)
    finally:
        event.remove(engine, "before_cursor_execute", _record)
    assert opened >= 30
    with app.app_context():
        evaluation = get_session().get_one(Evaluation, setup.evaluation_id)
        assert (evaluation.state, evaluation.phase()) == ("open", "closing")
