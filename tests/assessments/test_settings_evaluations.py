"""The assessment's settings (A11.6, A13) and evaluations started from the roster (A11.3)."""

from __future__ import annotations

import datetime as dt

import pytest

from ballot.assessments.models import Assessment
from ballot.assessments.services import RosterRow, import_roster
from ballot.db import get_session
from ballot.evaluations.models import Evaluation
from tests.assessments.conftest import audit_count, audit_entries, post

GOOD = {"other_cadres_count": "6", "other_cadres_excellent": "1", "quota_ratio": "18%",
        "quota_reason": "连续两年实绩靠前", "excellent_cap": "2", "decimals": "2"}


@pytest.fixture
def roster(app, assessment_id):  # type: ignore[no-untyped-def]
    with app.app_context():
        db = get_session()
        import_roster(db, db.get(Assessment, assessment_id), [
            RosterRow("王建国", "县委副书记", "党建", 1), RosterRow("李秀兰", "常务副县长", "财政", 2),
            RosterRow("陈国华", "副县长", "农业农村", 3)], actor=None)
        db.commit()
    return assessment_id


def _settings(app, assessment_id):  # type: ignore[no-untyped-def]
    with app.app_context():
        a = get_session().get(Assessment, assessment_id)
        return (a.other_cadres_count, a.other_cadres_excellent, a.quota_ratio, a.quota_reason,
                a.excellent_cap, a.decimals)


def test_settings_are_saved_and_audited_with_before_and_after(app, team, roster):
    response = post(team, f"/assessments/{roster}/settings", **GOOD)
    assert response.status_code == 303
    assert _settings(app, roster) == (6, 1, "0.18", "连续两年实绩靠前", 2, 2)
    assert "设置已保存" in team.get(response.headers["Location"]).get_data(as_text=True)
    entry = audit_entries(app, "assessment.settings")[0]
    assert entry["before"] == {"other_cadres_count": 0, "other_cadres_excellent": 0,
                               "quota_ratio": None, "quota_reason": None, "excellent_cap": None}
    assert entry["after"]["quota_ratio"] == "0.18" and entry["after"]["excellent_cap"] == 2
    # Clearing the ratio goes back to A13 and drops the reason; unchanged fields are not logged.
    cleared = post(team, f"/assessments/{roster}/settings", **{**GOOD, "quota_ratio": ""})
    assert cleared.status_code == 303
    assert _settings(app, roster)[2:4] == (None, None)
    last = audit_entries(app, "assessment.settings")[-1]
    assert set(last["after"]) == {"quota_ratio", "quota_reason"}


BAD_SETTINGS = [
    ({"other_cadres_count": "-1"}, "其他县级干部人数：应为 0 到 1000 的整数，实际为“-1”"),
    ({"other_cadres_excellent": "7"}, "其他县级干部已评优秀人数：应为 0 到 6 的整数，实际为“7”"),
    ({"quota_ratio": "0.25"}, "本考核优秀比例：应大于 0 且不超过 0.20"),
    ({"quota_ratio": "0"}, "本考核优秀比例：应大于 0"),
    ({"quota_ratio": "abc"}, "本考核优秀比例：不是数字：“abc”"),
    ({"quota_reason": ""}, "自定优秀比例时必须填写理由"),
    ({"excellent_cap": "4"}, "每张选票优秀票上限：应为 0 到 3 的整数，实际为“4”"),
    ({"decimals": "5"}, "保留小数位数：应为 0 到 4 的整数，实际为“5”"),
    # Thousands of digits (Python refuses int() on more than 4,300): refused, never a 500.
    ({"other_cadres_count": "9" * 5000}, "其他县级干部人数：应为 0 到 1000 的整数，实际为“99999"),
    ({"other_cadres_excellent": "9" * 5000}, "其他县级干部已评优秀人数：应为 0 到 6 的整数"),
    ({"excellent_cap": "9" * 5000}, "每张选票优秀票上限：应为 0 到 3 的整数"),
    ({"decimals": "9" * 5000}, "保留小数位数：应为 0 到 4 的整数"),
    ({"anonymity_floor": "9" * 5000}, "匿名下限：应为 3 到 1000 的整数"),
    ({"anonymity_floor": ""}, "匿名下限：应为 3 到 1000 的整数"),
    ({"quota_ratio": "9" * 5000}, "本考核优秀比例：不是数字"),
    ({"quota_ratio": "0.12345"}, "本考核优秀比例：最多四位小数"),
    ({"quota_ratio": "1e-1"}, "本考核优秀比例：不是数字：“1e-1”"),
    ({"quota_reason": "理" * 501}, "确定比例的理由：不能超过 500 个字"),
]


@pytest.mark.parametrize("change,message", BAD_SETTINGS, ids=[m for _c, m in BAD_SETTINGS])
def test_bad_settings_change_nothing(app, team, roster, change, message):
    before, entries = _settings(app, roster), audit_count(app)
    response = post(team, f"/assessments/{roster}/settings", **{**GOOD, **change})
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert _settings(app, roster) == before
    assert audit_count(app) == entries


def test_settings_are_refused_once_inputs_are_locked(app, team, roster):
    with app.app_context():
        db = get_session()
        db.get(Assessment, roster).inputs_locked = True
        db.commit()
    response = post(team, f"/assessments/{roster}/settings", **GOOD)
    assert response.status_code == 422
    assert "设置不能再修改" in response.get_data(as_text=True)
    assert _settings(app, roster) == (0, 0, None, None, None, 2)


def test_an_evaluation_is_created_from_the_roster(app, team, roster):
    assert post(team, f"/assessments/{roster}/settings", **GOOD).status_code == 303
    page = team.get(f"/assessments/{roster}/roster").get_data(as_text=True)
    assert 'name="excellent_cap" type="number" min="0" max="3" placeholder="留空：不限" value="2"' \
        in page  # the form offers the assessment's default cap
    response = post(team, f"/assessments/{roster}/evaluations", kind="interview",
                    excellent_cap="1", closes_at="2099-12-01T11:30")
    assert response.status_code == 303
    with app.app_context():
        evaluation = get_session().query(Evaluation).one()
        assert (evaluation.kind, evaluation.excellent_cap, evaluation.state) == \
            ("interview", 1, "draft")
        # 11:30 Beijing time is 03:30 UTC, stored naive.
        assert evaluation.closes_at == dt.datetime(2099, 12, 1, 3, 30)
    assert response.headers["Location"] == f"/evaluations/{evaluation.id}/"
    assert audit_entries(app, "evaluation.create")[0]["actor"] == "team1"


@pytest.mark.parametrize("form,message", [
    ({"kind": "vote"}, "测评类型：请选择民主测评或个别谈话"),
    ({"kind": "democratic", "excellent_cap": "9"}, "每张选票优秀票上限：应为 0 到 3 的整数"),
    ({"kind": "democratic", "closes_at": "2001-01-01T09:00"}, "2001-01-01 09:00 已经过去"),
    ({"kind": "democratic", "closes_at": "明天"}, "结束时间：格式应为"),
    ({"kind": "democratic", "excellent_cap": "9" * 5000}, "每张选票优秀票上限：应为 0 到 3 的整数"),
    ({"kind": "democratic", "closes_at": "2" * 5000}, "结束时间：格式应为"),
    ({"kind": "democratic", "closes_at": "9999-12-01T11:30"}, "结束时间：格式应为"),
    ({"kind": "", "excellent_cap": "x"}, "测评类型：请选择民主测评或个别谈话"),
])
def test_bad_evaluation_input_creates_nothing(app, team, roster, form, message):
    entries = audit_count(app)
    response = post(team, f"/assessments/{roster}/evaluations", **form)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert get_session().query(Evaluation).count() == 0
    assert audit_count(app) == entries


def test_no_evaluation_without_a_roster(app, team, assessment_id):
    page = team.get(f"/assessments/{assessment_id}/roster").get_data(as_text=True)
    assert "名单为空：请先导入被考核成员名单" in page
    response = post(team, f"/assessments/{assessment_id}/evaluations", kind="democratic")
    assert response.status_code == 422
    assert "名单为空：请先导入被考核成员名单，再创建测评" in response.get_data(as_text=True)
    with app.app_context():
        assert get_session().query(Evaluation).count() == 0
