"""The README's test command enforces the tooling (issue 9): ``scripts/test`` runs ruff and
mypy before pytest and fails the run when either fails; pyproject.toml makes mypy strict over
ballot/ and tally/ and pytest's warnings errors.

``scripts/test`` is run in a copy of the project whose ``.venv/bin`` tools only log their
arguments and exit with the code a test asks for, so nothing is installed or checked for real.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TOOLS = ("python", "ruff", "mypy")


def _browser_tools_present() -> bool:
    """scripts/test installs Chromium and a Chinese font when they are missing: only run it
    where they are there, so the copy never calls apt-get."""
    if not os.access("/usr/bin/chromium", os.X_OK) or shutil.which("fc-list") is None:
        return False
    fonts = subprocess.run(["fc-list", ":lang=zh"], capture_output=True, text=True, check=False)
    return bool(fonts.stdout.strip())


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """scripts/, pyproject.toml and a .venv of logging stand-ins, installed as far as
    scripts/_venv.sh can tell (its stamp for this pyproject.toml is there)."""
    if not _browser_tools_present():
        pytest.skip("Chromium or a Chinese font is missing: scripts/test would install them")
    shutil.copytree(ROOT / "scripts", tmp_path / "scripts")
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    bin_dir = tmp_path / ".venv" / "bin"
    bin_dir.mkdir(parents=True)
    for tool in TOOLS:
        fake = bin_dir / tool
        fake.write_text(
            "#!/bin/sh\n"
            f'echo "{tool} $*" >> "$TOOL_LOG"\n'
            f'exit "${{FAKE_EXIT_{tool.upper()}:-0}}"\n'
        )
        fake.chmod(0o755)
    digest = hashlib.sha256((tmp_path / "pyproject.toml").read_bytes()).hexdigest()[:16]
    (tmp_path / ".venv" / f".installed-dev-{digest}").touch()
    return tmp_path


def _run(project: Path, **env: str) -> tuple[int, list[str]]:
    log = project / "tools.log"
    environment = {"PATH": os.environ["PATH"], "HOME": str(project), "PYTHON": sys.executable,
                   "TOOL_LOG": str(log), **env}
    done = subprocess.run(["bash", str(project / "scripts" / "test"), "-k", "voting"],
                          env=environment, capture_output=True, text=True, timeout=60,
                          check=False)
    calls = log.read_text().splitlines() if log.exists() else []
    return done.returncode, calls


def test_ruff_and_mypy_run_before_the_suite(project: Path) -> None:
    code, calls = _run(project)
    assert code == 0
    assert calls == ["ruff check .", "mypy ", "python -m pytest -n auto -k voting"]


def test_a_lint_error_fails_the_run_before_the_suite(project: Path) -> None:
    code, calls = _run(project, FAKE_EXIT_RUFF="1")
    assert code != 0
    assert calls == ["ruff check ."]


def test_a_type_error_fails_the_run_before_the_suite(project: Path) -> None:
    code, calls = _run(project, FAKE_EXIT_MYPY="1")
    assert code != 0
    assert calls == ["ruff check .", "mypy "]


def test_a_failing_suite_fails_the_run(project: Path) -> None:
    code, _calls = _run(project, FAKE_EXIT_PYTHON="1")
    assert code == 1


def test_mypy_is_strict_over_both_packages_and_warnings_are_errors() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    mypy = config["tool"]["mypy"]
    assert mypy["strict"] is True
    assert sorted(mypy["files"]) == ["ballot", "tally"]
    # Only third-party modules get relaxed settings, never the project's own.
    for override in mypy.get("overrides", []):
        modules = override["module"]
        for module in [modules] if isinstance(modules, str) else modules:
            assert not module.startswith(("ballot", "tally")), module
    assert config["tool"]["pytest"]["ini_options"]["filterwarnings"] == ["error"]
