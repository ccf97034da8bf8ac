"""Who may open and change the setup and P/T pages."""

from __future__ import annotations

import pytest

from ballot.accounts.models import Role
from tests.assessments.conftest import post

CHANGES = [
    ("/assessments/new", {"county_id": "", "new_county": "新县", "year": "2026"}),
    ("/assessments/{id}/roster", {}),
    ("/assessments/{id}/settings", {"other_cadres_count": "3", "other_cadres_excellent": "0",
                                    "decimals": "2"}),
    ("/assessments/{id}/evaluations", {"kind": "democratic"}),
    ("/county-scores/save", {"year": "2026"}),
    ("/county-scores/import", {"year": "2026"}),
    ("/county-scores/counties", {"year": "2026", "name": "新县"}),
]
PAGES = ["/assessments/new", "/assessments/{id}/roster", "/assessments/roster-template.xlsx",
         "/assessments/roster-template.csv", "/county-scores", "/county-scores?year=2025",
         "/county-scores/template.xlsx", "/county-scores/template.csv"]


def test_every_page_opens_for_a_team_member(team, assessment_id):
    for path in PAGES:
        response = team.get(path.format(id=assessment_id))
        assert response.status_code == 200, path


def test_anonymous_visitors_are_sent_to_sign_in(client, assessment_id):
    for path in PAGES:
        response = client.get(path.format(id=assessment_id))
        assert response.status_code == 302, path
        assert response.headers["Location"].startswith("/sign-in"), path
    for path, _form in CHANGES:
        response = client.post(path.format(id=assessment_id))
        # CSRF is checked first for anonymous POSTs: refused either way, nothing changes.
        assert response.status_code in (302, 400), path


@pytest.mark.parametrize("role", [Role.SCORER, Role.OBSERVER, Role.REVIEWER])
def test_other_roles_cannot_change_anything(app, as_role, role, assessment_id):
    client = as_role(role)
    for path, form in CHANGES:
        response = post(client, path.format(id=assessment_id), **form)
        assert response.status_code == 403, (role, path)
    assert client.get("/assessments/new").status_code == 403


@pytest.mark.parametrize("role", [Role.OBSERVER, Role.REVIEWER])
def test_readers_see_the_roster_and_scores_without_forms(as_role, role, assessment_id):
    client = as_role(role)
    roster = client.get(f"/assessments/{assessment_id}/roster").get_data(as_text=True)
    assert "被考核成员" in roster and "上传并替换名单" not in roster and "保存设置" not in roster
    scores = client.get("/county-scores").get_data(as_text=True)
    assert "武都区" in scores and "保存整张表" not in scores and "添加县区" not in scores


def test_scorers_cannot_read_the_setup_pages(as_role, assessment_id):
    client = as_role(Role.SCORER)
    assert client.get(f"/assessments/{assessment_id}/roster").status_code == 403
    assert client.get("/county-scores").status_code == 403
