"""Creating a county's assessment for a year (A10)."""

from __future__ import annotations

from sqlalchemy import func, select

from ballot.accounts.models import Role
from ballot.assessments.models import Assessment, County
from ballot.db import get_session
from tests.assessments.conftest import audit_count, audit_entries, post, signed_in


def _assessments(app) -> list[tuple[str, int]]:  # type: ignore[no-untyped-def]
    with app.app_context():
        rows = get_session().execute(select(County.name, Assessment.year).join(Assessment.county)
                                     .order_by(Assessment.id))
        return [tuple(r) for r in rows]


def test_team_picks_an_existing_county_and_lands_on_the_overview(app, team, counties):
    page = team.get("/assessments/new")
    assert page.status_code == 200
    assert "成县" in page.get_data(as_text=True)
    response = post(team, "/assessments/new", county_id=str(counties["成县"]), new_county="",
                    year="2026")
    assert response.status_code == 303
    assert _assessments(app) == [("成县", 2026)]
    overview = team.get(response.headers["Location"])
    assert "成县" in overview.get_data(as_text=True)
    entry = audit_entries(app, "assessment.create")[0]
    assert entry["actor"] == "team1" and entry["after"] == {"county": "成县", "year": 2026}


def test_a_typed_new_county_is_created_with_its_assessment(app, team):
    response = post(team, "/assessments/new", county_id="", new_county="  徽县 ", year="2025")
    assert response.status_code == 303
    assert _assessments(app) == [("徽县", 2025)]
    assert audit_entries(app, "county.create")[0]["after"] == {"name": "徽县"}


def test_duplicate_county_and_year_is_refused_with_a_clear_message(app, team, counties,
                                                                  assessment_id):
    before = audit_count(app)
    response = post(team, "/assessments/new", county_id=str(counties["武都区"]), new_county="",
                    year="2026")
    assert response.status_code == 422
    assert "武都区 2026年度的考核已经存在" in response.get_data(as_text=True)
    typed = post(team, "/assessments/new", county_id="", new_county="武都区", year="2026")
    assert "已经存在" in typed.get_data(as_text=True)
    assert _assessments(app) == [("武都区", 2026)]
    assert audit_count(app) == before


def test_bad_year_and_missing_county_are_refused(app, team, counties):
    for year in ("1999", "2101", "abc", ""):
        response = post(team, "/assessments/new", county_id=str(counties["文县"]), new_county="",
                        year=year)
        assert response.status_code == 422
        assert "年度：应为 2000 到 2100 之间的整数" in response.get_data(as_text=True)
    none = post(team, "/assessments/new", county_id="", new_county=" ", year="2026")
    assert "请选择已有县区，或输入新县区名称" in none.get_data(as_text=True)
    both = post(team, "/assessments/new", county_id=str(counties["文县"]), new_county="新县",
                year="2026")
    assert "二者只填一项" in both.get_data(as_text=True)
    control = post(team, "/assessments/new", county_id="", new_county="新\n县", year="2026")
    assert control.status_code == 422
    assert "不能包含换行、制表符等控制字符" in control.get_data(as_text=True)
    nul = post(team, "/assessments/new", county_id="", new_county="新\x00县", year="2026")
    assert nul.status_code == 400
    assert "空字符" in nul.get_data(as_text=True)
    assert _assessments(app) == []
    with app.app_context():
        assert get_session().scalar(select(func.count(County.id))) == len(counties)


def test_a_team_account_limited_to_counties_creates_only_for_them(app, counties):
    with app.app_context():
        db = get_session()
        limited = [db.get(County, counties["康县"])]
    client = signed_in(app, "kang", Role.TEAM, counties=limited)
    page = client.get("/assessments/new").get_data(as_text=True)
    assert "康县" in page and "成县" not in page
    refused = post(client, "/assessments/new", county_id=str(counties["成县"]), new_county="",
                   year="2026")
    assert refused.status_code == 422
    assert "您的账号只能为以下县区创建考核：康县" in refused.get_data(as_text=True)
    typed = post(client, "/assessments/new", county_id="", new_county="新设县", year="2026")
    assert typed.status_code == 422
    assert _assessments(app) == []
    allowed = post(client, "/assessments/new", county_id=str(counties["康县"]), new_county="",
                   year="2026")
    assert allowed.status_code == 303
    assert _assessments(app) == [("康县", 2026)]


def test_thousands_of_digits_are_refused_in_the_visitors_language(app, team, counties):
    """Python refuses int() on more than 4,300 digits: the form reads them as not a year."""
    before = audit_count(app)
    digits = "9" * 5000
    year = post(team, "/assessments/new", county_id=str(counties["文县"]), new_county="",
                year=digits)
    assert year.status_code == 422
    page = year.get_data(as_text=True)
    assert f"年度：应为 2000 到 2100 之间的整数，收到“{'9' * 20}…”" in page  # quoted cut short
    county = post(team, "/assessments/new", county_id=digits, new_county="", year="2026")
    assert county.status_code == 422
    assert "县区：所选县区不存在" in county.get_data(as_text=True)
    with team.session_transaction() as session:
        session["lang"] = "en"
    english = post(team, "/assessments/new", county_id=str(counties["文县"]), new_county="",
                   year=digits)
    assert english.status_code == 422
    assert "Year: must be a whole number between 2000 and 2100" in english.get_data(as_text=True)
    assert _assessments(app) == []
    assert audit_count(app) == before
