"""P and T per county (A8.1, A8.2): the typed table, the import, and the A13 ranking."""

from __future__ import annotations

import csv
import io
import re

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from ballot.accounts.models import Role
from ballot.assessments.models import Assessment, County
from ballot.db import get_session
from ballot.scores.county_services import county_lines
from ballot.scores.models import CountyScore
from tests.assessments.conftest import (
    audit_count,
    audit_entries,
    csv_bytes,
    post,
    signed_in,
    upload,
    xlsx,
)

HEAD = ["县区", "实绩考核得分", "目标管理得分"]


def _scores(app, year=2026):  # type: ignore[no-untyped-def]
    with app.app_context():
        rows = get_session().execute(
            select(County.name, CountyScore.performance, CountyScore.target)
            .join(CountyScore.county).where(CountyScore.year == year))
        return {name: (p, t) for name, p, t in rows}


def _table(counties, year, values):  # type: ignore[no-untyped-def]
    """The typed table's form: {county: (P, T)}."""
    form = {"year": str(year)}
    for name, (p, t) in values.items():
        form[f"p-{counties[name]}"], form[f"t-{counties[name]}"] = p, t
    return form


def test_the_typed_table_saves_every_county_and_audits_each(app, team, counties):
    form = _table(counties, 2026, {"武都区": ("91.5", "88"), "成县": ("85.25", ""),
                                   "文县": ("", "")})
    response = post(team, "/county-scores/save", **form)
    assert response.status_code == 303
    assert response.headers["Location"] == "/county-scores?year=2026"
    assert _scores(app) == {"武都区": ("91.5", "88"), "成县": ("85.25", None)}
    page = team.get(response.headers["Location"]).get_data(as_text=True)
    assert "已保存：2 个县区的分数有变化" in page and 'value="85.25"' in page
    entries = audit_entries(app, "county_score.update")
    assert [e["after"]["county"] for e in entries] == ["成县", "武都区"]
    assert entries[1]["before"] == {"county": "武都区", "year": 2026, "performance": None,
                                    "target": None}
    assert entries[1]["after"] == {"county": "武都区", "year": 2026, "performance": "91.5",
                                   "target": "88"}
    # A blank cell clears that score; the change is audited.
    cleared = post(team, "/county-scores/save", **_table(counties, 2026, {"武都区": ("91.5", "")}))
    assert cleared.status_code == 303
    assert _scores(app)["武都区"] == ("91.5", None)
    assert audit_entries(app, "county_score.update")[-1]["before"]["target"] == "88"


@pytest.mark.parametrize("value,message", [
    ("abc", "武都区「实绩考核得分」：不是数字：“abc”"),
    ("85.123", "武都区「实绩考核得分」：最多两位小数，实际为“85.123”"),
    ("100.5", "武都区「实绩考核得分」：应在 0 到 100 之间，实际为“100.5”"),
    ("-1", "武都区「实绩考核得分」：应在 0 到 100 之间，实际为“-1”"),
    ("NaN", "武都区「实绩考核得分」：不是数字：“NaN”"),
])
def test_a_bad_typed_value_saves_nothing(app, team, counties, value, message):
    assert post(team, "/county-scores/save",
                **_table(counties, 2026, {"成县": ("80", "80")})).status_code == 303
    before, entries = _scores(app), audit_count(app)
    form = _table(counties, 2026, {"成县": ("70", "70"), "武都区": (value, "90")})
    response = post(team, "/county-scores/save", **form)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert message in page
    assert f'value="{value}"' in page  # what was typed stays on the page to correct
    assert _scores(app) == before
    assert audit_count(app) == entries


def test_good_xlsx_import_sets_p_and_t_for_all_counties(app, team, counties):
    rows = [HEAD, ["武都区", 91.5, 88], ["成县", "85.25", 90.0], ["文县", None, 77],
            ["宕昌县", 60, None]]
    response = upload(team, "/county-scores/import", "2026.xlsx", xlsx(rows), year="2026")
    assert response.status_code == 303
    assert _scores(app) == {"武都区": ("91.5", "88"), "成县": ("85.25", "90"),
                            "文县": (None, "77"), "宕昌县": ("60", None)}
    entries = audit_entries(app, "county_score.import")
    assert len(entries) == 4
    assert entries[0]["after"]["file"] == "2026.xlsx"
    assert "已导入：4 个县区的分数有变化" in team.get("/county-scores?year=2026").get_data(as_text=True)


def test_good_csv_import_of_one_column_leaves_the_other_score(app, team, counties):
    assert upload(team, "/county-scores/import", "p.xlsx",
                  xlsx([HEAD, ["武都区", 91, 88], ["成县", 80, 70]]), year="2026").status_code == 303
    # The supervision office's file: T only; a blank cell leaves that county's T as it was.
    data = csv_bytes([["县区", "目标管理得分"], ["武都区", "89.5"], ["成县", ""]], "gb18030")
    response = upload(team, "/county-scores/import", "t.csv", data, year="2026")
    assert response.status_code == 303
    assert _scores(app) == {"武都区": ("91", "89.5"), "成县": ("80", "70")}


def test_a_bad_import_lists_every_bad_row_and_changes_nothing(app, team, counties):
    assert upload(team, "/county-scores/import", "p.xlsx",
                  xlsx([HEAD, ["武都区", 91, 88]]), year="2026").status_code == 303
    before, entries = _scores(app), audit_count(app)
    rows = [HEAD,
            ["成县", 80, 70],               # good, but the file is refused as a whole
            ["西和县", 80, 70],             # unknown county
            ["文县", 101, 70],              # outside 0-100
            ["康县", "80.555", 70],         # three decimals
            ["宕昌县", 80, "良好"],         # not a number
            ["成县", 81, 71],               # duplicate county
            ["", 50, 50]]                   # no county
    response = upload(team, "/county-scores/import", "bad.xlsx", xlsx(rows), year="2026")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    for message in ["第3行「县区」：没有名为“西和县”的县区",
                    "第4行「实绩考核得分」：应在 0 到 100 之间，实际为“101”",
                    "第5行「实绩考核得分」：最多两位小数，实际为“80.555”",
                    "第6行「目标管理得分」：不是数字：“良好”",
                    "第7行「县区」：“成县”与第2行重复",
                    "第8行「县区」：不能为空"]:
        assert message in page
    assert "第2行" not in page.replace("与第2行重复", "")
    assert _scores(app) == before
    assert audit_count(app) == entries


@pytest.mark.parametrize("name,data,message", [
    ("x.csv", csv_bytes([["名称", "实绩考核得分"], ["成县", "80"]]), "第1行：未知的列“名称”"),
    ("x.csv", csv_bytes([["实绩考核得分"], ["80"]]), "第1行：缺少列“县区”"),
    ("x.csv", csv_bytes([["县区"], ["成县"]]), "至少需要以下一列：实绩考核得分、目标管理得分"),
    ("x.xlsx", b"not a zip", "无法读取文件"),
    ("x.txt", b"county,P", "文件类型不支持"),
    ("x.csv", b"", "文件是空的"),
    ("x.xlsx", xlsx([HEAD]), "文件中没有数据行"),
])
def test_unreadable_or_wrongly_shaped_files_are_refused(app, team, counties, name, data, message):
    response = upload(team, "/county-scores/import", name, data, year="2026")
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert _scores(app) == {}


def test_locked_inputs_keep_a_countys_scores(app, team, counties):
    assert post(team, "/county-scores/save",
                **_table(counties, 2026, {"成县": ("80", "70")})).status_code == 303
    with app.app_context():
        db = get_session()
        db.add(Assessment(county_id=counties["成县"], year=2026, inputs_locked=True))
        db.commit()
    page = team.get("/county-scores?year=2026").get_data(as_text=True)
    assert f'name="p-{counties["成县"]}"' not in page  # shown, not editable
    # The locked county's unchanged values pass; a change to it refuses the whole table.
    same = post(team, "/county-scores/save", **_table(counties, 2026, {"武都区": ("90", "90")}))
    assert same.status_code == 303
    changed = upload(team, "/county-scores/import", "x.xlsx",
                     xlsx([HEAD, ["文县", 70, 70], ["成县", 85, 70]]), year="2026")
    assert changed.status_code == 422
    assert "第3行：成县 2026年度考核的录入已锁定，实绩和目标分不能再修改" in \
        changed.get_data(as_text=True)
    assert _scores(app) == {"成县": ("80", "70"), "武都区": ("90", "90")}
    # Another year of the same county is not locked.
    assert post(team, "/county-scores/save",
                **_table(counties, 2025, {"成县": ("75", "")})).status_code == 303
    assert _scores(app, 2025) == {"成县": ("75", None)}


def test_a_team_limited_to_counties_changes_only_theirs(app, counties):
    with app.app_context():
        kang = [get_session().get(County, counties["康县"])]
    client = signed_in(app, "kang", Role.TEAM, counties=kang)
    refused = post(client, "/county-scores/save", **_table(counties, 2026, {"成县": ("80", "")}))
    assert refused.status_code == 422
    assert "您的账号不能修改成县的分数" in refused.get_data(as_text=True)
    ok = post(client, "/county-scores/save", **_table(counties, 2026, {"康县": ("80", "")}))
    assert ok.status_code == 303
    assert _scores(app) == {"康县": ("80", None)}


def test_counties_are_added_trimmed_and_unique(app, team, counties):
    response = post(team, "/county-scores/counties", year="2026", name="  西和县 ")
    assert response.status_code == 303
    assert "已添加县区：西和县" in team.get(response.headers["Location"]).get_data(as_text=True)
    assert audit_entries(app, "county.create")[0]["after"] == {"name": "西和县"}
    for name, message in [("西和县", "“西和县”已经存在"), ("   ", "县区名称：不能为空"),
                          ("县" * 61, "不能超过 60 个字"),
                          ("西\t和县", "不能包含换行、制表符等控制字符")]:
        refused = post(team, "/county-scores/counties", year="2026", name=name)
        assert refused.status_code == 422
        assert message in refused.get_data(as_text=True)
    with app.app_context():
        assert get_session().query(County).count() == len(counties) + 1


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_the_template_lists_every_county_with_its_scores(app, team, counties, fmt):
    assert post(team, "/county-scores/save",
                **_table(counties, 2026, {"成县": ("85.5", "70")})).status_code == 303
    response = team.get(f"/county-scores/template.{fmt}?year=2026")
    assert response.status_code == 200
    if fmt == "xlsx":
        sheet = load_workbook(io.BytesIO(response.data)).active
        rows = [[("" if v is None else str(v)) for v in r]
                for r in sheet.iter_rows(values_only=True)]
    else:
        assert response.data.startswith(b"\xef\xbb\xbf")
        rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0] == HEAD
    assert sorted(r[0] for r in rows[1:]) == sorted(counties)
    assert ["成县", "85.5", "70"] in rows
    # The filled-in template imports back unchanged.
    entries = audit_count(app)
    assert upload(team, "/county-scores/import", f"t.{fmt}", response.data,
                  year="2026").status_code == 303
    assert audit_count(app) == entries


def test_a13_places_share_ties_and_pick_raised_and_lowered_counties(app, team, counties):
    with app.app_context():
        db = get_session()
        db.add(County(name="徽县"))
        db.commit()
        counties = {c.name: c.id for c in db.query(County)}
    last_year = {"武都区": "90", "成县": "90", "文县": "85", "宕昌县": "80", "康县": "70",
                 "徽县": "60"}
    this_year = {"武都区": "95", "成县": "80", "文县": "88", "宕昌县": "88", "康县": "60",
                 "徽县": "60"}
    for year, values in ((2025, last_year), (2026, this_year)):
        form = _table(counties, year, {n: (p, "") for n, p in values.items()})
        assert post(team, "/county-scores/save", **form).status_code == 303
    with app.app_context():
        lines = {line.county.name: (line.place, line.previous_place, line.basis,
                                    str(line.ratio)) for line in county_lines(get_session(), 2026)}
    # By hand: 2025 places 1,1,3,4,5,6; 2026 places 1,4,2,2,5,5 (equal scores share a place).
    # A13: top 3 both years -> raised 20%; last 2 of 6 (places 5, 6) both years -> lowered 10%.
    assert lines == {
        "武都区": (1, 1, "raised", "0.20"),
        "成县": (4, 1, "base", "0.15"),
        "文县": (2, 3, "raised", "0.20"),
        "宕昌县": (2, 4, "base", "0.15"),
        "康县": (5, 5, "lowered", "0.10"),
        "徽县": (5, 6, "lowered", "0.10"),
    }
    page = team.get("/county-scores?year=2026").get_data(as_text=True)
    row = re.search(r'<th scope="row">武都区</th>(.*?)</tr>', page, re.S).group(1)
    assert '<td class="n">1</td>' in row and "上调 20%" in row
    row = re.search(r'<th scope="row">康县</th>(.*?)</tr>', page, re.S).group(1)
    assert "下调 10%" in row
    last = team.get("/county-scores?year=2025").get_data(as_text=True)
    assert f'name="p-{counties["徽县"]}" inputmode="decimal" aria-label="徽县 P" value="60"' in last


def test_a_bad_year_is_refused(team, counties):
    response = team.get("/county-scores?year=1800")
    assert response.status_code == 400
    assert "年度：应为 2000 到 2100 之间的整数" in response.get_data(as_text=True)
    assert post(team, "/county-scores/save", year="x").status_code == 400


LONG = "9" * 5000
#: A bad year, and how the page says so.
BAD_YEARS = [
    (LONG, "年度：应为 2000 到 2100 之间的整数，收到“99999999999999999999…”"),
    ("1e2", "年度：应为 2000 到 2100 之间的整数，收到“1e2”"),
    ("NaN", "年度：应为 2000 到 2100 之间的整数，收到“NaN”"),
    ("-1", "年度：应为 2000 到 2100 之间的整数，收到“-1”"),
    ("100.001", "年度：应为 2000 到 2100 之间的整数，收到“100.001”"),
    ("２０２６", "年度：应为 2000 到 2100 之间的整数，收到“２０２６”"),
    ("", "年度：必须填写"),
]


@pytest.mark.parametrize("year,message", BAD_YEARS)
def test_a_bad_year_in_the_address_shows_this_years_page_with_why(team, counties, year,
                                                                  message):
    response = team.get("/county-scores", query_string={"year": year})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message in page and LONG not in page
    assert "各县区实绩考核得分与目标管理得分" in page
    assert team.get("/county-scores/template.csv", query_string={"year": year}).status_code == 404


@pytest.mark.parametrize("year,message", BAD_YEARS)
def test_a_bad_year_posted_changes_nothing(app, team, counties, year, message):
    entries = audit_count(app)
    form = _table(counties, 2026, {"成县": ("80", "70")})
    for response in (
        post(team, "/county-scores/save", **{**form, "year": year}),
        upload(team, "/county-scores/import", "p.xlsx", xlsx([HEAD, ["成县", 80, 70]]),
               year=year),
        post(team, "/county-scores/counties", year=year, name="西和县"),
    ):
        assert response.status_code == 400
        page = response.get_data(as_text=True)
        assert message in page and LONG not in page
    assert _scores(app) == {}
    assert audit_count(app) == entries
    with app.app_context():
        assert get_session().query(County).count() == len(counties)


def test_an_english_visitor_reads_a_bad_year_in_english(team, counties):
    team.get("/lang/en")
    response = team.get("/county-scores", query_string={"year": LONG})
    assert response.status_code == 400
    assert "Year: must be a whole number between 2000 and 2100" in response.get_data(as_text=True)


@pytest.mark.parametrize("value,message", [
    (LONG, "武都区「实绩考核得分」：应在 0 到 100 之间，实际为“99999999999999999999…”"),
    ("1e2", "武都区「实绩考核得分」：不是数字：“1e2”"),
    ("100.001", "武都区「实绩考核得分」：应在 0 到 100 之间，实际为“100.001”"),
    ("Infinity", "武都区「实绩考核得分」：不是数字：“Infinity”"),
    ("+5", "武都区「实绩考核得分」：不是数字：“+5”"),
    ("90.", "武都区「实绩考核得分」：不是数字：“90.”"),
])
def test_more_bad_typed_values_save_nothing(app, team, counties, value, message):
    entries = audit_count(app)
    response = post(team, "/county-scores/save",
                    **_table(counties, 2026, {"成县": ("70", "70"), "武都区": (value, "90")}))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert message in page and page.count(LONG) <= 1  # in its input again, not in the message
    assert _scores(app) == {}
    assert audit_count(app) == entries


def test_full_width_and_spaced_scores_are_read_as_ascii(app, team, counties):
    response = post(team, "/county-scores/save",
                    **_table(counties, 2026, {"武都区": ("８５．５", " 90 "), "成县": ("-0", "")}))
    assert response.status_code == 303
    assert _scores(app) == {"武都区": ("85.5", "90"), "成县": ("0", None)}


def test_bad_cells_of_an_import_are_listed_and_nothing_is_imported(app, team, counties):
    data = csv_bytes([HEAD, ["武都区", LONG, "80"], ["成县", "1e2", "80"], ["文县", "NaN", ""],
                      ["康县", "-1", "100.001"], ["宕昌县", "８０", "70"]])
    response = upload(team, "/county-scores/import", "bad.csv", data, year="2026")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    for message in ["第2行「实绩考核得分」：应在 0 到 100 之间，实际为“99999999999999999999…”",
                    "第3行「实绩考核得分」：不是数字：“1e2”",
                    "第4行「实绩考核得分」：不是数字：“NaN”",
                    "第5行「实绩考核得分」：应在 0 到 100 之间，实际为“-1”",
                    "第5行「目标管理得分」：应在 0 到 100 之间，实际为“100.001”"]:
        assert message in page
    assert "第6行" not in page and LONG not in page
    assert _scores(app) == {}


def test_no_file_is_refused(app, team, counties):
    response = post(team, "/county-scores/import", year="2026")
    assert response.status_code == 422
    assert "请选择要上传的文件（.xlsx 或 .csv）" in response.get_data(as_text=True)
