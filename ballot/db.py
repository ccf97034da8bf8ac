"""Engine, sessions, the declarative base and the one transaction boundary (STYLE habit 12).

One session per request or CLI command, and one unit of work around it (``init_app``,
``unit_of_work``): it commits when the request's response is a success (below 400) or the
command returns, and rolls back on any exception or error response. Services flush and raise;
no view, command or service calls ``commit()`` or ``rollback()`` (Warehouse, Indico ``web/rh.py``).
Work that must run in a transaction of its own after the unit ends (closing an evaluation once
its last ballot is stored, keeping a failed sign-in for the rate limit) is queued with ``then``.

SQLite runs in WAL mode with a busy timeout; writes that must not race (spending a credential,
closing an evaluation) start with ``BEGIN IMMEDIATE`` there (``begin_write``).
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, cast

from flask import Flask, Response, current_app, g, request
from flask.sessions import SecureCookieSessionInterface, SessionMixin
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
        # hide_parameters: an error message never carries a statement's values (a ballot's
        # ciphertext and tracker, a slip's hash) into a log with a time next to it.
        engine = create_engine(url, connect_args={"timeout": 30}, hide_parameters=True,
                               **kwargs)

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
            driver = cast(sqlite3.Connection, connection.connection.dbapi_connection)
            driver.execute(_BEGIN[mode])

        _track_writes(engine)
        return engine
    engine = create_engine(url, pool_pre_ping=True, hide_parameters=True, **kwargs)
    _track_writes(engine)
    return engine


def _track_writes(engine: Engine) -> None:
    """Mark a connection whose current transaction has written (``begin_write`` refuses to end
    such a transaction), and clear the mark when it ends."""

    @event.listens_for(engine, "before_cursor_execute")
    def _mark(conn: Connection, _cursor: Any, _statement: str, _parameters: Any, context: Any,
              _executemany: bool) -> None:
        if context is not None and (context.isinsert or context.isupdate or context.isdelete):
            conn.info["wrote"] = True

    def _clear(conn: Connection) -> None:
        conn.info.pop("wrote", None)

    for name in ("begin", "commit", "rollback"):
        event.listen(engine, name, _clear)


#: What ``then`` queues: a function of a session, run in a unit of work of its own.
Followup = Callable[[Session], object]


def then(session: Session, action: Followup) -> None:
    """Run ``action(session)`` in a transaction of its own once the current unit of work has
    ended, whether it committed or rolled back (the request's, or a command's); its own
    failure is logged and rolled back, and never undoes the unit before it."""
    session.info.setdefault("then", []).append(action)


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


def scrub_sqlite(session: Session) -> bool:
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
    reader holding an old snapshot can keep a checkpoint from finishing; nothing fails then.
    Returns True once all three steps are done (PostgreSQL: nothing to do, True); the caller
    keeps a marker until then and tries again (``ballot.evaluations.services.rescrub_if_pending``).
    """
    engine = session.get_bind().engine
    if engine.dialect.name != "sqlite":
        return True
    raw = engine.raw_connection()
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
                "-shm files still hold the meeting's writes until the closer's next pass")
        return not busy
    finally:
        raw.close()


def init_app(app: Flask, own_lock: tuple[str, ...] = ()) -> None:
    """Attach an engine and a session factory to the app, and the request's unit of work.

    Every POST to a known page takes SQLite's write lock before its view runs, so two such
    requests queue instead of failing; endpoints starting with one of ``own_lock`` (the voting
    pages, which encrypt before they lock) call ``begin_write`` themselves. The lock is taken by
    ``take_the_write_lock``, which the app registers after the body is read and CSRF checked,
    so a slow upload never holds it. When the unit's commit fails, the session cookie is not
    saved: a phone whose ballot was not stored keeps its slip.
    """
    engine = make_engine(app.config["DATABASE_URL"])
    app.extensions["db_engine"] = engine
    app.extensions["db_sessionmaker"] = sessionmaker(bind=engine, expire_on_commit=False)

    app.extensions["db_own_lock"] = own_lock

    def _end_unit(response: Response) -> Response:
        session = g.get("db_session")
        if session is not None and session.info.get("unit") == "open":
            try:
                finish(session, success=response.status_code < 400)
            except Exception:
                g.unit_failed = True  # the cookie keeps what it held (_UnitSessions)
                raise
        return response

    def _close_session(exc: BaseException | None) -> None:
        # Whatever no unit of work committed is discarded with the connection (an app context
        # with no unit: a test's, a shell's); what ``then`` queued for it never runs.
        session = g.pop("db_session", None)
        if session is not None:
            session.info.pop("then", None)
            session.close()

    app.session_interface = _UnitSessions()
    app.after_request(_end_unit)
    app.teardown_appcontext(_close_session)


def take_the_write_lock() -> None:
    """Before a POST's view: the write lock (SQLite) for the whole unit of work. Registered by
    the app after CSRF and the account are checked; an unknown page (404) takes none."""
    own_lock: tuple[str, ...] = current_app.extensions["db_own_lock"]
    endpoint = request.endpoint
    if request.method == "POST" and endpoint is not None and not endpoint.startswith(own_lock):
        begin_write(get_session())


class _UnitSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, except that a request whose unit of work failed to
    commit sends no new cookie: what the view put there (a voter's "voted", a sign-in) did
    not happen."""

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        if g.get("unit_failed"):
            return
        super().save_session(app, session, response)


def get_session() -> Session:
    """The request's (or CLI command's) session, created on first use."""
    if "db_session" not in g:
        g.db_session = current_app.extensions["db_sessionmaker"]()
        g.db_session.info["unit"] = "open"
    session: Session = g.db_session
    return session


def finish(session: Session, success: bool) -> None:
    """End the session's unit of work: commit on success, otherwise roll back; then run what
    ``then`` queued, each in a transaction of its own."""
    try:
        if success:
            session.commit()
        else:
            session.rollback()
    except Exception:
        session.rollback()
        raise
    finally:
        session.info["unit"] = "done"
        _run_followups(session)


def _run_followups(session: Session) -> None:
    log = logging.getLogger(__name__)
    while actions := session.info.pop("then", []):
        for action in actions:
            try:
                action(session)
                session.commit()
            except Exception:
                session.rollback()
                log.exception("a follow-up transaction failed")


@contextmanager
def unit_of_work() -> Iterator[Session]:
    """One transaction for a CLI command (or a background job) in an app context: commits
    when the block ends normally, rolls back on any exception (a refusal, ``click`` exiting
    with an error), then runs what ``then`` queued. Yields the session."""
    session = get_session()
    if session.in_transaction() and _has_written(session):
        raise RuntimeError("a unit of work cannot start inside a transaction that has written")
    session.info["unit"] = "open"
    try:
        yield session
    except BaseException:
        finish(session, success=False)
        raise
    finish(session, success=True)


def read_connection(session: Session) -> Connection:
    """The session's connection for reads that need no transaction around them (a single
    statement each), at the start of a request's work: on PostgreSQL in autocommit, which spares
    the BEGIN and ROLLBACK round trips; on SQLite as usual (its BEGIN costs no round trip).

    Anything that writes afterwards must start with ``begin_write``, which ends this first.
    """
    if not session.in_transaction() and session.get_bind().dialect.name != "sqlite":
        return session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
    return session.connection()


def _has_written(session: Session) -> bool:
    if session.new or session.dirty or session.deleted:
        return True
    return session.in_transaction() and bool(session.connection().info.get("wrote"))


def begin_write(session: Session) -> None:
    """Start a transaction that holds the write lock from its first statement (SQLite).

    Called before anything is written in the unit of work: a transaction that has only read
    (the voting pages read the slip before they encrypt) is ended first; one that has written
    is never thrown away, the call is a bug and raises.
    """
    if session.in_transaction():
        if session.connection().get_execution_options().get("sqlite_begin") == "IMMEDIATE":
            return  # already the write transaction (a staff POST begins with it)
        if _has_written(session):
            raise RuntimeError("begin_write after a write: it would discard what was written")
        session.rollback()
    session.connection(execution_options=IMMEDIATE)
