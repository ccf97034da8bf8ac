"""Start the product as an operator would (gunicorn with deploy/gunicorn.conf.py) on a loopback
port, for tests that need real concurrent HTTP requests, a real access log or a real browser."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class Server:
    url: str
    access_log: Path
    error_log: Path


@contextlib.contextmanager
def running_server(database_url: str, workdir: Path, *, credential_key: str,
                   workers: int = 2, threads: int = 4,
                   app: str = "ballot:create_app()") -> Iterator[Server]:
    """Run gunicorn until the block ends; the database must already be migrated."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    access_log, error_log = workdir / "access.log", workdir / "error.log"
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "BALLOT_SECRET_KEY": "server-test-secret",
        "BALLOT_CREDENTIAL_KEY": credential_key,
        "BALLOT_BASE_URL": url,
        "BALLOT_BIND": f"127.0.0.1:{port}",
        "BALLOT_WORKERS": str(workers),
        "BALLOT_THREADS": str(threads),
        "BALLOT_ACCESS_LOG": str(access_log),
        "BALLOT_ERROR_LOG": str(error_log),
    }
    gunicorn = Path(sys.executable).with_name("gunicorn")
    process = subprocess.Popen(
        [str(gunicorn), "-c", str(ROOT / "deploy" / "gunicorn.conf.py"), app],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"gunicorn exited: {error_log.read_text() if error_log.exists() else ''}")
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
                break
            if time.monotonic() > deadline:
                raise RuntimeError("gunicorn did not start in 30 s")
            time.sleep(0.1)
        yield Server(url, access_log, error_log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
