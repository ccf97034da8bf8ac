"""The meeting benchmark still plays every scenario and checks what it stored (tiny sizes, no
timing verdicts asserted: figures belong to the benchmark's own output, docs/benchmark.md)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.support.server import ROOT

pytestmark = pytest.mark.server


def test_benchmark_plays_every_scenario_on_sqlite_and_its_storage_checks_pass():
    command = [
        sys.executable, "-m", "bench.meeting", "--scenario", "all", "--db", "sqlite",
        "--phones", "24", "--concurrency", "6", "--rounds", "2", "--workers", "2",
        "--threads", "2", "--room-phones", "6", "--room-rounds", "1", "--arrival", "0.3",
        "--reading", "0,0.2", "--reviewing", "0,0.1", "--burst-phones", "30",
        "--close-ballots", "300", "--close-members", "5",
    ]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    for scenario in ("steady", "room", "burst", "close"):
        assert f"== {scenario} · sqlite" in out
    checks = [line for line in out.splitlines() if line.strip().startswith("check")]
    assert len(checks) == 6, out  # steady 2, room 2, burst 1, close 1
    assert all(line.endswith(": ok") for line in checks), out
    assert "ratio" in out and "p99" in out and "FAILED" not in out


@pytest.mark.parametrize(("option", "value", "message"), [
    ("--reading", "10,3", "expected 0 <= MIN <= MAX <= 600 seconds"),
    ("--reviewing", "1,inf", "expected 0 <= MIN <= MAX <= 600 seconds"),
    ("--reading", "nan,nan", "expected 0 <= MIN <= MAX <= 600 seconds"),
    ("--arrival", "inf", "expected 0 to 600 seconds"),
    ("--arrival", "soon", "expected seconds"),
])
def test_benchmark_refuses_unbounded_pauses_with_a_clear_message(option, value, message):
    done = subprocess.run([sys.executable, "-m", "bench.meeting", option, value],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert message in done.stderr
    assert "Traceback" not in done.stderr
