"""Reports through HTTP: the workbook, the CSV, the print page, the index with its charts, the
city view, the approved snapshot, and who may open them."""

from __future__ import annotations

import io
import json
import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from ballot.accounts.models import Role
from ballot.assessments.models import Assessment, County
from ballot.assessments.services import get_or_create_assessment
from ballot.db import get_session
from ballot.reports.services import report_data
from ballot.results.models import ApprovalStep, Decision, ResultSnapshot
from ballot.results.services import COMPONENTS, snapshot_payload, summarize
from tests.conftest import make_user

HAND_CHECKED = {  # composite, rank, grade
    "王建国": (Decimal("91.71"), 1, "优秀"),
    "李秀兰": (Decimal("87.93"), 2, "称职"),
    "陈国华": (Decimal("82.33"), 3, "称职"),  # 82.325 rounded half up
}


def _number(value: object) -> Decimal:
    assert isinstance(value, int | float), f"{value!r} is not a number"
    return Decimal(str(value)).quantize(Decimal("0.01"))


def _book(client, assessment_id):  # type: ignore[no-untyped-def]
    response = client.get(f"/assessments/{assessment_id}/report.xlsx")
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    return load_workbook(io.BytesIO(response.data))


def _decide_and_propose(app, scored):  # type: ignore[no-untyped-def]
    user_id = make_user(app, "lead", Role.TEAM, display_name="组长")
    with app.app_context():
        db = get_session()
        db.add(Decision(assessment_id=scored.assessment_id, member_id=scored.member_ids[1],
                        kind="promotion", facts="poverty_exit", reason="脱贫摘帽贡献突出",
                        user_id=user_id))
        db.add(ApprovalStep(assessment_id=scored.assessment_id, action="propose",
                            comment="建议按表6确定等次", user_id=user_id))
        db.commit()


def test_workbook_matches_summarize_and_hand_checked_values(app, scored, team) -> None:
    book = _book(team, scored.assessment_id)
    assert book.sheetnames == ["汇总", "民主测评", "个别谈话", "评分表", "决定", "审批", "测评票箱"]
    sheet = book["汇总"]
    assert scored.county in sheet["A1"].value and "表6" in sheet["A1"].value
    assert sheet.freeze_panes == "C4"  # names and the header stay in view
    headers = [c.value for c in sheet[3]]
    assert headers[:5] == ["排序", "姓名", "职务", "实绩考核", "实绩考核×45%"]
    composite_column = headers.index("综合得分")
    rows = {row[1].value: row for row in sheet.iter_rows(min_row=4, max_row=6)}
    with app.app_context():
        db = get_session()
        summary = summarize(db, db.get_one(Assessment, scored.assessment_id))
    for line in summary.rows:
        cells = rows[line.member.name]
        composite, rank, grade = HAND_CHECKED[line.member.name]
        assert _number(cells[composite_column].value) == composite == line.result.composite
        assert cells[composite_column].number_format == "0.00"
        assert cells[composite_column + 1].value == rank == line.result.rank
        assert cells[composite_column + 2].value == grade
        for index, name in enumerate(COMPONENTS):
            assert _number(cells[3 + 2 * index].value) == line.result.published.get(name)
            assert _number(cells[4 + 2 * index].value) == line.weighted[name]
    assert _number(rows["王建国"][4].value) == Decimal("41.63")  # 92.50 × 45% = 41.625
    values = [[c.value for c in row] for row in sheet.iter_rows(min_row=7)]
    assert ["优秀上限", 1] in [v[:2] for v in values]
    assert ["班子成员可评优秀", 1] in [v[:2] for v in values]


def test_workbook_vote_and_score_sheets(app, scored, team) -> None:
    book = _book(team, scored.assessment_id)
    votes = book["民主测评"]
    assert [c.value for c in votes[2]] == ["排序", "姓名", "职务", "优秀", "称职", "基本称职",
                                           "不称职", "弃权", "有效票", "测评得分"]
    chen = [c.value for c in votes[5]]
    assert chen[1] == "陈国华" and chen[3:9] == [0, 1, 0, 1, 1, 2]
    assert _number(chen[9]) == Decimal("40.00")
    wang = [c.value for c in votes[3]]
    assert _number(wang[9]) == Decimal("93.33")
    turnout_rows = [[c.value for c in row] for row in votes.iter_rows(min_row=8)]
    turnout = next(r for r in turnout_rows if isinstance(r[0], int))
    assert turnout[2:7] == [3, 3, 3, 0, 3]  # issued, used, ballots, invalid, valid
    assert _number(book["个别谈话"]["J3"].value) == Decimal("100.00")
    sheets = [[c.value for c in row] for row in book["评分表"].iter_rows(min_row=3)]
    assert len(sheets) == 2 + 2 * 3
    leader = sheets[0]
    assert leader[0] == "市级领导" and leader[1] == "张市长" and leader[3] == scored.county
    assert _number(leader[4]) == Decimal("90.00") and leader[7] == "链接填写"
    head = next(r for r in sheets if r[1] == "孙县长" and r[3] == "陈国华")
    assert _number(head[4]) == Decimal("72.00") and head[7] == "纸质录入" and head[6] is not None


def test_workbook_decisions_and_approval(app, scored, team) -> None:
    _decide_and_propose(app, scored)
    book = _book(team, scored.assessment_id)
    decision = [c.value for c in book["决定"][3]]
    assert decision[0] == "李秀兰" and decision[1] == "提拔使用人选（第十七条）"
    assert decision[5] == "脱贫摘帽贡献突出" and decision[6] == "组长" and decision[8] == "有效"
    step = [c.value for c in book["审批"][3]]
    assert step[1] == "考核组提出建议" and step[3] == "建议按表6确定等次" and step[4] == "组长"


def test_summary_csv_has_a_bom_and_the_figures(scored, team) -> None:
    response = team.get(f"/assessments/{scored.assessment_id}/summary.csv")
    assert response.status_code == 200
    assert response.data.startswith(b"\xef\xbb\xbf")
    lines = response.data.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("县区,年度,排序,姓名,职务,实绩考核")
    assert lines[3].split(",")[:4] == [scored.county, "2026", "3", "陈国华"]
    assert ",82.33,3,称职," in lines[3] + ","
    assert "attachment" in response.headers["Content-Disposition"]


def test_print_page_has_form6_flags_decisions_trail_and_signature_lines(app, scored, team) -> None:
    _decide_and_propose(app, scored)
    page = team.get(f"/assessments/{scored.assessment_id}/report").get_data(as_text=True)
    for text in ("县级领导班子成员考核报告", "91.71", "82.33", "优秀上限 1 人", "提拔使用人选",
                 "脱贫摘帽贡献突出", "考核组提出建议", "考核组负责人", "市委组织部", "市督考办",
                 "市扶贫办", "签字", "日期", "reports.css"):
        assert text in page, text
    assert "staffnav" not in page  # nothing but the report on paper
    svgs = page.count('role="img"')
    assert svgs == 3  # democratic, interview, score spread


def test_index_links_and_shows_the_charts(scored, team) -> None:
    page = team.get(f"/assessments/{scored.assessment_id}/reports").get_data(as_text=True)
    assert f"/assessments/{scored.assessment_id}/report.xlsx" in page
    assert f"/assessments/{scored.assessment_id}/summary.csv" in page
    start = page.index("<svg")
    first = page[start:page.index("</svg>", start) + 6]
    root = ET.fromstring(first)
    counts = [int(r.get("data-count")) for r in root.iter("{http://www.w3.org/2000/svg}rect")
              if r.get("data-count")]
    assert sum(counts) == 9  # 3 ballots × 3 members, abstentions included


def test_approved_reports_use_the_newest_snapshot(app, scored, team) -> None:
    """After approval the reports print the frozen figures, even if an input changed later."""
    user_id = make_user(app, "approver", Role.TEAM)
    with app.app_context():
        db = get_session()
        assessment = db.get_one(Assessment, scored.assessment_id)
        payload = snapshot_payload(summarize(db, assessment))
        older = json.loads(json.dumps(payload))
        older["members"][2]["composite"] = "10.00"
        # The approved figures, as frozen; then an amendment's newer snapshot changes a grade.
        payload["members"][2]["grade"] = "basically_competent"
        payload["quota"]["reason"] = "领导小组确定"
        db.add(ResultSnapshot(assessment_id=assessment.id, payload=json.dumps(older),
                              user_id=user_id))
        db.add(ResultSnapshot(assessment_id=assessment.id, payload=json.dumps(payload),
                              user_id=user_id))
        assessment.stage = "approved"
        db.commit()
        data = report_data(db, db.get_one(Assessment, scored.assessment_id))
        assert data.source == "snapshot"
        assert [r.composite for r in data.rows][2] == Decimal("82.33")
        assert data.rows[2].grade == "basically_competent"
        assert data.quota.reason == "领导小组确定"
    csv_text = team.get(f"/assessments/{scored.assessment_id}/summary.csv").data.decode("utf-8-sig")
    assert ",82.33,3,基本称职," in csv_text
    page = team.get(f"/assessments/{scored.assessment_id}/report").get_data(as_text=True)
    assert "市委审定结果" in page and "领导小组确定" in page


def test_city_view_shows_only_the_counties_of_a_limited_account(app, scored, reader) -> None:
    with app.app_context():
        db = get_session()
        other = get_or_create_assessment(db, "成县", 2026)
        db.commit()
        mine = db.get_one(Assessment, scored.assessment_id).county
        other_id = other.id
        limited = [db.get_one(County, mine.id)]
    client = reader(Role.REVIEWER, office=__import__("ballot.accounts.models", fromlist=["Office"])
                    .Office.ORGANIZATION, counties=limited)
    page = client.get("/city?year=2026").get_data(as_text=True)
    assert scored.county in page and "成县" not in page
    assert "91.71" in page and "已结束 1 / 1" in page
    everyone = reader(Role.TEAM).get("/city?year=2026").get_data(as_text=True)
    assert "成县" in everyone and "未建立" not in everyone.split("成县")[1].split("</tr>")[0]
    assert client.get(f"/assessments/{other_id}/reports").status_code == 403
    book = load_workbook(io.BytesIO(client.get("/city.xlsx?year=2026").data))
    names = [row[2].value for row in book.active.iter_rows(min_row=3)]
    assert names == ["王建国", "李秀兰", "陈国华"]
    assert client.get("/city?year=20x6").status_code == 400


ENDPOINTS = ["/assessments/{id}/reports", "/assessments/{id}/report",
             "/assessments/{id}/report.xlsx", "/assessments/{id}/summary.csv"]


@pytest.mark.parametrize("path", [*ENDPOINTS, "/city", "/city.xlsx"])
def test_access(app, scored, client, reader, path) -> None:
    url = path.format(id=scored.assessment_id)
    anonymous = client.get(url)
    assert anonymous.status_code == 302 and "/sign-in" in anonymous.headers["Location"]
    assert reader(Role.SCORER).get(url).status_code == 403
    assert reader(Role.OBSERVER).get(url).status_code == 200
    if "{id}" in path:
        with app.app_context():
            db = get_session()
            elsewhere = get_or_create_assessment(db, "徽县", 2026).county
            db.commit()
        assert reader(Role.TEAM, counties=[elsewhere]).get(url).status_code == 403
