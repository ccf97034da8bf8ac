"""`tally score ASSESSMENT.json [--format json|table|csv]`: score one county from a shell."""

from __future__ import annotations

import argparse
import io
import json
import sys
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path

from tally.errors import InputError
from tally.parse import parse_assessment
from tally.report import render_csv, render_json, render_table
from tally.scoring import score_assessment

#: Exit status for bad input or usage, as argparse uses.
BAD_INPUT = 2

RENDERERS = {"json": render_json, "table": render_table, "csv": render_csv}


def _no_duplicate_keys(pairs: list[tuple[str, object]]) -> dict[str, object]:
    """Refuse a JSON object that repeats a key: the second value would silently win."""
    result: dict[str, object] = {}
    for key, value in pairs:
        if key in result:
            raise InputError(key, "appears twice in the same object")
        result[key] = value
    return result


def _reject_constant(name: str) -> object:
    raise InputError("(JSON)", f"{name} is not a number")


def load_assessment_file(path: Path) -> object:
    """Read a JSON file with every number as a Decimal, never a float."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(str(path), "no such file") from None
    except IsADirectoryError:
        raise InputError(str(path), "is a directory, not a file") from None
    except UnicodeDecodeError:
        raise InputError(str(path), "is not UTF-8 text") from None
    except OSError as error:
        raise InputError(str(path), f"cannot be read: {error.strerror}") from None
    try:
        return json.loads(
            text,
            parse_float=Decimal,
            parse_constant=_reject_constant,
            object_pairs_hook=_no_duplicate_keys,
        )
    except json.JSONDecodeError as error:
        raise InputError(
            str(path), f"is not valid JSON: {error.msg} at line {error.lineno} column {error.colno}"
        ) from None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tally", description="Score county cadre assessments by the Longnan method."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    score = commands.add_parser("score", help="score one county's assessment file")
    score.add_argument("assessment", type=Path, help="the assessment JSON file")
    score.add_argument("--format", choices=sorted(RENDERERS), default="json")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; return 0 on success, 2 on bad input (one line on stderr, no traceback)."""
    args = _parser().parse_args(argv)
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(encoding="utf-8")
    try:
        assessment = parse_assessment(load_assessment_file(args.assessment))
        result = score_assessment(assessment)
    except InputError as error:
        print(f"tally: {error}", file=sys.stderr)
        return BAD_INPUT
    sys.stdout.write(RENDERERS[args.format](result))
    return 0
