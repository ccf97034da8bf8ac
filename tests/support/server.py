"""Start the product as an operator would (gunicorn with deploy/gunicorn.conf.py) on a loopback
port, for tests that need real concurrent HTTP requests, a real access log or a real browser.
The launcher itself is the benchmark's (bench/server.py); tests pin a small worker count.

The launcher returns once gunicorn's master listens, but the master listens before its workers
have imported the app: on a loaded machine (pytest -n auto on two cores) that takes more than
ten seconds, and the test's first request, with its own timeout, was the one that waited for it
(and timed out). So the block starts only once a worker of *this* gunicorn answers.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from pathlib import Path

import requests

from bench.server import PRODUCT, ROOT, Server, running

__all__ = ["ROOT", "Server", "running_server"]

#: How long gunicorn may take to boot a worker. Far above what it takes (2 s idle, 10-15 s on two
#: loaded cores); only a server that never comes up waits this long, and that fails.
BOOT_SECONDS = 180


def _alive(pid: int) -> bool:
    """The process exists and is not a zombie (gunicorn exits when a worker cannot boot)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def _log(server: Server) -> str:
    return server.error_log.read_text() if server.error_log.exists() else "(no error log)"


def wait_until_answering(server: Server) -> None:
    """Return once a worker of this server has answered a page; fail with gunicorn's log if it
    exits or never answers.

    The port was free when bench/server.py picked it, but another process may have bound it
    before gunicorn did; checking that this master logged listening on it keeps the test from
    talking to someone else's server.
    """
    deadline = time.monotonic() + BOOT_SECONDS
    listening = f"Listening at: {server.url} ({server.pid})"
    while True:
        if not _alive(server.pid):
            raise RuntimeError(f"gunicorn exited before answering:\n{_log(server)}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"no worker answered within {BOOT_SECONDS} s:\n{_log(server)}")
        if listening in _log(server):
            # Each try on a fresh connection; one queued behind a booting worker is dropped
            # after a few seconds and tried again, while the process is checked in between.
            with contextlib.suppress(requests.ConnectionError, requests.Timeout):
                answer = requests.get(f"{server.url}/s", timeout=5)
                if answer.status_code != 200:
                    raise RuntimeError(f"GET /s answered {answer.status_code}:\n{_log(server)}")
                return
        time.sleep(0.1)


@contextlib.contextmanager
def running_server(database_url: str, workdir: Path, *, credential_key: str,
                   workers: int = 2, threads: int = 4, app: str = PRODUCT) -> Iterator[Server]:
    """Run gunicorn until the block ends, entered once a worker answers; the database must
    already be migrated."""
    with running(app, database_url, workdir, credential_key=credential_key, workers=workers,
                 threads=threads) as server:
        wait_until_answering(server)
        yield server
