"""Refusals found in review: open redirects, logged links, huge or odd numbers, formula text in
downloads, old sessions after a password change, evaluations after the inputs are locked."""

from __future__ import annotations

import io
import re

import pytest
from openpyxl import load_workbook

from ballot.accounts.models import Role
from ballot.assessments.models import Assessment, Member
from ballot.db import get_session
from ballot.evaluations.models import Kind
from ballot.evaluations.services import EvaluationError, create_evaluation, issue_slips
from ballot.gunicorn_logging import redact_path
from tests.conftest import CREDENTIAL_KEY, csrf_token, make_user, sign_in


@pytest.mark.parametrize("target", ["/\t/evil.example", "//evil.example",
                                    "https://evil.example", "/\\evil.example"])
def test_no_redirect_leaves_the_site(app, client, target):
    assert client.get("/lang/en", query_string={"next": target}).headers["Location"] == "/s"
    make_user(app, "nav", Role.TEAM)
    token = csrf_token(client, "/sign-in")
    response = client.post("/sign-in", query_string={"next": target},
                           data={"csrf_token": token, "username": "nav",
                                 "password": "correct horse battery"})
    assert response.headers["Location"] == "/home"


def test_personal_score_sheet_links_are_not_logged():
    assert redact_path("/sheet/ABCDEFGHJKLMNPQRSTUVWXYZ2345") == "/sheet/<link>"
    assert redact_path("/s/ABCDEFGHJKLMNPQRSTUVWXYZ2345") == "/s/<slip>"
    assert redact_path("//s/ABCDEFGHJKLMNPQRSTUVWXYZ2345") == "/s/<slip>"
    assert redact_path("/static/app.css") is None


def _access_line(log_format: str, path: str) -> str:
    """What RedactingLogger writes for one request, with ``log_format``."""
    import datetime as dt
    from types import SimpleNamespace

    from gunicorn.config import Config

    from ballot.gunicorn_logging import RedactingLogger

    cfg = Config()
    cfg.set("access_log_format", log_format)
    logger = RedactingLogger(cfg)
    environ = {"REMOTE_ADDR": "10.1.2.3", "REQUEST_METHOD": "GET", "RAW_URI": path,
               "PATH_INFO": path, "QUERY_STRING": "", "SERVER_PROTOCOL": "HTTP/1.1",
               "HTTP_USER_AGENT": "Mozilla/5.0 (Phone) MicroMessenger/8.0",
               "HTTP_X_FORWARDED_FOR": "10.9.9.9"}
    request = SimpleNamespace(headers=[("USER-AGENT", environ["HTTP_USER_AGENT"]),
                                       ("X-FORWARDED-FOR", "10.9.9.9")])
    response = SimpleNamespace(status="200 OK", sent=1234, headers=[("Content-Type", "text/html")])
    atoms = logger.atoms_wrapper_class(
        logger.atoms(response, request, environ, dt.timedelta(milliseconds=7)))
    return log_format % atoms


@pytest.mark.parametrize("log_format", [
    '%(h)s %(t)s "%(r)s" %(s)s %(b)s %(M)sms',  # deploy/gunicorn.conf.py
    '%(h)s "%(r)s" %(s)s "%(a)s" %({x-forwarded-for}i)s %({user-agent}i)s %({remote_addr}e)s',
])
def test_access_log_keeps_voters_addresses_devices_and_slips_out(log_format):
    voter = _access_line(log_format, "/s/ABCDEFGHJKLMNPQRSTUVWXYZ2345")
    assert "ABCDEFGHJKLMNPQRSTUVWXYZ2345" not in voter and "/s/<slip>" in voter
    assert "10.1.2.3" not in voter and "10.9.9.9" not in voter and "MicroMessenger" not in voter
    assert " 200 " in voter and "1234" not in voter  # the review page's size varies with choices
    staff = _access_line(log_format, "/home")
    assert staff.startswith("10.1.2.3") and '"GET /home HTTP/1.1" 200' in staff
    if "%(M)s" in log_format:
        assert staff.endswith(" 1234 7ms")


def test_huge_or_odd_numbers_are_refused_not_crashed(app, team, make_evaluation):
    make_user(app, "watcher", Role.OBSERVER)
    observer = app.test_client()
    sign_in(observer, "watcher")
    setup = make_evaluation()
    for url in ("/evaluations/99999999999999999999/", "/assessments/99999999999999999999/results",
                "/counties/99999999999999999999/history"):
        assert team.get(url).status_code == 404, url
    for url in ("/audit?page=%C2%B2", "/audit?assessment=%C2%B2", "/audit?to=9999-12-31",
                "/audit?page=99999999999999999999"):
        assert observer.get(url).status_code < 500, url
    assert team.get("/city?year=%C2%B2").status_code < 500
    token = csrf_token(team, "/home")
    response = team.post(f"/assessments/{setup.assessment_id}/results/decisions",
                         data={"csrf_token": token, "member_id": "99999999999999999999",
                               "kind": "tie", "grade": "competent", "reason": "x"})
    assert response.status_code < 500
    response = team.post(f"/evaluations/{setup.evaluation_id}/slips",
                         data={"csrf_token": token, "count": "99999999999999999999"})
    assert response.status_code == 422


def test_formula_text_in_names_stays_text_in_the_workbook(app, team, make_evaluation):
    setup = make_evaluation()
    with app.app_context():
        db = get_session()
        member = db.get_one(Member, setup.member_ids[0])
        member.name = "=HYPERLINK(\"http://evil\")"
        db.commit()
    body = team.get(f"/assessments/{setup.assessment_id}/report.xlsx").data
    sheet = load_workbook(io.BytesIO(body))["汇总"]
    cells = [c for row in sheet.iter_rows() for c in row if c.value == member.name]
    assert cells and all(c.data_type == "s" for c in cells)
    csv_text = team.get(f"/assessments/{setup.assessment_id}/summary.csv").data.decode("utf-8-sig")
    assert "'=HYPERLINK" in csv_text


def test_a_new_password_ends_sessions_signed_in_with_the_old_one(app):
    make_user(app, "moving", Role.TEAM)
    client = app.test_client()
    sign_in(client, "moving")
    assert client.get("/home").status_code == 200
    with app.app_context():
        from ballot.accounts.models import User
        from ballot.accounts.services import set_password

        db = get_session()
        set_password(db, db.query(User).filter_by(username="moving").one(), "a brand new secret")
        db.commit()
    response = client.get("/home")
    assert response.status_code == 302 and "/sign-in" in response.headers["Location"]


def test_no_evaluation_or_slip_once_inputs_are_locked(app, make_evaluation):
    setup = make_evaluation()
    with app.app_context():
        db = get_session()
        assessment = db.get_one(Assessment, setup.assessment_id)
        assessment.inputs_locked = True
        db.commit()
        with pytest.raises(EvaluationError, match="录入已锁定"):
            create_evaluation(db, assessment, Kind.INTERVIEW)
        from ballot.evaluations.models import Evaluation

        with pytest.raises(EvaluationError, match="录入已锁定"):
            issue_slips(db, db.get_one(Evaluation, setup.evaluation_id), 2, CREDENTIAL_KEY)


def test_a_nul_character_in_any_field_is_refused_before_anything_reads_it(app, client, team,
                                                                           make_evaluation):
    setup = make_evaluation()
    refused = client.post("/s", data={"code": "ABCD\x00EFGH"})
    assert refused.status_code == 400 and "空字符" in refused.get_data(as_text=True)
    assert client.get("/lang/en", query_string={"next": "/\x00"}).status_code == 400
    from sqlalchemy import func, select

    from ballot.evaluations.models import Slip

    def slips() -> int:
        with app.app_context():
            return int(get_session().scalar(select(func.count(Slip.credential_hash)).where(
                Slip.evaluation_id == setup.evaluation_id)) or 0)

    token = csrf_token(team, "/home")
    before = slips()
    response = team.post(f"/evaluations/{setup.evaluation_id}/slips",
                         data={"csrf_token": token, "count": "3\x00"})
    assert response.status_code == 400 and "空字符" in response.get_data(as_text=True)
    assert slips() == before
    assert team.post(f"/evaluations/{setup.evaluation_id}/slips",
                     data={"csrf_token": token, "count": "3"}).status_code < 400
    assert slips() == before + 3  # the same request without the NUL does issue slips


# PostgreSQL cannot store NUL in text at all, so only SQLite could ever hold such a name.
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_slot_markers_in_names_cannot_reach_into_a_cached_page(app, make_evaluation):
    """The ballot and review pages are filled in by replacing marker strings (voting/pages.py);
    a name that holds one, however it got into the database, stays text."""
    from sqlalchemy import update

    from ballot.voting.pages import COUNT_SLOT, FIELDS_SLOT, ROWS_SLOT, TOKEN_SLOT

    setup = make_evaluation()
    forged = "甲" + FIELDS_SLOT + TOKEN_SLOT + ROWS_SLOT + COUNT_SLOT
    with app.app_context():
        db = get_session()
        db.execute(update(Member).where(Member.id == setup.member_ids[0]).values(name=forged))
        db.commit()
    phone = app.test_client()
    assert phone.get(f"/s/{setup.credentials[0]}").status_code == 303
    ballot = phone.get("/ballot").get_data(as_text=True)
    token = csrf_token(phone)
    review = phone.post("/ballot", data={"csrf_token": token,
                                         f"m{setup.member_ids[0]}": "excellent"})
    page = review.get_data(as_text=True)
    for html in (ballot, page):
        assert "甲&lt;\x00fields\x00&gt;&lt;\x00csrf-token\x00&gt;" in html
    assert page.count('type="hidden" name="m') == 2 * len(setup.member_ids)
    # Both forms carry this session's CSRF token, filled in where the slot was. Not compared
    # with the ballot page's: the token is signed with the second of each request, so it
    # differs when a second boundary passes in between. The confirm going through shows it.
    tokens = re.findall(r'name="csrf_token" value="([^"]+)"', page)
    assert len(tokens) == 2 and tokens[0] == tokens[1] and TOKEN_SLOT not in page
    fields = re.findall(r'type="hidden" name="(m\d+)" value="([^"]+)"', page)
    confirmed = phone.post("/ballot/confirm", data={"csrf_token": tokens[0], **dict(fields)})
    assert confirmed.status_code == 303 and confirmed.headers["Location"] == "/thanks"
