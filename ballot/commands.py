"""What every ``ballot`` command shares, wherever it is defined (``ballot/cli.py``, a feature's
``cli.py`` such as ``ballot audit``): one unit of work per command, in the operator's language,
and the one-line refusal that exits 2 (STYLE habit 12).

A core module, so a feature's commands use it without importing ``ballot.cli``, which gathers
them (``ballot.cli.register``).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from typing import Any

import click
from flask_babel import force_locale

from ballot.db import unit_of_work
from ballot.errors import Refusal


class InputProblem(click.ClickException):
    exit_code = 2


def operator_language() -> str:
    """The CLI's language: Chinese when ``BALLOT_LANG`` (or else ``LANG``) starts with ``zh``,
    English otherwise (what a server's shell usually has)."""
    wanted = os.environ.get("BALLOT_LANG") or os.environ.get("LANG") or ""
    return "zh" if wanted.lower().startswith("zh") else "en"


def command_unit(command: Callable[..., None]) -> Callable[..., None]:
    """Run a command in one unit of work (``ballot.db.unit_of_work``) and in the operator's
    language; a service's refusal becomes the command's one line and exit 2, nothing written.
    Goes under ``with_appcontext`` (or on an ``AppGroup`` command)."""

    @functools.wraps(command)
    def run(*args: Any, **kwargs: Any) -> None:
        with force_locale(operator_language()):
            try:
                with unit_of_work():
                    command(*args, **kwargs)
            except Refusal as refusal:
                raise InputProblem("\n  ".join(refusal.lines())) from None

    return run
