"""Complaints and appeals (A22): recorded, moved on, resolved once, audited; who may do what."""

from __future__ import annotations

import re

from ballot.accounts.models import Office, Role
from ballot.assessments.services import get_or_create_assessment
from ballot.audit.models import AuditEntry, Complaint
from ballot.db import get_session
from tests.conftest import csrf_token, make_user, sign_in


def _assessment(app, county: str = "武都区") -> int:
    with app.app_context():
        db = get_session()
        assessment = get_or_create_assessment(db, county, 2026)
        db.commit()
        return assessment.id


def _client(app, name: str, role: Role, **options):  # type: ignore[no-untyped-def]
    make_user(app, name, role, **options)
    client = app.test_client()
    sign_in(client, name)
    return client


def test_record_investigate_resolve(app, team) -> None:
    aid = _assessment(app)
    url = f"/assessments/{aid}/complaints"
    token = csrf_token(team, url)
    response = team.post(url, data={"csrf_token": token, "kind": "appeal", "raised_by": "",
                                     "summary": "民主测评票数有误"})
    assert response.status_code == 303
    page = team.get(url).get_data(as_text=True)
    assert "民主测评票数有误" in page and "匿名" in page and "待处理" in page
    with app.app_context():
        complaint_id = get_session().query(Complaint.id).scalar()
    status_url = f"{url}/{complaint_id}"
    assert team.post(status_url, data={"csrf_token": token, "status": "investigating",
                                       "version": "0"}).status_code == 303
    no_text = team.post(status_url, data={"csrf_token": token, "status": "resolved",
                                          "version": "1", "resolution": " "})
    assert no_text.status_code == 400 and "必须填写办理结果" in no_text.get_data(as_text=True)
    stale = team.post(status_url, data={"csrf_token": token, "status": "resolved",
                                        "version": "0", "resolution": "核实无误"})
    assert stale.status_code == 400 and "已被他人更新" in stale.get_data(as_text=True)
    assert team.post(status_url, data={"csrf_token": token, "status": "resolved", "version": "1",
                                       "resolution": "经核实，计票无误"}).status_code == 303
    again = team.post(status_url, data={"csrf_token": token, "status": "investigating",
                                        "version": "2"})
    assert again.status_code == 400 and "已办结" in again.get_data(as_text=True)
    page = team.get(url).get_data(as_text=True)
    assert "已办结" in page and "经核实，计票无误" in page
    with app.app_context():
        db = get_session()
        actions = [e.action for e in db.query(AuditEntry).filter(
            AuditEntry.target == f"complaint:{complaint_id}").order_by(AuditEntry.id)]
        assert actions == ["complaint.record", "complaint.status", "complaint.status"]
        assert db.get(Complaint, complaint_id).resolved_by is not None


def test_bad_input_changes_nothing(app, team) -> None:
    aid = _assessment(app)
    url = f"/assessments/{aid}/complaints"
    token = csrf_token(team, url)
    empty = team.post(url, data={"csrf_token": token, "kind": "complaint", "summary": "  "})
    assert empty.status_code == 400 and "内容" in empty.get_data(as_text=True)
    odd = team.post(url, data={"csrf_token": token, "kind": "rumour", "summary": "x"})
    assert odd.status_code == 400 and "rumour" in odd.get_data(as_text=True)
    with app.app_context():
        assert get_session().query(Complaint).count() == 0


def test_observers_and_readers_only_read(app, team) -> None:
    aid = _assessment(app)
    url = f"/assessments/{aid}/complaints"
    token = csrf_token(team, url)
    team.post(url, data={"csrf_token": token, "kind": "complaint", "raised_by": "张某",
                         "summary": "举报材料"})
    observer = _client(app, "watcher", Role.OBSERVER)
    page = observer.get(url).get_data(as_text=True)
    assert "举报材料" in page and 'name="summary"' not in page
    token = csrf_token(observer, url)
    assert observer.post(url, data={"csrf_token": token, "kind": "complaint",
                                    "summary": "x"}).status_code == 403
    assert observer.post(f"{url}/1", data={"csrf_token": token, "status": "investigating",
                                           "version": "0"}).status_code == 403
    reviewer = _client(app, "org", Role.REVIEWER, office=Office.ORGANIZATION)
    assert re.search(r'name="summary"', reviewer.get(url).get_data(as_text=True))


def test_access(app, client) -> None:
    aid = _assessment(app)
    url = f"/assessments/{aid}/complaints"
    assert client.get(url).status_code == 302
    assert _client(app, "scorer1", Role.SCORER).get(url).status_code == 403
    with app.app_context():
        db = get_session()
        elsewhere = get_or_create_assessment(db, "成县", 2026).county
        db.commit()
    assert _client(app, "limited", Role.TEAM, counties=[elsewhere]).get(url).status_code == 403


def test_a_stale_or_made_up_form_is_refused_and_changes_nothing(app, team) -> None:
    aid = _assessment(app)
    url = f"/assessments/{aid}/complaints"
    token = csrf_token(team, url)
    assert team.post(url, data={"csrf_token": token, "kind": "complaint",
                                "summary": "票数有误"}).status_code == 303
    with app.app_context():
        complaint_id = get_session().query(Complaint.id).scalar()
    for version in ("", "abc", "-1", "9" * 5000):
        response = team.post(f"{url}/{complaint_id}", data={
            "csrf_token": token, "status": "investigating", "version": version})
        assert response.status_code == 400, version
        assert "页面已过期" in response.get_data(as_text=True), version
    tab = team.post(url, data={"csrf_token": token, "kind": "complaint",
                               "raised_by": "张\t某", "summary": "x"})
    assert tab.status_code == 400 and "控制字符" in tab.get_data(as_text=True)
    long = team.post(url, data={"csrf_token": token, "kind": "complaint",
                                "raised_by": "张" * 101, "summary": "x"})
    assert long.status_code == 400 and "最多 100 个字" in long.get_data(as_text=True)
    with app.app_context():
        db = get_session()
        assert db.query(Complaint).count() == 1
        assert db.get(Complaint, complaint_id).status == "open"
        assert db.query(AuditEntry).filter_by(action="complaint.status").count() == 0


def test_a_summary_keeps_its_lines(app, team) -> None:
    aid = _assessment(app)
    url = f"/assessments/{aid}/complaints"
    token = csrf_token(team, url)
    assert team.post(url, data={"csrf_token": token, "kind": "appeal",
                                "summary": "第一行\n第二行"}).status_code == 303
    with app.app_context():
        assert get_session().query(Complaint.summary).scalar() == "第一行\n第二行"
