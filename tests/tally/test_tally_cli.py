"""`tally score` through a subprocess: the three formats, and one clear line for every bad input."""

from __future__ import annotations

import copy
import csv
import io
import json
import subprocess
import sys
import unicodedata
from decimal import Decimal
from pathlib import Path

import pytest

from tally.cli import main

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "wudu-2026.json"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tally", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=False,
    )


def example() -> dict[str, object]:
    loaded: dict[str, object] = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    return loaded


def test_json_format_is_the_default() -> None:
    done = run("score", str(EXAMPLE))
    assert done.returncode == 0, done.stderr
    output = json.loads(done.stdout)
    assert output["county"] == "武都区"
    assert output["quota"]["available"] == 2
    first = output["members"][0]
    assert (first["id"], first["composite"], first["rank"], first["grade"]) == (
        "m01",
        "91.74",
        1,
        "excellent",
    )


def test_csv_format_has_the_json_columns() -> None:
    done = run("score", str(EXAMPLE), "--format", "csv")
    assert done.returncode == 0, done.stderr
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    assert not done.stdout.startswith("\ufeff")
    assert list(rows[0]) == [
        "id", "name", "position", "P", "T", "L", "H", "D", "I", "composite", "rank", "band",
        "grade", "flags",
    ]  # fmt: skip
    by_id = {row["id"]: row for row in rows}
    assert by_id["m06"]["flags"] == "veto;admonition"
    assert by_id["m07"]["composite"] == ""
    assert by_id["m03"]["grade"] == ""


def width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def test_table_format_is_aligned_for_chinese() -> None:
    done = run("score", str(EXAMPLE), "--format", "table")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    header = next(line for line in lines if line.startswith("姓名"))
    for heading in ("职务", "实绩×45%", "个别谈话×5%", "综合得分", "排名", "等次", "备注"):
        assert heading in header
    body = [line for line in lines if line.startswith(("张明远", "周立新", "杨海燕"))]
    assert len(body) == 3
    # the rank column ends at the same display column in every row
    end = width(header[: header.index("排名") + 2])
    for line in body:
        rank_cell = line[: next(i for i in range(len(line)) if width(line[: i + 1]) == end) + 1]
        assert width(rank_cell) == end
        assert rank_cell.rstrip()[-1] in "1234567—"
    assert "优秀" in done.stdout and "待定" in done.stdout
    assert "社会治安综合治理" in done.stdout


def test_main_is_the_console_script_entry(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["score", str(EXAMPLE), "--format", "csv"]) == 0
    assert capsys.readouterr().out.startswith("id,name,position,P,")


def test_strings_and_numbers_give_the_same_output(tmp_path: Path) -> None:
    data = example()
    data["county_scores"] = {"P": 91.5, "T": "88", "L": [90, "86.5"]}
    path = tmp_path / "numbers.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    assert run("score", str(path)).stdout == run("score", str(EXAMPLE)).stdout


def set_path(data: object, path: tuple[object, ...], value: object) -> None:
    for key in path[:-1]:
        data = data[key]  # type: ignore[index]
    if value is DELETE:
        del data[path[-1]]  # type: ignore[attr-defined]
    else:
        data[path[-1]] = value  # type: ignore[index]


DELETE = object()

BAD_INPUTS = [
    (("county",), DELETE, "county: is required"),
    (("members", 0, "name"), DELETE, "members[0].name: is required"),
    (("county_scores", "P"), 101, "county_scores.P: must be between 0 and 100, got 101"),
    (
        ("county_scores", "L", 1),
        "-0.5",
        'county_scores.L[1]: must be between 0 and 100, got "-0.5"',
    ),
    (("members", 2, "H", 0), "abc", 'members[2].H[0]: must be a number, got "abc"'),
    (
        ("members", 3, "D", "excellent"),
        -1,
        "members[3].D.excellent: must be a whole number >= 0, got -1",
    ),
    (
        ("members", 3, "I", "competent"),
        1.5,
        "members[3].I.competent: must be a whole number >= 0, got 1.5",
    ),
    (
        ("members", 0, "D", "excellent"),
        40.0,
        "members[0].D.excellent: must be a whole number >= 0, got 40.0",
    ),
    (("members", 0, "D", "incompetent"), DELETE, "members[0].D.incompetent: is required"),
    (("rules", "weights"), {"P": "0.50"}, "rules.weights: must add up to 1, got 1.05"),
    (("quota_ratio",), "0.25", 'quota_ratio: must be between 0 and 0.20, got "0.25"'),
    (("rules", "raised_ratio"), 0.3, "rules.raised_ratio: must be between 0 and 0.20, got 0.3"),
    (
        ("members", 5, "veto", "area"),
        "traffic",
        "members[5].veto.area: must be one of work_safety, environmental_protection, "
        "energy_saving_emission_reduction, population_family_planning, land_resources, "
        "product_quality, public_security, party_conduct_integrity, "
        'social_conflicts_petitions, got "traffic"',
    ),
    (("members", 1, "id"), "m01", 'members[1].id: duplicate id "m01" (also members[0])'),
    (("ranking", "current"), 10, "ranking.current: must be a whole number from 1 to 9, got 10"),
    (
        ("members", 0, "previous_grade"),
        "good",
        "members[0].previous_grade: must be one of excellent, competent, basically_competent, "
        'incompetent, got "good"',
    ),
    (
        ("other_cadres", "count"),
        "many",
        'other_cadres.count: must be a whole number >= 0, got "many"',
    ),
    (("members", 0, "Dee"), 1, "members[0].Dee: unknown field"),
    (
        ("county_scores", "T"),
        "1E-999999999",
        'county_scores.T: must have at most 12 decimal places, got "1E-999999999"',
    ),
    (("members",), {}, "members: must be a list of members, got an object"),
]


@pytest.mark.parametrize(("path", "value", "message"), BAD_INPUTS)
def test_bad_input_exits_2_with_one_clear_line(
    tmp_path: Path, path: tuple[object, ...], value: object, message: str
) -> None:
    data = copy.deepcopy(example())
    set_path(data, path, value)
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    done = run("score", str(bad))
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr == f"tally: {message}\n"


def test_malformed_json(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"county": "武都区",\n "year": }', encoding="utf-8")
    done = run("score", str(bad))
    assert done.returncode == 2
    assert done.stderr == f"tally: {bad}: is not valid JSON: Expecting value at line 2 column 10\n"


def test_duplicate_json_key(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"county": "a", "county": "b"}', encoding="utf-8")
    done = run("score", str(bad))
    assert done.returncode == 2
    assert done.stderr == "tally: county: appears twice in the same object\n"


def test_nan_is_not_a_number(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"county": NaN}', encoding="utf-8")
    done = run("score", str(bad))
    assert (done.returncode, done.stderr) == (2, "tally: (JSON): NaN is not a number\n")


def test_missing_file(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.json"
    done = run("score", str(missing))
    assert done.returncode == 2
    assert done.stderr == f"tally: {missing}: no such file\n"


def test_not_an_object(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("[1, 2]", encoding="utf-8")
    done = run("score", str(bad))
    assert (done.returncode, done.stderr) == (
        2,
        "tally: (top level): must be an object, got a list\n",
    )


def test_unknown_format_is_a_usage_error() -> None:
    done = run("score", str(EXAMPLE), "--format", "xml")
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert "invalid choice: 'xml'" in done.stderr


def test_decimal_counts_as_strings_are_fine(tmp_path: Path) -> None:
    data = example()
    members = data["members"]
    assert isinstance(members, list)
    members[0]["D"]["excellent"] = "45"
    path = tmp_path / "strings.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    done = run("score", str(path))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout, parse_float=Decimal)["members"][0]["D"] == "97.40"


def test_docs_show_the_real_table() -> None:
    docs = (ROOT / "docs" / "tally.md").read_text(encoding="utf-8")
    start = docs.index("$ tally score examples/wudu-2026.json --format table\n")
    shown = docs[start:].split("\n", 1)[1].split("```", 1)[0]
    assert shown == run("score", "examples/wudu-2026.json", "--format", "table").stdout
