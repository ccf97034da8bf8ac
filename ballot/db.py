"""Engine, sessions and the declarative base.

One session per request, committed once by the view (or the CLI command) and rolled back on any
exception (STYLE.md, Indico). SQLite runs in WAL mode with a busy timeout; writes that must not
race (spending a credential, closing an evaluation) start with ``BEGIN IMMEDIATE`` there.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from flask import Flask, current_app, g
from sqlalchemy import MetaData, create_engine, event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


#: Execution option that makes the next SQLite transaction take the write lock at once.
IMMEDIATE = {"sqlite_begin": "IMMEDIATE"}
_BEGIN = {"DEFERRED": "BEGIN DEFERRED", "IMMEDIATE": "BEGIN IMMEDIATE"}


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine; SQLite gets WAL, foreign keys, secure delete and explicit BEGINs."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30}, **kwargs)

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_connection: Any, _record: Any) -> None:
            # Let SQLAlchemy emit BEGIN itself so it can choose IMMEDIATE (pysqlite recipe).
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            # An acknowledged ballot survives a power cut: every commit is fsynced (issue 8).
            cursor.execute("PRAGMA synchronous=FULL")
            # Deleted ballot rows are overwritten, not left readable in free pages.
            cursor.execute("PRAGMA secure_delete=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _on_begin(connection: Connection) -> None:
            mode = connection.get_execution_options().get("sqlite_begin", "DEFERRED")
            # Straight to the driver: every request begins a transaction, and SQLAlchemy's
            # statement machinery costs more than SQLite's BEGIN itself.
            connection.connection.dbapi_connection.execute(_BEGIN[mode])  # type: ignore[union-attr]

        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


def after_commit(session: Session, action: Callable[[], None]) -> None:
    """Run ``action`` once the session's current transaction has committed, never if it rolls
    back: for what must follow the commit and must not happen without it (destroying a ballot
    box's key once its tally is safely stored). Services call this instead of committing."""
    session.info.setdefault("after_commit", []).append(action)


@event.listens_for(Session, "after_commit")
def _run_after_commit(session: Session) -> None:
    actions = session.info.pop("after_commit", [])
    for action in actions:
        try:
            action()
        except Exception:  # the commit stands; a later sweep retries (ballot close-due, init)
            logging.getLogger(__name__).exception("an action after commit failed")


@event.listens_for(Session, "after_rollback")
def _drop_after_commit(session: Session) -> None:
    session.info.pop("after_commit", None)


def scrub_sqlite(session: Session) -> None:
    """SQLite, after an evaluation closes: leave no trace of the order of the meeting's writes.

    1. ``VACUUM`` rebuilds the database file in key order: a ballot's ciphertext overflows its
       b-tree cell onto a page taken from the end of the file as it arrived, so page numbers
       kept the cast order (tests/test_secrecy.py).
    2. ``wal_checkpoint(TRUNCATE)`` copies the WAL into the file and truncates ``-wal`` to zero
       bytes, so the frames of earlier transactions are gone.
    3. The wal-index (``-shm``) still lists the page number of every past frame until a writer
       restarts the log: one write of nothing (the same ``user_version``) restarts it, and a
       second checkpoint truncates that one frame (page 1) away.

    On the driver's connection, outside any transaction (VACUUM cannot run inside one). A
    reader holding an old snapshot can keep a checkpoint from finishing; nothing fails then,
    and the next close scrubs again.
    """
    engine = session.get_bind()
    if engine.dialect.name != "sqlite":
        return
    raw = engine.raw_connection()  # type: ignore[union-attr]
    try:
        connection = raw.driver_connection
        assert connection is not None
        # The rebuilt copy in memory, not in a temporary file: one write of the database less,
        # and no deleted copy of it left in the temporary directory's free blocks.
        connection.execute("PRAGMA temp_store = MEMORY")
        try:
            connection.execute("VACUUM")
        finally:
            connection.execute("PRAGMA temp_store = DEFAULT")
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        version = connection.execute("PRAGMA user_version").fetchone()[0]
        connection.execute(f"PRAGMA user_version = {int(version)}")
        busy, _log, _copied = connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        if busy:
            logging.getLogger(__name__).error(
                "after a close, a reader kept SQLite's WAL from being truncated: the -wal and "
                "-shm files still hold the meeting's writes until the next close or checkpoint")
    finally:
        raw.close()


def init_app(app: Flask) -> None:
    """Attach an engine and a session factory to the app; close the session on teardown."""
    engine = make_engine(app.config["DATABASE_URL"])
    app.extensions["db_engine"] = engine
    app.extensions["db_sessionmaker"] = sessionmaker(bind=engine, expire_on_commit=False)

    @app.teardown_appcontext
    def _close_session(exc: BaseException | None) -> None:
        session = g.pop("db_session", None)
        if session is not None:
            if exc is not None:
                session.rollback()
            session.close()


def get_session() -> Session:
    """The request's (or CLI command's) session, created on first use."""
    if "db_session" not in g:
        g.db_session = current_app.extensions["db_sessionmaker"]()
    session: Session = g.db_session
    return session


def read_connection(session: Session) -> Connection:
    """The session's connection for reads that need no transaction around them (a single
    statement each), at the start of a request's work: on PostgreSQL in autocommit, which spares
    the BEGIN and ROLLBACK round trips; on SQLite as usual (its BEGIN costs no round trip).

    Anything that writes afterwards must start with ``begin_write``, which ends this first.
    """
    if not session.in_transaction() and session.get_bind().dialect.name != "sqlite":
        return session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
    return session.connection()


def begin_write(session: Session) -> None:
    """Start a transaction that holds the write lock from its first statement (SQLite).

    Must be called before anything else in the transaction; ends any read-only one first.
    """
    if session.in_transaction():
        session.rollback()
    session.connection(execution_options=IMMEDIATE)
