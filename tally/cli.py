"""`tally score ASSESSMENT.json [--format json|table|csv]`: score one county from a shell.

`tally verify-box BOX.json [--json]`: recount a published ballot box (docs/box-format.md).
"""

from __future__ import annotations

import argparse
import io
import json
import sys
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path

from tally.box import BoxError, BoxFileError, Verified, verify_box
from tally.errors import InputError
from tally.parse import parse_assessment
from tally.report import display_width, render_csv, render_json, render_table
from tally.scoring import score_assessment

#: Exit status for bad input or usage, as argparse uses.
BAD_INPUT = 2
#: Exit status of `verify-box` for a box that does not verify.
DOES_NOT_VERIFY = 1

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


def read_file(path: Path) -> bytes:
    """The file's bytes, or an InputError naming the file and why it cannot be read."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise InputError(str(path), "no such file") from None
    except IsADirectoryError:
        raise InputError(str(path), "is a directory, not a file") from None
    except OSError as error:
        raise InputError(str(path), f"cannot be read: {error.strerror}") from None


def load_assessment_file(path: Path) -> object:
    """Read a JSON file with every number as a Decimal, never a float."""
    try:
        text = read_file(path).decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(str(path), "is not UTF-8 text") from None
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
    verify = commands.add_parser(
        "verify-box", help="recount a published ballot box and check every proof",
        description="Recount a published ballot box (docs/box-format.md): exit 0 if it "
        "verifies, 1 if it does not, 2 if the file cannot be read as JSON.")
    verify.add_argument("box", type=Path, help="the box file, as published")
    verify.add_argument("--json", action="store_true", help="print the recount as JSON")
    return parser


#: `kind` in a box header, as the voting pages name it.
KIND_ZH = {"democratic": "民主测评", "interview": "个别谈话"}
_COUNT_HEADINGS = ("优秀", "称职", "基本称职", "不称职", "弃权", "得分")


def recount_to_json(verified: Verified) -> dict[str, object]:
    """The recount for machines: scores as strings (exact to the digit), null where none."""
    return {
        "verified": True,
        "digest": verified.digest,
        "county": verified.county,
        "year": verified.year,
        "kind": verified.kind,
        "valid_ballots": verified.valid_ballots,
        "invalid_ballots": verified.invalid_ballots,
        "members": [
            {"name": m.name, "excellent": m.counts[0], "competent": m.counts[1],
             "basically_competent": m.counts[2], "incompetent": m.counts[3],
             "abstained": m.abstained, "score": None if m.score is None else str(m.score)}
            for m in verified.members
        ],
    }


def render_recount(verified: Verified) -> str:
    """The recount for people: the digest to compare with the published one, then the tally."""
    kind = KIND_ZH.get(verified.kind)
    lines = [
        "票箱验证通过 (the box verifies)",
        f"SHA-256   {verified.digest}",
        f"县(区)    {verified.county}",
        f"年度      {verified.year}",
        f"类别      {verified.kind if kind is None else f'{kind} ({verified.kind})'}",
        f"有效票    {verified.valid_ballots}",
        f"无效票    {verified.invalid_ballots}",
        "",
    ]
    rows = [["姓名", *_COUNT_HEADINGS]]
    for m in verified.members:
        rows.append([m.name, *(str(c) for c in m.counts), str(m.abstained),
                     "—" if m.score is None else str(m.score)])
    widths = [max(display_width(row[col]) for row in rows) for col in range(len(rows[0]))]
    for row in rows:
        cells = [cell + " " * (widths[0] - display_width(cell)) if col == 0
                 else " " * (widths[col] - display_width(cell)) + cell
                 for col, cell in enumerate(row)]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines) + "\n"


def _verify_box(path: Path, as_json: bool) -> int:
    try:
        verified = verify_box(read_file(path))
    except InputError as error:
        print(f"tally: {error}", file=sys.stderr)
        return BAD_INPUT
    except BoxFileError as error:
        print(f"tally: {path}: {error.detail}", file=sys.stderr)
        return BAD_INPUT
    except BoxError as error:
        print(f"tally: the box does not verify: {error}", file=sys.stderr)
        return DOES_NOT_VERIFY
    except MemoryError:
        print(f"tally: {path}: too large to verify in this machine's memory", file=sys.stderr)
        return BAD_INPUT
    if as_json:
        sys.stdout.write(json.dumps(recount_to_json(verified), ensure_ascii=False, indent=2)
                         + "\n")
    else:
        sys.stdout.write(render_recount(verified))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; return 0 on success, 2 on bad input (one line on stderr, no traceback),
    1 for a box that does not verify."""
    args = _parser().parse_args(argv)
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(encoding="utf-8")
    if args.command == "verify-box":
        return _verify_box(args.box, args.json)
    try:
        assessment = parse_assessment(load_assessment_file(args.assessment))
        result = score_assessment(assessment)
    except InputError as error:
        print(f"tally: {error}", file=sys.stderr)
        return BAD_INPUT
    sys.stdout.write(RENDERERS[args.format](result))
    return 0
