"""A throwaway PostgreSQL database per test, when a server is reachable.

Tests that need one skip with a reason when none answers, and fail instead when
``REQUIRE_POSTGRES=1`` (as ``.ci/run`` sets), so CI cannot go green without them.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterator

import psycopg
import pytest

ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
_available: bool | None = None


def available() -> bool:
    global _available
    if _available is None:
        try:
            with psycopg.connect(ADMIN_URL, connect_timeout=3):
                _available = True
        except psycopg.OperationalError:
            _available = False
    return _available


def require() -> None:
    """Skip (or fail, under REQUIRE_POSTGRES=1) when no PostgreSQL server answers."""
    if available():
        return
    reason = f"no PostgreSQL server at {ADMIN_URL}"
    if os.environ.get("REQUIRE_POSTGRES") == "1":
        pytest.fail(f"REQUIRE_POSTGRES=1 but {reason}")
    pytest.skip(reason)


def _sqlalchemy_url(dbname: str) -> str:
    base = ADMIN_URL.rsplit("/", 1)[0]
    return base.replace("postgresql://", "postgresql+psycopg://", 1) + "/" + dbname


@contextlib.contextmanager
def temporary_database(template: str | None = None) -> Iterator[str]:
    """Create a fresh database (optionally copied from ``template``), yield its URL, drop it."""
    require()
    name = f"ballot_test_{secrets.token_hex(6)}"
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        suffix = f" TEMPLATE {template}" if template else ""
        conn.execute(f'CREATE DATABASE "{name}"{suffix}')
    try:
        yield _sqlalchemy_url(name)
    finally:
        with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
