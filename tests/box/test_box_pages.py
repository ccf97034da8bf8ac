"""The box, published (SPEC "Ballots", verifiability): after close the team, the observer and
anyone with the public link download the same bytes, whose SHA-256 is the digest on the results
page, the projector, the print report and the workbook; they recount to the stored tally; a
voter's tracker shows that their ballot is in the box. Before close nothing of it is shown."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import io
import re
from urllib.parse import quote

from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlalchemy import select

from ballot.accounts.models import Office, Role
from ballot.accounts.services import create_user
from ballot.assessments.models import County
from ballot.audit.models import AuditEntry
from ballot.box.services import digest_blocks
from ballot.db import get_session
from ballot.evaluations.models import Ballot, Evaluation
from ballot.evaluations.services import close_evaluation, results
from ballot.gunicorn_logging import RedactingLogger, redact_path
from tally import box
from tally import cli as tally_cli
from tests.conftest import BASE_URL, PASSWORD, csrf_token, make_user, sign_in, vote

NO_BOX = "无（加密票箱启用前结束）"
#: Five ballots over the three members: the default anonymity floor (5) is met.
BALLOTS = [
    ("excellent", "competent", "abstain"),
    ("excellent", "basically_competent", "competent"),
    ("competent", "incompetent", "abstain"),
    ("basically_competent", "excellent", "excellent"),
    ("excellent", "competent", "incompetent"),
]


def _cast(app: Flask, setup, ballots) -> list[str]:  # type: ignore[no-untyped-def]
    """Vote as phones do; returns the trackers their thank-you pages showed."""
    shown = []
    for credential, ratings in zip(setup.credentials, ballots, strict=False):
        choices = dict(zip(setup.member_ids, ratings, strict=True))
        phone = app.test_client()
        assert vote(phone, credential, choices).status_code == 303
        match = re.search(r'id="tracker">([^<]+)<', _text(phone.get("/thanks")))
        assert match, "the thank-you page shows no tracker"
        shown.append(match.group(1))
    return shown


def _close(app: Flask, evaluation_id: int) -> None:
    with app.app_context():
        db = get_session()
        assert close_evaluation(db, evaluation_id, "team")
        db.commit()


def _closed_meeting(app: Flask, make_evaluation, ballots=BALLOTS):  # type: ignore[no-untyped-def]
    setup = make_evaluation(slips=len(ballots) + 1)
    _cast(app, setup, ballots)
    _close(app, setup.evaluation_id)
    return setup


def _evaluation(app: Flask, evaluation_id: int) -> Evaluation:
    with app.app_context():
        evaluation = get_session().get_one(Evaluation, evaluation_id)
        evaluation.assessment.county.name  # noqa: B018 (loaded for use after the session)
        return evaluation


def _grouped(digest: str, size: int = 8) -> str:
    return " ".join(digest_blocks(digest, size))


def _text(response) -> str:  # type: ignore[no-untyped-def]
    return response.get_data(as_text=True)


def _publish(client: FlaskClient, evaluation_id: int):  # type: ignore[no-untyped-def]
    token = csrf_token(client, f"/evaluations/{evaluation_id}/results")
    return client.post(f"/evaluations/{evaluation_id}/box/link", data={"csrf_token": token})


def _withdraw(client: FlaskClient, evaluation_id: int):  # type: ignore[no-untyped-def]
    token = csrf_token(client, f"/evaluations/{evaluation_id}/results")
    return client.post(f"/evaluations/{evaluation_id}/box/link/withdraw",
                       data={"csrf_token": token})


def _token(app: Flask, evaluation_id: int) -> str | None:
    return _evaluation(app, evaluation_id).box_public_token


def _workbook_cells(client: FlaskClient, assessment_id: int) -> tuple[list[str], list[list]]:
    response = client.get(f"/assessments/{assessment_id}/report.xlsx")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.data))
    rows = [[cell.value for cell in row] for sheet in book for row in sheet.iter_rows()]
    return book.sheetnames, rows


def _ciphertexts(app: Flask, evaluation_id: int) -> list[str]:
    with app.app_context():
        return [base64.b64encode(bytes(c)).decode() for (c,) in get_session().execute(
            select(Ballot.ciphertext).where(Ballot.evaluation_id == evaluation_id,
                                            Ballot.ciphertext.is_not(None)))]


def _trackers(app: Flask, evaluation_id: int) -> list[str]:
    with app.app_context():
        return list(get_session().scalars(
            select(Ballot.tracker).where(Ballot.evaluation_id == evaluation_id)))


def test_the_download_is_the_digest_shown_everywhere_and_recounts_the_tally(
        app, team, make_evaluation, tmp_path, capsys):
    setup = _closed_meeting(app, make_evaluation)
    evaluation = _evaluation(app, setup.evaluation_id)
    digest = evaluation.box_digest
    assert digest and re.fullmatch(r"[0-9a-f]{64}", digest)

    download = team.get(f"/evaluations/{setup.evaluation_id}/box.json")
    assert download.status_code == 200 and download.mimetype == "application/json"
    assert download.is_streamed
    county = evaluation.assessment.county.name
    name = f"box-{county}-2026-democratic-{setup.evaluation_id}.json"
    assert download.headers["Content-Disposition"] == (
        f"attachment; filename=\"box-2026-democratic-{setup.evaluation_id}.json\"; "
        f"filename*=UTF-8''{quote(name)}")
    data = download.data
    assert hashlib.sha256(data).hexdigest() == digest

    # The download recounts to exactly the stored tally.
    verified = box.verify_box(data)
    assert verified.digest == digest
    with app.app_context():
        db = get_session()
        stored = results(db, db.get_one(Evaluation, setup.evaluation_id))
        rows = [((t.excellent, t.competent, t.basically_competent, t.incompetent), t.abstained,
                 t.score) for t in stored]
    assert len(rows) == 3
    assert [(m.counts, m.abstained, None if m.score is None else f"{m.score}")
            for m in verified.members] == rows
    assert (verified.valid_ballots, verified.invalid_ballots) == (5, 0)
    # As a person would check it: the CLI on the saved file prints the same digest.
    saved = tmp_path / "box.json"
    saved.write_bytes(data)
    assert tally_cli.main(["verify-box", str(saved)]) == 0
    assert f"SHA-256   {digest}" in capsys.readouterr().out
    assert rows == [((3, 1, 1, 0), 0, "86.00"), ((1, 2, 1, 1), 0, "62.00"),
                    ((1, 1, 0, 1), 2, "60.00")]

    # The same digest on the results page (blocks of 8), the projector and the print report.
    results_page = _text(team.get(f"/evaluations/{setup.evaluation_id}/results"))
    assert _grouped(digest) in results_page
    assert f'href="/evaluations/{setup.evaluation_id}/box.json"' in results_page
    screen = _text(team.get(f"/evaluations/{setup.evaluation_id}/screen"))
    assert _grouped(digest[:16], 4) in screen and _grouped(digest) in screen
    assert "tally verify-box" in screen
    report = _text(team.get(f"/assessments/{setup.assessment_id}/report"))
    assert _grouped(digest) in report

    # And in the workbook, in Chinese and in English, on the row of its evaluation.
    names, cells = _workbook_cells(team, setup.assessment_id)
    assert "测评票箱" in names
    assert [setup.evaluation_id, digest] == [r for r in cells if digest in r][0][1:6:4]
    team.get("/lang/en", query_string={"next": "/home"})
    names, cells = _workbook_cells(team, setup.assessment_id)
    assert "测评票箱" not in names and "汇总" not in names
    row = [r for r in cells if digest in r][0]
    assert row[0] == "Democratic evaluation" and row[1] == setup.evaluation_id


def test_the_observer_downloads_the_same_bytes_and_non_readers_are_refused(
        app, team, make_evaluation):
    setup = _closed_meeting(app, make_evaluation)
    url = f"/evaluations/{setup.evaluation_id}/box.json"
    expected = team.get(url).data
    for role, options in [(Role.OBSERVER, {}), (Role.REVIEWER, {"office": Office.ORGANIZATION}),
                          (Role.ADMIN, {})]:
        make_user(app, f"reader-{role.value}", role, **options)
        client = app.test_client()
        assert sign_in(client, f"reader-{role.value}").status_code == 303
        assert client.get(url).data == expected, role
    make_user(app, "scorer1", Role.SCORER)
    scorer = app.test_client()
    assert sign_in(scorer, "scorer1").status_code == 303
    refused = scorer.get(url)
    assert refused.status_code == 403 and b'"ciphertext"' not in refused.data
    # A team member limited to another county.
    with app.app_context():
        db = get_session()
        elsewhere = County(name="别的县")
        db.add(elsewhere)
        db.flush()
        create_user(db, "team-elsewhere", PASSWORD, Role.TEAM, counties=[elsewhere])
        db.commit()
    outsider = app.test_client()
    assert sign_in(outsider, "team-elsewhere").status_code == 303
    assert outsider.get(url).status_code == 403
    assert outsider.post(f"/evaluations/{setup.evaluation_id}/box/link",
                         data={"csrf_token": csrf_token(outsider, "/sign-in")}).status_code == 403
    # Signed out: the sign-in page, never the box.
    anonymous = app.test_client().get(url)
    assert anonymous.status_code == 302 and b"ciphertext" not in anonymous.data


def test_the_public_link_works_signed_out_and_can_be_withdrawn(app, team, make_evaluation):
    setup = _closed_meeting(app, make_evaluation)
    evaluation_id = setup.evaluation_id
    before = _text(team.get(f"/evaluations/{evaluation_id}/results"))
    assert "生成公开链接" in before and f"{BASE_URL}/box/" not in before
    made = _publish(team, evaluation_id)
    assert made.status_code == 303
    assert made.headers["Location"].endswith(f"/evaluations/{evaluation_id}/results#box")
    token = _token(app, evaluation_id)
    assert token and re.fullmatch(r"[A-Za-z0-9_-]{43}", token)
    page = _text(team.get(f"/evaluations/{evaluation_id}/results"))
    link = f"{BASE_URL}/box/{token}"
    assert f'href="{link}"' in page and "<svg" in page and "收回公开链接" in page
    assert "生成公开链接" not in page
    # A second click keeps the link already handed out.
    assert _publish(team, evaluation_id).status_code == 303
    assert _token(app, evaluation_id) == token

    evaluation = _evaluation(app, evaluation_id)
    public = app.test_client()  # signed out
    shown = public.get(f"/box/{token}")
    assert shown.status_code == 200
    text = _text(shown)
    assert evaluation.assessment.county.name in text and "2026" in text and "民主测评" in text
    assert _grouped(evaluation.box_digest) in text
    assert "有效票 5 张，无效票 0 张" in text
    assert "王建国" in text and "86.00" in text and "优秀 3" in text
    assert f'href="/box/{token}.json"' in text and "tally verify-box box.json" in text
    assert "docs/box-format.md" in text
    downloaded = public.get(f"/box/{token}.json")
    assert downloaded.status_code == 200
    assert downloaded.data == team.get(f"/evaluations/{evaluation_id}/box.json").data
    assert "attachment" in downloaded.headers["Content-Disposition"]

    assert _withdraw(team, evaluation_id).status_code == 303
    assert _token(app, evaluation_id) is None
    for url in (f"/box/{token}", f"/box/{token}.json"):
        gone = public.get(url)
        assert gone.status_code == 404, url
        assert "票箱链接无效" in _text(gone) and "ciphertext" not in _text(gone)
    assert "生成公开链接" in _text(team.get(f"/evaluations/{evaluation_id}/results"))
    # A new link is a new address: the withdrawn one stays dead.
    assert _publish(team, evaluation_id).status_code == 303
    assert _token(app, evaluation_id) not in (None, token)
    assert public.get(f"/box/{token}").status_code == 404
    with app.app_context():
        actions = list(get_session().scalars(
            select(AuditEntry.action).where(AuditEntry.target == f"evaluation:{evaluation_id}",
                                            AuditEntry.action.like("box.%"))
            .order_by(AuditEntry.id)))
    assert actions == ["box.publish", "box.withdraw", "box.publish"]


def test_made_up_or_malformed_public_links_are_a_chinese_404(app, client):
    for url in ("/box/x", "/box/" + "A" * 43, "/box/" + "A" * 43 + ".json", "/box/%00"):
        response = client.get(url)
        assert response.status_code in (400, 404), url
        assert "页面" in _text(response) or "链接" in _text(response)
    assert "票箱链接无效" in _text(client.get("/box/" + "A" * 43))


def test_a_voter_finds_their_tracker_and_not_a_made_up_one(app, team, make_evaluation):
    setup = make_evaluation(slips=6)
    shown = _cast(app, setup, BALLOTS)
    _close(app, setup.evaluation_id)
    _publish(team, setup.evaluation_id)
    token = _token(app, setup.evaluation_id)
    trackers = _trackers(app, setup.evaluation_id)
    # What each voter was shown is what the box holds (in another order).
    assert sorted(shown) == sorted(trackers) and len(set(trackers)) == 5
    assert all(box.normalize_tracker(t) == t for t in trackers)
    public = app.test_client()
    for tracker in trackers:
        # Typed as a person would: lower case, without the dash, with spaces around.
        typed = f" {tracker.replace('-', '').lower()} "
        found = public.get(f"/box/{token}", query_string={"tracker": typed})
        assert found.status_code == 200
        assert "您的选票在票箱中" in _text(found) and tracker in _text(found)
        assert "票箱中没有这个核验码" not in _text(found)
    made_up = next(t for t in ("ZZZZZ-ZZZZZ", "22222-22222", "ABCDE-FGHJK")
                   if t not in trackers)
    missing = public.get(f"/box/{token}", query_string={"tracker": made_up})
    assert missing.status_code == 200
    assert "票箱中没有这个核验码" in _text(missing) and "您的选票在票箱中" not in _text(missing)
    for typed in ("hello", "ABCDE-FGHJ", "ABCDE-FGHJO", "<script>", "A" * 500):
        malformed = public.get(f"/box/{token}", query_string={"tracker": typed})
        assert malformed.status_code == 400, typed
        assert "不是有效的选票核验码" in _text(malformed)
        assert "<script>" not in _text(malformed)
    empty = public.get(f"/box/{token}", query_string={"tracker": ""})
    assert empty.status_code == 200 and "请输入选票核验码" in _text(empty)


def test_before_close_every_box_url_is_refused_and_shows_no_ciphertext(
        app, team, make_evaluation):
    setup = make_evaluation(slips=6)
    _cast(app, setup, BALLOTS[:5])
    ciphertexts = _ciphertexts(app, setup.evaluation_id)
    assert len(ciphertexts) == 5
    evaluation_id = setup.evaluation_id
    refused = team.get(f"/evaluations/{evaluation_id}/box.json")
    assert refused.status_code == 409 and "测评尚未结束，票箱不公开" in _text(refused)
    published = _publish(team, evaluation_id)
    assert published.status_code == 409 and "测评尚未结束，票箱不公开" in _text(published)
    assert _token(app, evaluation_id) is None
    pages = [refused, published, team.get(f"/evaluations/{evaluation_id}/results"),
             team.get(f"/evaluations/{evaluation_id}/screen"),
             team.get(f"/assessments/{setup.assessment_id}/report")]
    for page in pages:
        text = _text(page)
        assert not any(c in text or c[:40] in text for c in ciphertexts)
        assert "生成公开链接" not in text and "SHA-256" not in text
    # A draft, too.
    draft = make_evaluation(slips=2, state="draft")
    assert team.get(f"/evaluations/{draft.evaluation_id}/box.json").status_code == 409


def test_a_get_never_creates_or_withdraws_a_link(app, team, make_evaluation):
    setup = _closed_meeting(app, make_evaluation)
    evaluation_id = setup.evaluation_id
    for url in (f"/evaluations/{evaluation_id}/box/link",
                f"/evaluations/{evaluation_id}/box/link/withdraw"):
        assert team.get(url).status_code == 405
    team.get(f"/evaluations/{evaluation_id}/results")
    team.get(f"/evaluations/{evaluation_id}/box.json")
    assert _token(app, evaluation_id) is None
    _publish(team, evaluation_id)
    token = _token(app, evaluation_id)
    app.test_client().get(f"/box/{token}", query_string={"tracker": "ABCDE-FGHJK"})
    team.get(f"/evaluations/{evaluation_id}/box/link/withdraw")
    assert _token(app, evaluation_id) == token


def test_only_the_team_makes_or_withdraws_the_link(app, team, make_evaluation):
    setup = _closed_meeting(app, make_evaluation)
    make_user(app, "watcher", Role.OBSERVER)
    observer = app.test_client()
    assert sign_in(observer, "watcher").status_code == 303
    page = _text(observer.get(f"/evaluations/{setup.evaluation_id}/results"))
    assert "生成公开链接" not in page and _grouped(_evaluation(app, setup.evaluation_id)
                                                     .box_digest) in page
    assert _publish(observer, setup.evaluation_id).status_code == 403
    assert _token(app, setup.evaluation_id) is None
    _publish(team, setup.evaluation_id)
    token = _token(app, setup.evaluation_id)
    page = _text(observer.get(f"/evaluations/{setup.evaluation_id}/results"))
    assert f"/box/{token}" in page and "收回公开链接" not in page
    assert _withdraw(observer, setup.evaluation_id).status_code == 403
    assert _token(app, setup.evaluation_id) == token


def test_withheld_counts_withhold_the_box_but_not_the_tracker(app, team, make_evaluation):
    """Three valid ballots, below the default floor of five (SPEC "anonymity floor")."""
    setup = _closed_meeting(app, make_evaluation, BALLOTS[:3])
    evaluation_id = setup.evaluation_id
    evaluation = _evaluation(app, evaluation_id)
    assert evaluation.counts_withheld and evaluation.box_digest
    refused = team.get(f"/evaluations/{evaluation_id}/box.json")
    assert refused.status_code == 403 and "匿名下限" in _text(refused)
    assert b"ciphertext" not in refused.data
    # The withheld results page still names the box by its digest, and offers the public link.
    results_page = _text(team.get(f"/evaluations/{evaluation_id}/results"))
    assert _grouped(evaluation.box_digest) in results_page and "生成公开链接" in results_page
    assert _publish(team, evaluation_id).status_code == 303
    token = _token(app, evaluation_id)
    public = app.test_client()
    page = _text(public.get(f"/box/{token}"))
    assert "暂不公开" in page and _grouped(evaluation.box_digest) in page
    assert "王建国" not in page and f"/box/{token}.json" not in page
    assert public.get(f"/box/{token}.json").status_code == 403
    tracker = _trackers(app, evaluation_id)[0]
    assert "您的选票在票箱中" in _text(public.get(f"/box/{token}", query_string={"tracker": tracker}))
    # Once the team records its decision to publish, the box downloads.
    with app.app_context():
        db = get_session()
        db.get_one(Evaluation, evaluation_id).counts_published_at = dt.datetime(2026, 12, 1)
        db.commit()
    download = public.get(f"/box/{token}.json")
    assert download.status_code == 200
    assert hashlib.sha256(download.data).hexdigest() == evaluation.box_digest
    assert "王建国" in _text(public.get(f"/box/{token}"))


def test_an_evaluation_closed_before_the_box_has_none_anywhere(app, team, make_evaluation):
    setup = _closed_meeting(app, make_evaluation)
    with app.app_context():
        db = get_session()
        evaluation = db.get_one(Evaluation, setup.evaluation_id)
        evaluation.box_header = evaluation.box_result = evaluation.box_digest = None
        db.commit()
    refused = team.get(f"/evaluations/{setup.evaluation_id}/box.json")
    assert refused.status_code == 409 and "加密票箱启用前" in _text(refused)
    assert _publish(team, setup.evaluation_id).status_code == 409
    assert _token(app, setup.evaluation_id) is None
    for url in (f"/evaluations/{setup.evaluation_id}/results",
                f"/evaluations/{setup.evaluation_id}/screen",
                f"/assessments/{setup.assessment_id}/report"):
        page = _text(team.get(url))
        assert NO_BOX in page, url
        assert "生成公开链接" not in page
    _, cells = _workbook_cells(team, setup.assessment_id)
    assert [setup.evaluation_id, NO_BOX] == [r for r in cells if NO_BOX in r][0][1:6:4]


def test_box_links_and_looked_up_trackers_are_not_logged():
    assert redact_path("/box/" + "A" * 43) == "/box/<link>"
    assert redact_path("/box/" + "A" * 43 + ".json") == "/box/<link>.json"
    from gunicorn.config import Config

    cfg = Config()
    cfg.set("access_log_format", '%(h)s %(t)s "%(r)s" %(s)s %(b)s %(q)s %(M)sms')
    logger = RedactingLogger(cfg)
    path = "/box/" + "B" * 43
    environ = {"REMOTE_ADDR": "10.1.2.3", "REQUEST_METHOD": "GET",
               "RAW_URI": f"{path}?tracker=ABCDE-FGHJK", "PATH_INFO": path,
               "QUERY_STRING": "tracker=ABCDE-FGHJK", "SERVER_PROTOCOL": "HTTP/1.1"}
    from types import SimpleNamespace

    response = SimpleNamespace(status="200 OK", sent=1234, headers=[])
    atoms = logger.atoms_wrapper_class(logger.atoms(
        response, SimpleNamespace(headers=[]), environ, dt.timedelta(milliseconds=3)))
    line = cfg.access_log_format % atoms
    assert "/box/<link>" in line and "B" * 43 not in line
    assert "ABCDE" not in line and "10.1.2.3" not in line


def test_a_refused_link_is_a_refusal_of_the_wrong_state(app, make_evaluation):
    from ballot.box.services import BoxLinkError, publish_link
    from ballot.errors import Refusal

    setup = make_evaluation(slips=2)
    with app.app_context():
        db = get_session()
        evaluation = db.get(Evaluation, setup.evaluation_id)
        try:
            publish_link(db, evaluation, actor=None)
        except BoxLinkError as refusal:
            assert isinstance(refusal, Refusal) and refusal.status == 409
            assert refusal.reason == "not_closed" and "测评尚未结束" in str(refusal)
        else:
            raise AssertionError("an open evaluation's box got a public link")
        db.rollback()
        assert db.query(AuditEntry).filter_by(action="box.publish").count() == 0
