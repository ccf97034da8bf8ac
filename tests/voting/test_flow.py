"""A participant's path on a phone: open the slip, rate, review, confirm, and every refusal."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import func, select

from ballot.db import get_session
from ballot.evaluations.models import Ballot, Slip
from tests.conftest import csrf_token, vote


def _stored(app: Flask) -> tuple[int, int, int]:
    """(ballots, encrypted ballots, spent slips) in the database."""
    with app.app_context():
        db = get_session()
        return (
            db.scalar(select(func.count()).select_from(Ballot)) or 0,
            db.scalar(select(func.count()).select_from(Ballot).where(
                Ballot.ciphertext.is_not(None))) or 0,
            db.scalar(select(func.count()).select_from(Slip).where(Slip.spent.is_(True))) or 0,
        )


def test_opening_a_slip_redirects_to_a_url_without_the_credential(client, make_evaluation):
    setup = make_evaluation()
    response = client.get(f"/s/{setup.credentials[0]}")
    assert response.status_code == 303
    assert response.headers["Location"] == "/ballot"
    assert setup.credentials[0] not in response.headers["Location"]
    page = client.get("/ballot").get_data(as_text=True)
    assert setup.credentials[0] not in page


def test_opening_a_slip_any_number_of_times_never_spends_it(app, make_evaluation):
    setup = make_evaluation()
    for _ in range(3):
        scanner = app.test_client()  # a link previewer, a QR scanner, the phone itself
        assert scanner.get(f"/s/{setup.credentials[0]}").status_code == 303
        assert scanner.get("/ballot").status_code == 200
    assert _stored(app) == (0, 0, 0)


def test_typed_code_with_dashes_and_lower_case_opens_the_ballot(client, make_evaluation):
    setup = make_evaluation()
    typed = "-".join(setup.credentials[0][i:i + 4] for i in range(0, 28, 4)).lower()
    token = csrf_token(client, "/s")
    response = client.post("/s", data={"csrf_token": token, "code": typed})
    assert response.status_code == 303 and response.headers["Location"] == "/ballot"


def test_a_mistyped_code_is_explained(client, make_evaluation):
    make_evaluation()
    token = csrf_token(client, "/s")
    response = client.post("/s", data={"csrf_token": token, "code": "ABCD-12"})
    assert response.status_code == 422
    assert "28 位" in response.get_data(as_text=True)


def test_ballot_lists_members_in_order_with_four_ratings_and_abstain(client, make_evaluation):
    setup = make_evaluation()
    client.get(f"/s/{setup.credentials[0]}")
    page = client.get("/ballot").get_data(as_text=True)
    assert page.index("王建国") < page.index("李秀兰") < page.index("陈国华")
    assert "常务副县长" in page and "农业农村" in page
    for label in ("优秀", "称职", "基本称职", "不称职", "弃权"):
        assert label in page
    assert "匿名" in page


def test_full_vote_stores_one_ballot_and_thanks_the_voter(app, client, make_evaluation):
    setup = make_evaluation()
    a, b, c = setup.member_ids
    response = vote(client, setup.credentials[0], {a: "excellent", b: "competent", c: "abstain"})
    assert response.status_code == 303 and response.headers["Location"] == "/thanks"
    assert "投票成功" in client.get("/thanks").get_data(as_text=True)
    assert _stored(app) == (1, 1, 1)


def test_review_shows_choices_and_abstentions_before_anything_is_stored(app, client, make_evaluation):
    setup = make_evaluation()
    a, b, c = setup.member_ids
    client.get(f"/s/{setup.credentials[0]}")
    token = csrf_token(client)
    page = client.post("/ballot", data={"csrf_token": token, f"m{a}": "excellent",
                                        f"m{b}": "basically_competent"}).get_data(as_text=True)
    assert "请核对" in page and "基本称职" in page
    assert "1 位成员未选择等次" in page
    assert _stored(app) == (0, 0, 0)
    back = client.post("/ballot", data={"csrf_token": token, "action": "edit", f"m{a}": "excellent"})
    assert back.status_code == 200
    assert 'value="excellent__________" checked' in back.get_data(as_text=True)


def test_second_submit_of_a_used_slip_stores_nothing_and_says_used(app, make_evaluation):
    setup = make_evaluation()
    a = setup.member_ids[0]
    phone = app.test_client()
    # Another device opens the same slip before it is used.
    other = app.test_client()
    assert other.get(f"/s/{setup.credentials[0]}").status_code == 303
    other_token = csrf_token(other)
    assert vote(phone, setup.credentials[0], {a: "excellent"}).status_code == 303
    # The same tab submits again.
    token = csrf_token(phone, "/s")
    again = phone.post("/ballot/confirm", data={"csrf_token": token, f"m{a}": "incompetent"})
    assert again.status_code == 409 and "已使用" in again.get_data(as_text=True)
    # The other device submits after it was used.
    late = other.post("/ballot/confirm", data={"csrf_token": other_token, f"m{a}": "incompetent"})
    assert late.status_code == 409
    # And scanning it again.
    assert app.test_client().get(f"/s/{setup.credentials[0]}").status_code == 409
    assert _stored(app) == (1, 1, 1)


def test_unknown_and_malformed_credentials_get_a_clear_404(client, make_evaluation):
    setup = make_evaluation()
    unknown = "23456789ABCDEFGHJKLMNPQRSTUV"
    assert unknown not in setup.credentials
    for code in (unknown, "short", "0" * 28, "../../etc/passwd", "%00" * 10):
        response = client.get(f"/s/{code}")
        assert response.status_code == 404, code
        assert "无效的二维码" in response.get_data(as_text=True)


def test_draft_evaluation_says_not_open_yet(client, make_evaluation):
    setup = make_evaluation(state="draft")
    response = client.get(f"/s/{setup.credentials[0]}")
    assert response.status_code == 403 and "尚未开始" in response.get_data(as_text=True)


def test_closed_evaluation_refuses_the_slip_and_a_late_submit(app, make_evaluation, team):
    setup = make_evaluation()
    a = setup.member_ids[0]
    phone = app.test_client()
    phone.get(f"/s/{setup.credentials[0]}")
    token = csrf_token(phone)
    team_token = csrf_token(team, "/home")
    assert team.post(f"/evaluations/{setup.evaluation_id}/close", data={"csrf_token": team_token}).status_code == 303
    late = phone.post("/ballot/confirm", data={"csrf_token": token, f"m{a}": "excellent"})
    assert late.status_code == 410 and "已经结束" in late.get_data(as_text=True)
    assert app.test_client().get(f"/s/{setup.credentials[1]}").status_code == 410
    assert _stored(app) == (0, 0, 0)


def test_ballot_without_a_slip_in_the_session_asks_to_scan(client, make_evaluation):
    make_evaluation()
    response = client.get("/ballot")
    assert response.status_code == 400 and "扫描" in response.get_data(as_text=True)


def test_tampered_forms_get_a_4xx_and_store_nothing(app, make_evaluation):
    setup = make_evaluation()
    a = setup.member_ids[0]
    cases = [
        {f"m{a}": "superb"},              # a rating that does not exist
        {"m999999": "excellent"},         # a member not in this evaluation
        {f"m{a}": "excellent", "mx": "competent"},
    ]
    for tampered in cases:
        phone = app.test_client()
        phone.get(f"/s/{setup.credentials[0]}")
        token = csrf_token(phone)
        for path in ("/ballot", "/ballot/confirm"):
            response = phone.post(path, data={"csrf_token": token, **tampered})
            assert response.status_code == 400, (path, tampered)
            assert "未保存" in response.get_data(as_text=True)
    assert _stored(app) == (0, 0, 0)


def test_missing_csrf_token_is_refused_and_stores_nothing(app, make_evaluation):
    setup = make_evaluation()
    phone = app.test_client()
    phone.get(f"/s/{setup.credentials[0]}")
    app.config["WTF_CSRF_ENABLED"] = True
    response = phone.post("/ballot/confirm", data={f"m{setup.member_ids[0]}": "excellent"})
    assert response.status_code == 400 and "已过期" in response.get_data(as_text=True)
    assert _stored(app) == (0, 0, 0)


def test_excellent_cap_is_stated_and_a_hand_made_post_over_it_is_refused(app, make_evaluation):
    setup = make_evaluation(cap=1)
    a, b, c = setup.member_ids
    phone = app.test_client()
    phone.get(f"/s/{setup.credentials[0]}")
    page = phone.get("/ballot").get_data(as_text=True)
    assert "最多评 1 个“优秀”" in page
    token = csrf_token(phone)
    over = {"csrf_token": token, f"m{a}": "excellent", f"m{b}": "excellent", f"m{c}": "competent"}
    for path in ("/ballot", "/ballot/confirm"):
        response = phone.post(path, data=over)
        assert response.status_code == 200  # one status for every ballot page (test_sizes.py)
        text = response.get_data(as_text=True)
        assert "最多评 1 个“优秀”，您评了 2 个" in text
        assert 'value="competent__________" checked' in text  # the voter's choices are kept
    assert _stored(app) == (0, 0, 0)
    ok = phone.post("/ballot/confirm", data={**over, f"m{b}": "competent"})
    assert ok.status_code == 303


def test_oversized_body_is_refused_with_413(app, make_evaluation):
    setup = make_evaluation()
    phone = app.test_client()
    phone.get(f"/s/{setup.credentials[0]}")
    token = csrf_token(phone)
    response = phone.post("/ballot/confirm", data={"csrf_token": token, "pad": "x" * 200_000})
    assert response.status_code == 413
    assert _stored(app) == (0, 0, 0)


def test_wrong_method_and_unknown_page_are_clear_pages(client, make_evaluation):
    make_evaluation()
    assert client.get("/ballot/confirm").status_code == 405
    response = client.get("/nothing-here")
    assert response.status_code == 404 and "页面不存在" in response.get_data(as_text=True)


def test_english_is_available_and_chinese_is_the_default(app, make_evaluation):
    setup = make_evaluation()
    phone = app.test_client()
    phone.get(f"/s/{setup.credentials[0]}")
    assert "测评票" in phone.get("/ballot").get_data(as_text=True)
    switched = phone.get("/lang/en?next=/ballot")
    assert switched.status_code == 303 and switched.headers["Location"] == "/ballot"
    page = phone.get("/ballot").get_data(as_text=True)
    assert "Excellent" in page and "Basically competent" in page and "anonymous" in page


def test_language_switch_never_redirects_off_site(client):
    for target in ("https://evil.example/", "//evil.example/", "/s/SECRET"):
        response = client.get("/lang/en", query_string={"next": target})
        assert response.status_code == 303
        assert response.headers["Location"] == "/s"
