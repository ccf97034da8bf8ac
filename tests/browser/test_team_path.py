"""The team's whole path in a real browser (the issue's acceptance test): sign in, import a
roster, create the evaluations and slips, vote on phones, close, enter P/T/L/H, resolve a tie at
the quota line, approve through every A15 step, download the workbook and check it against tally.

The numbers are planned by hand (see PLAN below) so that two members end with equal published
composites exactly at the Excellent quota line (A11.6, A12).
"""

from __future__ import annotations

import io
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from flask import Flask
from playwright.sync_api import Browser, Page, expect

from ballot.accounts.models import Office, Role
from tally import (
    AssessmentInput,
    AssessmentResult,
    Grade,
    MemberInput,
    VoteCounts,
    score_assessment,
)
from tests.browser.conftest import Phone
from tests.browser.test_voting import choose, member
from tests.conftest import PASSWORD, make_user
from tests.support.server import Server

pytestmark = pytest.mark.browser

#: Patience on a shared, slow machine; nothing here measures time.
TIMEOUT = 30_000
expect.set_options(timeout=TIMEOUT)
COUNTY, YEAR = "武都区", 2026
#: The roster file's rows: name, position, portfolio, order (the two heads are not assessed, A4).
ROSTER = [
    ("王志强", "县委副书记", "党的建设、乡村振兴", 1),
    ("赵建华", "县委常委、政法委书记", "政法、信访、社会治安综合治理", 2),
    ("刘晓燕", "县委常委、组织部部长", "组织、人才、老干部", 3),
    ("陈国平", "县委常委、常务副县长", "发展改革、财政、税务、金融", 4),
    ("杨丽娟", "县委常委、宣传部部长", "宣传、精神文明建设、网信", 5),
    ("欧阳振华", "副县长", "农业农村、水务、林业和草原、应急管理", 6),
]
NAMES = [row[0] for row in ROSTER]

# PLAN (composite = 0.45P + 0.20T + 0.10L + 0.10H + 0.10D + 0.05I, published half up to 2 places;
# D and I = (E + 0.8C + 0.5B) / valid * 100, an abstention is not a valid vote):
#   P = 92, T = 90, L = (94 + 91) / 2 = 92.5
#   common part: 0.45*92 + 0.20*90 + 0.10*92.5 = 41.4 + 18 + 9.25 = 68.65
#
#   member    H (two heads)        D (3 ballots)        I (2 ballots)   composite
#   陈国平    (96+94)/2 = 95       E E E   = 100        E E = 100       68.65+9.5+10+5        = 93.15
#   王志强    (92+90)/2 = 91       E E C   = 93.333..   E C = 90        68.65+9.1+9.3333+4.5  = 91.58333 -> 91.58
#   刘晓燕    (84.5+84.1)/2 = 84.3 E E E   = 100        E C = 90        68.65+8.43+10+4.5     = 91.58
#   赵建华    (88+86)/2 = 87       E C C   = 86.666..   C C = 80        68.65+8.7+8.6667+4    = 90.01667 -> 90.02
#   杨丽娟    (80+82)/2 = 81       C C B   = 70         C B = 65        68.65+8.1+7+3.25      = 87.00
#   欧阳振华  (60+62)/2 = 61       - B I   = 25 (2 valid) I I = 0       68.65+6.1+2.5+0       = 77.25
#
# Quota (A11.6): pool = 6 members + 14 other cadres = 20; ratio 15% (no ranking two years running,
# A13 base) -> cap floor(3.0) = 3; 1 already given to other cadres -> 2 places for the members.
# 陈国平 (93.15) takes the first; 王志强 and 刘晓燕 share 91.58 for the second: a tie at the quota
# line, which the team resolves (王志强 Excellent, 刘晓燕 Competent). 赵建华 (90.02) is beyond the
# quota: Competent. 杨丽娟 Competent by band; 欧阳振华 Basically competent (admonition, A19).
P, T = "92", "90"
CITY_LEADERS = [("孙立新", "市委常委、副市长", "94"), ("周明", "市人大常委会副主任", "91")]
HEADS = {
    "张卫东": ("县委书记", {"王志强": "92", "赵建华": "88", "刘晓燕": "84.5", "陈国平": "96",
                          "杨丽娟": "80", "欧阳振华": "60"}),
    "李红梅": ("县委副书记、县长", {"王志强": "90", "赵建华": "86", "刘晓燕": "84.1", "陈国平": "94",
                              "杨丽娟": "82", "欧阳振华": "62"}),
}
OTHER_CADRES, OTHER_EXCELLENT = 14, 1
E, C, B, X, ABSTAIN = "excellent", "competent", "basically_competent", "incompetent", None
#: One ballot per phone, in roster order; None leaves the member blank (an abstention).
DEMOCRATIC: list[list[str | None]] = [
    [E, E, E, E, C, ABSTAIN],
    [E, C, E, E, C, B],
    [C, C, E, E, B, X],
]
INTERVIEW: list[list[str | None]] = [
    [E, C, E, E, C, X],
    [C, C, C, E, B, X],
]
TIE_DECISIONS = {
    "王志强": ("excellent", "两人公布的综合得分同为 91.58；王志强精确得分略高，经考核组集体研究定为优秀。"),
    "刘晓燕": ("competent", "两人公布的综合得分同为 91.58；优秀名额已满，经考核组集体研究定为称职。"),
}
EXPECTED = {  # name: (published composite, rank, grade label), from the PLAN above
    "王志强": ("91.58", 2, "优秀"),
    "赵建华": ("90.02", 4, "称职"),
    "刘晓燕": ("91.58", 2, "称职"),
    "陈国平": ("93.15", 1, "优秀"),
    "杨丽娟": ("87.00", 5, "称职"),
    "欧阳振华": ("77.25", 6, "基本称职"),
}
GRADE_LABELS = {"excellent": "优秀", "competent": "称职", "basically_competent": "基本称职",
                "incompetent": "不称职"}
REVIEWERS = [
    ("org", Office.ORGANIZATION, "市委组织部审核人"),
    ("dk", Office.SUPERVISION, "市督考办审核人"),
    ("fp", Office.POVERTY, "市扶贫办审核人"),
    ("lg", Office.LEADING_GROUP, "领导小组办公室"),
    ("sw", Office.PARTY_COMMITTEE, "市委办公室"),
]


def counts(ballots: list[list[str | None]], index: int) -> VoteCounts:
    given = [ballot[index] for ballot in ballots]
    return VoteCounts(given.count(E), given.count(C), given.count(B), given.count(X))


def planned_result() -> AssessmentResult:
    """The tally of the planned inputs, computed without the product."""
    members = tuple(
        MemberInput(
            id=name, name=name,
            H=tuple(Decimal(sheet[name]) for _title, sheet in HEADS.values()),
            D=counts(DEMOCRATIC, index), I=counts(INTERVIEW, index),
        )
        for index, name in enumerate(NAMES)
    )
    return score_assessment(AssessmentInput(
        county=COUNTY, year=YEAR, P=Decimal(P), T=Decimal(T),
        L=tuple(Decimal(score) for _n, _t, score in CITY_LEADERS),
        other_cadres_count=OTHER_CADRES, other_cadres_excellent=OTHER_EXCELLENT,
        members=members,
    ))


def roster_file(tmp_path: Path) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["姓名", "职务", "分管工作", "排序"])
    for row in ROSTER:
        sheet.append(list(row))
    path = tmp_path / "武都区领导班子名单.xlsx"
    book.save(path)
    return path


def sign_in(browser: Browser, base: str, username: str) -> Page:
    """A fresh laptop signed in through the sign-in page."""
    context = browser.new_context(viewport={"width": 1280, "height": 720}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(TIMEOUT)
    page.goto(f"{base}/sign-in")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{base}/home")
    return page


def run_evaluation(desktop: Page, base: str, assessment_url: str, kind: str,
                   ballots: list[list[str | None]],
                   phone_factory: Callable[..., Phone]) -> None:
    """Create the evaluation from the roster page, issue slips, open, vote on phones, close."""
    desktop.goto(f"{assessment_url}/roster")
    desktop.get_by_label("测评类型").select_option(label=kind)
    desktop.get_by_role("button", name="创建测评").click()
    expect(desktop.get_by_role("heading", level=1)).to_contain_text(kind)
    dashboard = desktop.url

    desktop.get_by_role("link", name="打印票签").click()
    desktop.get_by_label("生成票签数量").fill(str(len(ballots) + 1))
    desktop.get_by_role("button", name="生成并打印").click()
    expect(desktop.locator(".slip .code")).to_have_count(len(ballots) + 1)
    codes = desktop.locator(".slip .code").all_inner_texts()

    desktop.goto(dashboard)
    desktop.get_by_role("button", name="开始测评").click()
    expect(desktop.locator(".state")).to_contain_text("进行中")

    for code, ballot in zip(codes, ballots, strict=False):
        phone = phone_factory(javascript=True)
        page = phone.page
        page.set_default_timeout(TIMEOUT)
        page.goto(f"{phone.base}/s/{code}")
        expect(page).to_have_url(f"{phone.base}/ballot")
        for name, rating in zip(NAMES, ballot, strict=True):
            if rating is not None:
                choose(page, name, rating)
            else:
                expect(member(page, name).locator('input[value^="abstain"]')).to_be_checked()
        page.get_by_role("button", name="检查选择").tap()
        expect(page.get_by_role("heading", name="请核对您的选择")).to_be_visible()
        page.get_by_role("button", name="确认提交").tap()
        expect(page.get_by_role("heading", name="投票成功，谢谢！")).to_be_visible()

    desktop.goto(dashboard)
    expect(desktop.locator(".turnout")).to_contain_text(
        f"已投 {len(ballots)} 票，共发放票签 {len(ballots) + 1} 张")
    desktop.once("dialog", lambda dialog: dialog.accept())
    desktop.get_by_role("button", name="结束测评并计票").click()
    expect(desktop.get_by_role("heading", level=1)).to_contain_text("测评结果")
    expect(desktop.get_by_text(f"共收到选票 {len(ballots)} 张")).to_be_visible()


def fill_sheet(phone: Phone, url: str, name: str, scores: dict[str, str],
               screenshot: Path | None = None) -> None:
    """A scorer opens their personal link on a phone, types the scores and signs (form 4/5)."""
    page = phone.page
    page.set_default_timeout(TIMEOUT)
    page.goto(url)
    expect(page).to_have_url(f"{phone.base}/sheet")
    for label, score in scores.items():
        page.locator(".score-field").filter(
            has=page.locator("label .name", has_text=label)).locator("input").fill(score)
    page.get_by_label("签名：请输入您的完整姓名").fill(name)
    if screenshot is not None:
        page.screenshot(path=screenshot, full_page=True)
    page.get_by_role("button", name="签名并提交").click()
    expect(page.get_by_role("status")).to_contain_text("评分表已提交并签名")


def add_scorer(desktop: Page, assessment_url: str, kind: str, name: str, title: str) -> str:
    """Add a scorer on the scorers page; return the personal link, shown this once."""
    desktop.goto(f"{assessment_url}/scorers")
    desktop.get_by_label("类别").select_option(label=kind)
    desktop.get_by_label("姓名").fill(name)
    desktop.get_by_label("职务").fill(title)
    desktop.get_by_role("button", name="添加并生成链接").click()
    expect(desktop.locator(".scorer-name")).to_have_text(name)
    return desktop.locator(".link-card .url a").inner_text()


def form6_row(page: Page, name: str):  # type: ignore[no-untyped-def]
    return page.locator("table.form6 tbody tr").filter(
        has=page.get_by_role("cell", name=name, exact=True))


def test_team_path_from_sign_in_to_the_approved_workbook(
        app: Flask, server: Server, team_desktop: Page, browser: Browser,
        phone_factory: Callable[..., Phone], screenshots: Path, tmp_path: Path) -> None:
    base = server.url
    make_user(app, "admin1", Role.ADMIN, display_name="系统管理员")
    for username, office, display in REVIEWERS:
        make_user(app, username, Role.REVIEWER, display_name=display, office=office)
    desktop = team_desktop  # signed in through the sign-in page by the fixture
    desktop.set_default_timeout(TIMEOUT)

    # 1. The county's assessment for the year.
    desktop.goto(f"{base}/assessments/new")
    desktop.get_by_label("或输入新县区名称").fill(COUNTY)
    desktop.get_by_label("考核年度").fill(str(YEAR))
    desktop.get_by_role("button", name="创建").click()
    expect(desktop.get_by_role("heading", level=1)).to_contain_text(f"{COUNTY} {YEAR}年度")
    assessment_url = desktop.url.rstrip("/")
    assert assessment_url.startswith(f"{base}/assessments/"), assessment_url

    # 2. The roster, uploaded as the team's Excel file; the other cadres of the quota pool.
    desktop.get_by_role("link", name="名单与设置").click()
    desktop.get_by_label("名单文件").set_input_files(roster_file(tmp_path))
    desktop.get_by_role("button", name="上传并替换名单").click()
    expect(desktop.get_by_text("名单已导入：共 6 人。")).to_be_visible()
    for name in NAMES:
        expect(desktop.locator("#roster table").get_by_role("cell", name=name, exact=True)
               ).to_be_visible()
    desktop.get_by_label("其他县级干部人数").fill(str(OTHER_CADRES))
    desktop.get_by_label("其他县级干部已评优秀人数").fill(str(OTHER_EXCELLENT))
    # The meeting's 3 ballots reach an anonymity floor of 3; the interviews' 2 are published
    # by a recorded decision below.
    desktop.get_by_label("匿名下限（有效票张数）").fill("3")
    desktop.get_by_role("button", name="保存设置").click()
    expect(desktop.get_by_text("设置已保存。")).to_be_visible()

    # 3. The meeting and the interviews, voted on phones.
    run_evaluation(desktop, base, assessment_url, "民主测评", DEMOCRATIC, phone_factory)
    for name, score in [("陈国平", "100.00"), ("王志强", "93.33"), ("欧阳振华", "25.00")]:
        expect(desktop.locator("table.results tr").filter(has_text=name).locator("td").last
               ).to_have_text(score)
    run_evaluation(desktop, base, assessment_url, "个别谈话", INTERVIEW, phone_factory)
    expect(desktop.get_by_role("heading", name="票数暂不公开")).to_be_visible()
    desktop.get_by_label("公开理由（必填，最多 500 字）").fill("个别谈话人数少，经考核组研究决定公开票数。")
    desktop.get_by_role("button", name="记录决定并公开票数").click()
    expect(desktop.locator("table.results tr").filter(has_text="杨丽娟").locator("td").last
           ).to_have_text("65.00")

    # 4. P and T typed for the county; the scorers' signed sheets (forms 4 and 5); lock.
    desktop.goto(f"{base}/county-scores?year={YEAR}")
    desktop.get_by_label(f"{COUNTY} P").fill(P)
    desktop.get_by_label(f"{COUNTY} T").fill(T)
    desktop.get_by_role("button", name="保存整张表").click()
    expect(desktop.get_by_text("已保存：1 个县区的分数有变化。")).to_be_visible()

    for name, title, score in CITY_LEADERS:
        url = add_scorer(desktop, assessment_url, "联系本县的市级领导（表4）", name, title)
        fill_sheet(phone_factory(javascript=True), url, name, {COUNTY: score})
    for index, (name, (title, sheet)) in enumerate(HEADS.items()):
        url = add_scorer(desktop, assessment_url, "县委书记、县长（表5）", name, title)
        fill_sheet(phone_factory(javascript=True), url, name, sheet,
                   screenshot=screenshots / "sheet.png" if index == 0 else None)

    desktop.goto(f"{assessment_url}/scorers")
    for name in [*(n for n, _t, _s in CITY_LEADERS), *HEADS]:
        expect(desktop.get_by_text(f"{name} 已签名")).to_be_visible()
    desktop.screenshot(path=screenshots / "scorers.png", full_page=True)
    desktop.once("dialog", lambda dialog: dialog.accept())  # "lock now?"
    desktop.get_by_role("button", name="锁定录入").click()
    expect(desktop.locator(".locked-note")).to_contain_text("已锁定")

    # 5. Form 6: the tie at the quota line is flagged; the team decides it, with reasons.
    desktop.get_by_role("link", name="综合评分").click()
    expect(desktop.locator(".quota")).to_contain_text("班子成员可用名额2")
    for name in TIE_DECISIONS:
        expect(form6_row(desktop, name).locator(".flags")).to_contain_text("名额线上同分（由考核组决定）")
        expect(form6_row(desktop, name).locator(".composite")).to_have_text("91.58")
    expect(desktop.get_by_text("还有 2 名成员等待考核组决定等次。")).to_be_visible()
    expect(form6_row(desktop, "赵建华").locator(".flags")).to_contain_text("超出优秀名额")
    for name, (grade, reason) in TIE_DECISIONS.items():
        form = desktop.locator("details.member-decisions").filter(
            has=desktop.locator("summary", has_text=name)).locator("form")
        expect(form.get_by_label("类型")).to_have_value("tie")
        form.get_by_label("等次").select_option(grade)
        form.get_by_label("理由（必填）").fill(reason)
        form.get_by_role("button", name="记录决定").click()
        expect(form6_row(desktop, name).locator("td").nth(-2)).to_have_text(GRADE_LABELS[grade])
    expect(desktop.get_by_text("每名成员都已有等次。")).to_be_visible()
    expect(desktop.locator("table.form6 tr.undecided")).to_have_count(0)
    for name, (composite, rank, grade) in EXPECTED.items():
        row = form6_row(desktop, name)
        expect(row.locator(".composite")).to_have_text(composite)
        expect(row.locator("td.composite + td")).to_have_text(str(rank))
        expect(row.locator("td").nth(-2)).to_have_text(grade)
    desktop.screenshot(path=screenshots / "results.png", full_page=True)

    # 6. A15: the team proposes; three offices sign off; the leading group; the Party committee.
    desktop.get_by_role("link", name="审批").click()
    desktop.get_by_label("说明").fill("考核组建议如表，名额线上同分已按理由决定。")
    desktop.get_by_role("button", name="提出建议，送三部门审核").click()
    expect(desktop.locator(".state")).to_contain_text("三部门审核中")
    approval_url = desktop.url
    for username, _office, _display in REVIEWERS[:3]:
        page = sign_in(browser, base, username)
        page.goto(approval_url)
        page.get_by_role("button", name="审核同意").click()
        expect(page.get_by_role("cell", name="审核同意")).not_to_have_count(0)
        page.context.close()
    for username, button, stage in [("lg", "审议通过", "待市委审定"), ("sw", "审定", "市委已审定")]:
        page = sign_in(browser, base, username)
        page.goto(approval_url)
        page.get_by_role("button", name=button, exact=True).click()
        expect(page.locator(".state")).to_contain_text(stage)
        page.context.close()
    desktop.reload()
    expect(desktop.locator(".state strong")).to_have_text("市委已审定")
    expect(desktop.locator("table.trail tbody tr")).to_have_count(6)
    # Form 6 fits the laptop: the grade and the remarks are not scrolled out of sight.
    remarks = desktop.locator("table.form6 td.flags").first.bounding_box()
    assert remarks is not None and remarks["x"] + remarks["width"] <= 1280, remarks
    desktop.screenshot(path=screenshots / "approval.png", full_page=True)

    # 7. The workbook, checked against tally run on the planned inputs.
    desktop.get_by_role("link", name="报表").click()
    expect(desktop.locator("figure.chart figcaption")).to_have_text(
        ["民主测评评价分布", "个别谈话评价分布", "综合得分分布（60、80、90分为等次线）"])
    desktop.screenshot(path=screenshots / "reports.png", full_page=True)
    with desktop.expect_download() as download:
        desktop.get_by_role("link", name="下载 Excel 工作簿").click()
    book = openpyxl.load_workbook(io.BytesIO(Path(download.value.path()).read_bytes()))
    sheet = book["汇总"]
    header = next(r for r in range(1, 10) if sheet.cell(row=r, column=2).value == "姓名")
    headings = [cell.value for cell in sheet[header]]
    composite_col = headings.index("综合得分")
    rows = {}
    for values in sheet.iter_rows(min_row=header + 1, values_only=True):
        if not values[1]:
            break
        rows[values[1]] = (Decimal(str(values[composite_col])).quantize(Decimal("0.01")),
                           values[composite_col + 1], values[composite_col + 2])
    assert "市委审定结果" in str(sheet.cell(row=header - 1, column=6).value)

    result = planned_result()
    decided = {name: grade for name, (grade, _reason) in TIE_DECISIONS.items()}
    expected = {}
    for m in result.members:
        if m.grade is None:
            assert "tie_at_quota" in m.flags, m
            grade = decided[m.name]
        else:
            grade = m.grade.value
        expected[m.name] = (m.composite, m.rank, GRADE_LABELS[grade])
    assert {m.name for m in result.members if "tie_at_quota" in m.flags} == set(TIE_DECISIONS)
    assert result.quota.available == 2
    assert [m.name for m in result.members if m.grade == Grade.EXCELLENT] == ["陈国平"]
    assert rows == expected
    assert {name: (str(c), r, g) for name, (c, r, g) in rows.items()} == EXPECTED
