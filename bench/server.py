"""Start an app under gunicorn with deploy/gunicorn.conf.py, as an operator would.

Used by the benchmark and by the tests (tests/support/server.py). Workers and threads keep the
deploy defaults unless given, and this work tree's code is imported (PYTHONPATH), not an
installed copy.
"""

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

ROOT = Path(__file__).resolve().parent.parent
PRODUCT = "ballot:create_app()"
BASELINE = "bench.baseline_app:create_app()"


@dataclass(frozen=True)
class Server:
    url: str
    pid: int
    access_log: Path
    error_log: Path

    def problems(self) -> list[str]:
        """Lines of gunicorn's error log that tell of a killed worker or a failed request."""
        if not self.error_log.exists():
            return []
        signs = ("WORKER TIMEOUT", "Error", "Traceback", "exception", "Killed", "SIGKILL")
        return [line for line in self.error_log.read_text().splitlines()
                if any(sign in line for sign in signs)]

    def cpu_seconds(self) -> float:
        """CPU time (user + system) the server has used so far: the gunicorn master, its live
        workers and the workers it has reaped. The difference across a run is that run's server
        cost, which a shared machine's load moves far less than it moves wall time."""
        return process_tree_cpu_seconds(self.pid)


#: The wrapping key of the box key store for servers started here and the apps that seed them.
BOX_KEY = "bench-box-key"


def box_key_settings(workdir: Path) -> dict[str, str]:
    """App settings that share the key store of a server started with ``running(workdir=...)``."""
    return {"BOX_KEY": BOX_KEY, "BOX_KEY_DIR": str(workdir / "box-keys")}


def _stat_fields(pid: int) -> list[str] | None:
    """Fields 3.. of /proc/<pid>/stat (after the command name), or None if it has gone."""
    try:
        data = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return data[data.rindex(")") + 2 :].split()


def process_tree_cpu_seconds(pid: int) -> float:
    """CPU seconds of a process (its reaped children included) plus its live children's (Linux)."""
    ticks = os.sysconf("SC_CLK_TCK")
    own = _stat_fields(pid)
    if own is None:
        return 0.0
    # proc(5): utime, stime, cutime, cstime are fields 14-17; ppid is field 4.
    total = sum(int(v) for v in own[11:15])
    for entry in os.listdir("/proc"):
        if entry.isdigit() and int(entry) != pid:
            fields = _stat_fields(int(entry))
            if fields is not None and int(fields[1]) == pid:
                total += int(fields[11]) + int(fields[12])
    return total / ticks


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def running(app: str, database_url: str, workdir: Path, *, credential_key: str,
            workers: int | None = None, threads: int | None = None) -> Iterator[Server]:
    """Run gunicorn on a loopback port until the block ends; the database must be migrated."""
    for _attempt in range(5):
        port = _free_port()
        started = _start(app, port, database_url, workdir, credential_key, workers, threads)
        if started is not None:
            break
    else:
        raise RuntimeError("gunicorn could not bind a free port in 5 attempts")
    process, url, access_log, error_log = started
    try:
        yield Server(url, process.pid, access_log, error_log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _start(app: str, port: int, database_url: str, workdir: Path, credential_key: str,
           workers: int | None, threads: int | None
           ) -> tuple[subprocess.Popen[bytes], str, Path, Path] | None:
    """Start gunicorn on ``port``; None when it could not bind it (another process took the
    port between ``_free_port`` and gunicorn's bind: pick another)."""
    url = f"http://127.0.0.1:{port}"
    name = f"{app.split(':')[0].rsplit('.', 1)[-1]}-{port}"
    access_log, error_log = workdir / f"{name}-access.log", workdir / f"{name}-error.log"
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep),
        "DATABASE_URL": database_url,
        "BALLOT_SECRET_KEY": "bench-secret",
        "BALLOT_CREDENTIAL_KEY": credential_key,
        # The ballot box's key store: whoever opened the evaluation (a test, the benchmark's
        # seeding) used the same directory and wrapping key (box_key_settings).
        "BALLOT_BOX_KEY": BOX_KEY,
        "BALLOT_BOX_KEY_DIR": str(workdir / "box-keys"),
        "BALLOT_BASE_URL": url,
        "BALLOT_BIND": f"127.0.0.1:{port}",
        # An operator keeps the access log on; it costs the product and the baseline alike.
        "BALLOT_ACCESS_LOG": str(access_log),
        "BALLOT_ERROR_LOG": str(error_log),
    }
    if workers is not None:
        env["BALLOT_WORKERS"] = str(workers)
    if threads is not None:
        env["BALLOT_THREADS"] = str(threads)
    gunicorn = Path(sys.executable).with_name("gunicorn")
    process = subprocess.Popen(
        [str(gunicorn), "-c", str(ROOT / "deploy" / "gunicorn.conf.py"), app],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while True:
        if process.poll() is not None:
            log = error_log.read_text() if error_log.exists() else ""
            if "Connection in use" in log or "Address already in use" in log:
                return None
            raise RuntimeError(f"gunicorn exited:\n{log}")
        log = error_log.read_text() if error_log.exists() else ""
        if f"Listening at: {url} ({process.pid})" in log:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
                return process, url, access_log, error_log
        if time.monotonic() > deadline:
            process.kill()
            process.wait()
            raise RuntimeError("gunicorn did not start in 30 s")
        time.sleep(0.1)
