"""The roster import (A4): XLSX or CSV, all or nothing, every bad row reported."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from ballot.assessments.models import Assessment, Member
from ballot.db import get_session
from ballot.evaluations.models import Kind
from ballot.evaluations.services import create_evaluation
from tests.assessments.conftest import audit_count, audit_entries, csv_bytes, upload, xlsx
from tests.conftest import csrf_token

HEAD = ["姓名", "职务", "分管工作", "排序"]
GOOD = [HEAD, ["王建国", "县委副书记", "党建", 2], ["李秀兰", "常务副县长", "财政", 1]]


def _roster(app, assessment_id):  # type: ignore[no-untyped-def]
    with app.app_context():
        assessment = get_session().get(Assessment, assessment_id)
        return [(m.order, m.name, m.position, m.portfolio) for m in assessment.members]


def _upload(team, assessment_id, name, data):  # type: ignore[no-untyped-def]
    return upload(team, f"/assessments/{assessment_id}/roster", name, data)


def test_good_xlsx_replaces_the_roster_in_order_and_is_audited(app, team, assessment_id):
    response = _upload(team, assessment_id, "名单.xlsx", xlsx(GOOD))
    assert response.status_code == 303
    assert _roster(app, assessment_id) == [(1, "李秀兰", "常务副县长", "财政"),
                                           (2, "王建国", "县委副书记", "党建")]
    page = team.get(response.headers["Location"]).get_data(as_text=True)
    assert "名单已导入：共 2 人" in page and "王建国" in page
    again = _upload(team, assessment_id, "new.xlsx", xlsx([HEAD, ["赵六", "副县长", "", 1]]))
    assert again.status_code == 303
    assert _roster(app, assessment_id) == [(1, "赵六", "副县长", "")]
    entries = audit_entries(app, "roster.replace")
    assert len(entries) == 2
    assert [m["name"] for m in entries[1]["before"]["members"]] == ["李秀兰", "王建国"]
    assert entries[1]["after"]["members"] == [
        {"order": 1, "name": "赵六", "position": "副县长", "portfolio": ""}]


def test_good_csv_with_english_headers_and_gbk_from_excel(app, team, assessment_id):
    rows = [["name", "position", "portfolio", "order"], ["张三", "副县长", "农业", "1"]]
    assert _upload(team, assessment_id, "roster.csv", csv_bytes(rows)).status_code == 303
    assert _roster(app, assessment_id) == [(1, "张三", "副县长", "农业")]
    chinese = [["姓 名", "职务"], ["李四", "县委常委"], ["王五", "副县长"]]
    response = _upload(team, assessment_id, "roster.CSV", csv_bytes(chinese, "gb18030"))
    assert response.status_code == 303
    assert _roster(app, assessment_id) == [(1, "李四", "县委常委", ""), (2, "王五", "副县长", "")]


BAD_FILES = [
    ("empty name and position",
     "r.xlsx", xlsx([HEAD, ["", "副县长", "", 1], ["王五", " ", "", 2]]),
     ["第2行「姓名」：不能为空", "第3行「职务」：不能为空"]),
    ("bad and duplicate order",
     "r.xlsx", xlsx([HEAD, ["甲", "副县长", "", "一"], ["乙", "副县长", "", 2], ["丙", "副县长", "", 2],
                     ["丁", "副县长", "", 0]]),
     ["第2行「排序」：应为 1 到 999 的整数，实际为“一”", "第3、4行「排序」：排序 2 重复",
      "第5行「排序」：应为 1 到 999 的整数，实际为“0”"]),
    ("unknown column", "r.csv", csv_bytes([["姓名", "职务", "年龄"], ["甲", "副县长", "50"]]),
     ["第1行：未知的列“年龄”"]),
    ("missing column", "r.csv", csv_bytes([["姓名", "分管工作"], ["甲", "农业"]]),
     ["第1行：缺少列“职务”"]),
    ("too many rows", "r.csv", csv_bytes([HEAD] + [[f"人{i}", "副县长", "", i] for i in range(1, 202)]),
     ["行数过多：最多 200 行"]),
    ("unreadable xlsx", "r.xlsx", b"PK\x03\x04 not really a workbook", ["无法读取文件"]),
    ("wrong file type", "r.pdf", b"%PDF-1.4", ["文件类型不支持：“r.pdf”"]),
    ("old excel", "r.xls", b"\xd0\xcf\x11\xe0", ["另存为 .xlsx"]),
    ("empty file", "r.csv", b"", ["文件是空的"]),
    ("headings only", "r.xlsx", xlsx([HEAD]), ["名单中没有成员"]),
    ("name too long", "r.csv", csv_bytes([HEAD, ["长" * 41, "副县长", "", 1]]),
     ["第2行「姓名」：不能超过 40 个字"]),
    ("control characters", "r.csv",
     csv_bytes([HEAD, ["王\n五", "副县长", "", 1], ["李四", "副\t县长", "农\x07业", 2]]),
     ["第2行「姓名」：不能包含换行、制表符等控制字符", "第3行「职务」：不能包含换行、制表符等控制字符",
      "第3行「分管工作」：不能包含换行、制表符等控制字符"]),
]


@pytest.mark.parametrize("case", BAD_FILES, ids=[c[0] for c in BAD_FILES])
def test_a_bad_file_changes_nothing_and_lists_every_problem(app, team, assessment_id, case):
    _label, name, data, messages = case
    assert _upload(team, assessment_id, "first.xlsx", xlsx(GOOD)).status_code == 303
    before, entries = _roster(app, assessment_id), audit_count(app)
    response = _upload(team, assessment_id, name, data)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "未保存任何内容" in page
    for message in messages:
        assert message in page
    assert _roster(app, assessment_id) == before
    assert audit_count(app) == entries


def test_no_file_chosen_is_refused(app, team, assessment_id):
    response = team.post(f"/assessments/{assessment_id}/roster",
                         data={"csrf_token": csrf_token(team, "/home")})
    assert response.status_code == 422
    assert "请选择要上传的名单文件" in response.get_data(as_text=True)


def test_the_roster_is_fixed_once_an_evaluation_exists(app, team, assessment_id):
    assert _upload(team, assessment_id, "first.xlsx", xlsx(GOOD)).status_code == 303
    with app.app_context():
        db = get_session()
        create_evaluation(db, db.get(Assessment, assessment_id), Kind.DEMOCRATIC)
        db.commit()
    page = team.get(f"/assessments/{assessment_id}/roster").get_data(as_text=True)
    assert "本考核已创建测评，名单不能再修改" in page and "上传并替换名单" not in page
    response = _upload(team, assessment_id, "new.xlsx", xlsx([HEAD, ["赵六", "副县长", "", 1]]))
    assert response.status_code == 422
    assert "本考核已创建测评，名单不能再修改" in response.get_data(as_text=True)
    assert [m[1] for m in _roster(app, assessment_id)] == ["李秀兰", "王建国"]


def test_the_roster_is_fixed_once_inputs_are_locked(app, team, assessment_id):
    with app.app_context():
        db = get_session()
        db.get(Assessment, assessment_id).inputs_locked = True
        db.commit()
    response = _upload(team, assessment_id, "r.xlsx", xlsx(GOOD))
    assert response.status_code == 422
    assert "录入已锁定" in response.get_data(as_text=True)
    assert _roster(app, assessment_id) == []


def test_last_years_grade_stays_with_a_member_whose_name_is_unchanged(app, team, assessment_id):
    assert _upload(team, assessment_id, "first.xlsx", xlsx(GOOD)).status_code == 303
    with app.app_context():
        db = get_session()
        member = db.query(Member).filter_by(name="王建国").one()
        member.previous_grade = "excellent"
        db.commit()
    rows = [HEAD, ["王建国", "县委副书记", "党建", 1], ["新人", "副县长", "", 2]]
    assert _upload(team, assessment_id, "again.xlsx", xlsx(rows)).status_code == 303
    with app.app_context():
        grades = {m.name: m.previous_grade for m in get_session().query(Member)}
    assert grades == {"王建国": "excellent", "新人": None}


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_roster_templates_have_the_headings_and_an_example(team, fmt):
    response = team.get(f"/assessments/roster-template.{fmt}")
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    if fmt == "xlsx":
        sheet = load_workbook(io.BytesIO(response.data)).active
        rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    else:
        assert response.data.startswith(b"\xef\xbb\xbf")
        rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0] == HEAD
    assert len(rows) == 2 and rows[1][0] == "张三"
    assert team.get("/assessments/roster-template.pdf").status_code == 404


def test_the_template_imports_as_it_is(app, team, assessment_id):
    data = team.get("/assessments/roster-template.xlsx").data
    assert _upload(team, assessment_id, "roster-template.xlsx", data).status_code == 303
    assert _roster(app, assessment_id) == [(1, "张三", "副县长", "农业农村、水利")]


def test_the_roster_and_settings_are_fixed_once_the_results_are_in_the_approval_chain(
        app, team, assessment_id):
    from ballot.assessments.models import Stage
    from tests.assessments.conftest import post

    with app.app_context():
        db = get_session()
        db.get(Assessment, assessment_id).stage = Stage.REVIEW
        db.commit()
    page = team.get(f"/assessments/{assessment_id}/roster").get_data(as_text=True)
    assert "设置不能再修改" in page and "保存设置" not in page
    entries = audit_count(app)
    response = _upload(team, assessment_id, "r.xlsx", xlsx(GOOD))
    assert response.status_code == 422
    assert "录入已锁定" in response.get_data(as_text=True)
    settings = post(team, f"/assessments/{assessment_id}/settings", other_cadres_count="1",
                    other_cadres_excellent="0", decimals="2")
    assert settings.status_code == 422
    assert "设置不能再修改" in settings.get_data(as_text=True)
    assert _roster(app, assessment_id) == [] and audit_count(app) == entries
