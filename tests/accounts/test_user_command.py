"""``ballot user create``: an account from the shell, refused in the operator's language."""

from __future__ import annotations

import pytest

from ballot.accounts.models import User
from ballot.audit.models import AuditEntry
from ballot.db import get_session


def _accounts(app) -> list[str]:  # type: ignore[no-untyped-def]
    with app.app_context():
        return [u.username for u in get_session().query(User).order_by(User.username)]


def test_creates_an_audited_account(runner, app, monkeypatch) -> None:
    monkeypatch.setenv("BALLOT_LANG", "en")
    result = runner.invoke(args=["user", "create", "Admin1", "--role", "admin",
                                 "--password", "long enough pw"])
    assert result.exit_code == 0, result.output
    assert "account admin1 (admin) created" in result.output
    assert _accounts(app) == ["admin1"]
    with app.app_context():
        assert get_session().query(AuditEntry).filter_by(action="user.create").count() == 1


@pytest.mark.parametrize(("arguments", "english", "chinese"), [
    (["bad name", "--role", "team"], "Username: 2 to 60 lower-case letters", "用户名：2 至 60"),
    (["short", "--role", "team", "--password", "x"], "Password: at least 10 characters",
     "密码：至少 10 个字符"),
    (["org1", "--role", "reviewer"], "Office: a reviewer needs the office",
     "部门：审核人必须选择"),
    (["team1", "--role", "team", "--office", "organization"], "Office: only a reviewer",
     "部门：只有审核人"),
    (["team1", "--role", "team", "--name", "名" * 61], "Name: at most 60 characters",
     "姓名：最多 60 个字"),
])
def test_a_refusal_is_one_line_in_the_operators_language_and_creates_nothing(
        runner, app, monkeypatch, arguments, english, chinese) -> None:
    if "--password" not in arguments:
        arguments = [*arguments, "--password", "long enough pw"]
    for language, message in (("en", english), ("zh_CN.UTF-8", chinese)):
        monkeypatch.setenv("BALLOT_LANG", language)
        result = runner.invoke(args=["user", "create", *arguments])
        assert result.exit_code == 2, result.output
        assert message in result.output, (language, result.output)
    assert _accounts(app) == []


def test_a_taken_name_is_refused(runner, app, monkeypatch) -> None:
    monkeypatch.setenv("BALLOT_LANG", "en")
    arguments = ["user", "create", "same", "--role", "team", "--password", "long enough pw"]
    assert runner.invoke(args=arguments).exit_code == 0
    again = runner.invoke(args=arguments)
    assert again.exit_code == 2 and "Username: “same” is taken" in again.output
    assert _accounts(app) == ["same"]
