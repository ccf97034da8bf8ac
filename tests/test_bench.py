"""The meeting benchmark still plays every scenario and checks what it stored (tiny sizes, no
timing verdicts asserted: figures belong to the benchmark's own output, docs/benchmark.md)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.support import postgres
from tests.support.server import ROOT

pytestmark = pytest.mark.server

TINY = [
    "--phones", "24", "--concurrency", "6", "--rounds", "2", "--workers", "2",
    "--threads", "2", "--room-phones", "6", "--room-rounds", "1", "--arrival", "0.3",
    "--reading", "0,0.2", "--reviewing", "0,0.1", "--burst-phones", "30",
    "--close-ballots", "300", "--close-members", "5", "--encrypt-members", "2,3",
    "--encryptions", "10", "--sync-commits", "20",
]


def bench(*options: str, env: dict[str, str] | None = None) -> str:
    command = [sys.executable, "-m", "bench.meeting", *options, *TINY]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=400,
                          env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "FAILED" not in done.stdout and "Traceback" not in done.stderr
    return done.stdout


def checks(out: str) -> list[str]:
    return [line for line in out.splitlines() if line.strip().startswith("check")]


def test_benchmark_plays_every_scenario_on_sqlite_and_its_storage_checks_pass():
    out = bench("--scenario", "all", "--db", "sqlite")
    for scenario in ("encrypt", "steady", "room", "burst", "close", "sync"):
        assert f"== {scenario} · " in out, out
    # steady 3 and room 3 (product, plain and encrypting baseline), burst 1, close 2 (the
    # tally, then the box's recount); each ballot set added up and compared with what was sent.
    found = checks(out)
    assert len(found) == 9, out
    assert all(line.endswith(": ok") for line in found), out
    assert sum("tally after close" in line for line in found) == 5, out
    assert sum("clear slots summed" in line for line in found) == 2, out
    # Every product vote followed its confirm to the thanks page and read its tracker there.
    assert sum("trackers shown = stored: yes" in line for line in found) == 3, out
    assert "GET /thanks" in out, out
    assert "ratio" in out and "encryption adds" in out and "p99" in out
    assert "  2 members" in out and "  3 members" in out, out  # the encryption timings
    assert "`tally verify-box FILE` as a subprocess" in out and "exit 0" in out, out
    assert "FULL" in out and "NORMAL" in out, out
    assert out.count("load ") >= 8, out  # at the start, at each scenario and at the end


def test_benchmark_closes_and_verifies_a_box_on_postgres():
    postgres.require()
    out = bench("--scenario", "close", "--db", "postgres",
                env={**os.environ, "BENCH_POSTGRES_URL": postgres.ADMIN_URL})
    assert "== close · postgres" in out, out
    found = checks(out)
    assert len(found) == 2 and all(line.endswith(": ok") for line in found), out


@pytest.mark.parametrize(("option", "value", "message"), [
    ("--reading", "10,3", "expected 0 <= MIN <= MAX <= 600 seconds"),
    ("--reviewing", "1,inf", "expected 0 <= MIN <= MAX <= 600 seconds"),
    ("--reading", "nan,nan", "expected 0 <= MIN <= MAX <= 600 seconds"),
    ("--arrival", "inf", "expected 0 to 600 seconds"),
    ("--arrival", "soon", "expected seconds"),
    ("--encrypt-members", "8,0", "expected 1 to 1000 members each"),
    ("--encrypt-members", "eight", "expected sizes such as 8,15,30"),
    ("--sync-commits", "0", "expected at least 1"),
])
def test_benchmark_refuses_unbounded_or_empty_runs_with_a_clear_message(option, value, message):
    done = subprocess.run([sys.executable, "-m", "bench.meeting", option, value],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert message in done.stderr
    assert "Traceback" not in done.stderr
