"""The session helpers the voting path relies on: reads without a transaction on PostgreSQL,
and writes that are still all or nothing after them (ballot/db.py)."""

from __future__ import annotations

from sqlalchemy import func, select

from ballot.assessments.models import County
from ballot.db import begin_write, get_session, read_connection


def _counties(app) -> int:  # type: ignore[no-untyped-def]
    with app.app_context():
        return int(get_session().scalar(select(func.count(County.id))) or 0)


def test_a_write_after_a_plain_read_is_still_one_transaction(app):
    before = _counties(app)
    with app.app_context():
        db = get_session()
        read_connection(db).execute(select(County.id)).all()
        begin_write(db)
        db.add(County(name="甲县"))
        db.flush()
        db.add(County(name="乙县"))
        db.flush()
        db.rollback()
    assert _counties(app) == before
    with app.app_context():
        db = get_session()
        read_connection(db).execute(select(County.id)).all()
        begin_write(db)
        db.add(County(name="丙县"))
        db.commit()
    assert _counties(app) == before + 1


def test_reads_hold_no_transaction_open_on_postgresql(app):
    with app.app_context():
        db = get_session()
        conn = read_connection(db)
        conn.execute(select(County.id)).all()
        driver = conn.connection.dbapi_connection
        if db.get_bind().dialect.name == "postgresql":
            # No BEGIN was sent: the server sees an idle connection, not one in a transaction.
            assert driver.pgconn.transaction_status == 0  # type: ignore[union-attr]
        begin_write(db)
        db.connection().execute(select(County.id)).all()
        driver = db.connection().connection.dbapi_connection
        if db.get_bind().dialect.name == "postgresql":
            assert driver.pgconn.transaction_status == 2  # type: ignore[union-attr]
            assert driver.autocommit is False  # type: ignore[union-attr]
        else:
            assert driver.in_transaction  # type: ignore[union-attr]
        db.rollback()
