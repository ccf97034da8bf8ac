"""Start the product as an operator would (gunicorn with deploy/gunicorn.conf.py) on a loopback
port, for tests that need real concurrent HTTP requests, a real access log or a real browser.
The launcher itself is the benchmark's (bench/server.py); tests pin a small worker count."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from bench.server import PRODUCT, ROOT, Server, running

__all__ = ["ROOT", "Server", "running_server"]


@contextlib.contextmanager
def running_server(database_url: str, workdir: Path, *, credential_key: str,
                   workers: int = 2, threads: int = 4, app: str = PRODUCT) -> Iterator[Server]:
    """Run gunicorn until the block ends; the database must already be migrated."""
    with running(app, database_url, workdir, credential_key=credential_key, workers=workers,
                 threads=threads) as server:
        yield server
