"""The audit log page (A21): filters, pages, the chain banner; tampering and the triggers."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from ballot.accounts.models import Role
from ballot.assessments.services import get_or_create_assessment
from ballot.audit.cli import audit_group
from ballot.audit.services import record
from ballot.db import get_session
from tests.conftest import make_user, sign_in


def _entries(app, count: int, action: str = "test.step", assessment: bool = False) -> int | None:
    with app.app_context():
        db = get_session()
        assessment_id = get_or_create_assessment(db, "武都区", 2026).id if assessment else None
        for index in range(count):
            record(db, action, actor=None, assessment_id=assessment_id, target=f"t:{index}",
                   after={"n": index, "名称": "甲"})
        db.commit()
        return assessment_id


def _client(app, role: Role):  # type: ignore[no-untyped-def]
    make_user(app, role.value, role)
    client = app.test_client()
    sign_in(client, role.value)
    return client


def test_filters_pages_and_pretty_json(app) -> None:
    _entries(app, 60, "score.set")
    assessment_id = _entries(app, 3, "complaint.record", assessment=True)
    client = _client(app, Role.OBSERVER)
    page = client.get("/audit").get_data(as_text=True)
    assert "哈希链校验通过" in page
    assert page.count("<tr>") - 1 == 50
    assert "第 1 / 2 页" in page and "/audit?page=2" in page
    second = client.get("/audit?page=2").get_data(as_text=True)
    total = 50 + second.count("<code>")
    assert "第 2 / 2 页" in second and total == int(re.search(r"符合条件 (\d+) 条", page)[1]) > 60
    only = client.get("/audit?action=complaint").get_data(as_text=True)
    assert only.count("<code>complaint.record</code>") == 3 and "score.set" not in only
    assert "&#34;名称&#34;: &#34;甲&#34;" in only or '"名称": "甲"' in only
    by_assessment = client.get(f"/audit?assessment={assessment_id}").get_data(as_text=True)
    assert by_assessment.count("<code>") == 3
    assert client.get("/audit?account=nobody").get_data(as_text=True).count("<code>") == 0
    assert client.get("/audit?account=system&action=score").get_data(as_text=True).count(
        "<code>") == 50
    assert client.get("/audit?from=2000-01-01&to=2000-12-31").get_data(as_text=True).count(
        "<code>") == 0
    bad = client.get("/audit?from=yesterday")
    assert bad.status_code == 400 and "yesterday" in bad.get_data(as_text=True)


@pytest.mark.parametrize("query", [
    {"assessment": "9" * 5000}, {"assessment": "x"}, {"assessment": "0"},
    {"from": "9" * 5000}, {"to": "2026-02-30"}, {"from": "1999-12-31"},
    {"action": "a" * 61}, {"account": "root\x01"},
])
def test_a_bad_filter_is_a_clear_400_in_the_visitors_language(app, query) -> None:
    _entries(app, 2)
    client = _client(app, Role.OBSERVER)
    for language, words in (("zh", ("考核编号", "起始日期", "截止日期", "操作", "账号")),
                            ("en", ("Assessment no.", "From date", "To date", "Action",
                                    "Account"))):
        with client.session_transaction() as session:
            session["lang"] = language
        response = client.get("/audit", query_string=query)
        assert response.status_code == 400, query
        page = response.get_data(as_text=True)
        assert any(f'class="error">{word}' in page for word in words), (language, page)
        assert "<code>test.step</code>" not in page


def test_dates_are_beijing_days(app, monkeypatch) -> None:
    # 2026-03-01 23:30 in Beijing is 15:30 UTC: the entry belongs to 1 March, not to 2 March.
    monkeypatch.setattr("ballot.audit.services.utcnow", lambda: dt.datetime(2026, 3, 1, 15, 30))
    _entries(app, 1, "late.entry")
    monkeypatch.undo()
    client = _client(app, Role.OBSERVER)
    first = client.get("/audit?from=2026-03-01&to=2026-03-01").get_data(as_text=True)
    assert "<code>late.entry</code>" in first and "2026-03-01 23:30:00" in first
    second = client.get("/audit?from=2026-03-02").get_data(as_text=True)
    assert "<code>late.entry</code>" not in second


def test_newest_first(app) -> None:
    _entries(app, 2)
    page = _client(app, Role.ADMIN).get("/audit").get_data(as_text=True)
    assert page.index("t:1") < page.index("t:0")


def test_only_admin_and_observer(app, client) -> None:
    assert client.get("/audit").status_code == 302
    for role in (Role.TEAM, Role.SCORER):
        assert _client(app, role).get("/audit").status_code == 403


def _tamper(db) -> None:  # type: ignore[no-untyped-def]
    if db.get_bind().dialect.name == "sqlite":
        db.execute(text("DROP TRIGGER audit_entry_no_update"))
    else:
        db.execute(text("ALTER TABLE audit_entry DISABLE TRIGGER audit_entry_no_change"))
    db.execute(text("UPDATE audit_entry SET after = '{\"n\": 99}' WHERE target = 't:1'"))
    db.commit()


def test_tampering_is_reported_by_the_page_and_the_command(app) -> None:
    app.cli.add_command(audit_group)
    runner = app.test_cli_runner()
    _entries(app, 3)
    intact = runner.invoke(args=["audit", "verify"])
    assert intact.exit_code == 0 and "audit log intact: 3 entries" in intact.output
    with app.app_context():
        _tamper(get_session())
    broken = runner.invoke(args=["audit", "verify"])
    assert broken.exit_code == 1 and "entry 2 (test.step" in broken.output
    page = _client(app, Role.OBSERVER).get("/audit?verify=1").get_data(as_text=True)
    assert "哈希链校验失败" in page and "第 2 条（test.step" in page and "entry 2" not in page


@pytest.mark.parametrize("statement", [
    "UPDATE audit_entry SET actor = 'someone'", "DELETE FROM audit_entry"])
def test_the_database_refuses_changes_to_the_log(app, statement) -> None:
    _entries(app, 1)
    with app.app_context():
        db = get_session()
        with pytest.raises(DBAPIError, match="append-only"):
            db.execute(text(statement))
        db.rollback()
        assert db.execute(text("SELECT count(*) FROM audit_entry")).scalar() == 1
