"""Voter pages. Opening a slip never spends it (STYLE habit 2); only the confirm POST does.

Flask's session cookie is signed, not encrypted: anyone holding the phone, or the cookie, can
read it. So the slip's credential is kept in it encrypted, and dropped once the ballot is
stored; from then on the session holds the voter's tracker, which the thanks page shows.
"""

from __future__ import annotations

import hashlib

from flask import Blueprint, current_app, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from nacl.encoding import URLSafeBase64Encoder
from nacl.exceptions import CryptoError
from nacl.secret import SecretBox
from sqlalchemy.exc import NoResultFound
from werkzeug.wrappers import Response

from ballot.db import get_session
from ballot.errors import render_error
from ballot.redirects import local_path
from ballot.slips.credentials import normalize
from ballot.voting import pages
from ballot.voting.ballot_view import BallotView, ballot_view
from ballot.voting.services import (
    BallotProblem,
    SlipProblem,
    cast_ballot,
    find_slip,
    read_choices,
)

bp = Blueprint("voting", __name__)

#: The slip's credential, encrypted (``_seal``), until the ballot is stored.
SLIP_KEY = "slip"
#: After the vote: [evaluation id, tracker]. Not encrypted: the tracker is shown to the voter
#: and says nothing about the choices, and in clear it gives every voter's cookie after confirm
#: the same length (Flask compresses a cookie when that makes it shorter, which it sometimes
#: does to an encrypted value, so that cookie's length would vary).
VOTED_KEY = "voted"


def _cookie_box() -> SecretBox:
    secret = str(current_app.config["SECRET_KEY"]).encode()
    return SecretBox(hashlib.blake2b(secret, digest_size=32, person=b"slip-cookie").digest())


def _seal(credential: str) -> str:
    """The credential encrypted and authenticated for the session cookie."""
    return _cookie_box().encrypt(credential.encode(), encoder=URLSafeBase64Encoder).decode()


def _credential() -> str | None:
    """The session's credential, or None (none, or not sealed by this server's key)."""
    sealed = session.get(SLIP_KEY)
    if not isinstance(sealed, str):
        return None
    try:
        return _cookie_box().decrypt(sealed.encode(), encoder=URLSafeBase64Encoder).decode()
    except (CryptoError, ValueError):
        return None


def _problem_page(problem: SlipProblem) -> tuple[str, int]:
    pages = {
        "unknown": (404, _("无效的二维码"), _("这张票签的链接无法识别。请检查链接是否完整，或向考核组工作人员求助。")),
        "used": (409, _("此票签已使用"), _("这张票签已经投过票，每张票签只能提交一次。您的选票不会被重复计算。")),
        "not_open": (403, _("测评尚未开始"), _("考核组还没有开始本次测评。请在开始后重新扫描二维码。")),
        "closed": (410, _("测评已结束"), _("本次测评已经结束，不再接受投票。")),
    }
    status, title, message = pages[problem.reason]
    if problem.reason in ("used", "closed"):
        session.pop(SLIP_KEY, None)
    return render_template("voting/problem.html", title=title, message=message), status


def _key() -> str:
    return str(current_app.config["CREDENTIAL_KEY"])


def _start(credential: str | None) -> Response | tuple[str, int]:
    if credential is None:
        return _problem_page(SlipProblem("unknown"))
    try:
        find_slip(get_session(), _key(), credential)
    except SlipProblem as problem:
        return _problem_page(problem)
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    session[SLIP_KEY] = _seal(credential)
    # Redirect so the credential leaves the address bar, the history and any referrer.
    return redirect(url_for("voting.ballot"), code=303)


@bp.get("/s/<path:code>")
def open_slip(code: str) -> ResponseReturnValue:
    """The QR code's target: check the slip, keep it in the session, go to the ballot."""
    return _start(normalize(code))


@bp.route("/", methods=["GET", "POST"], endpoint="index")
@bp.route("/s", methods=["GET", "POST"])
def enter_code() -> ResponseReturnValue:
    """For a phone that cannot scan: type the code printed on the slip."""
    if request.method == "POST":
        credential = normalize(request.form.get("code", ""))
        if credential is None:
            return render_template(
                "voting/enter_code.html", error=_("号码应为 28 位字母和数字，请核对后重新输入。")
            ), 422
        return _start(credential)
    return render_template("voting/enter_code.html", error=None)


def _no_slip_page() -> tuple[str, int]:
    """The session holds no slip's credential: this phone has voted, or has no slip yet."""
    if VOTED_KEY in session:  # this phone has voted: its slip is used
        return _problem_page(SlipProblem("used"))
    page = render_template(
        "voting/problem.html",
        title=_("请先扫描票签"),
        message=_("没有找到您的票签。请用手机重新扫描票签上的二维码。"),
    )
    return page, 400


def _current() -> BallotView | tuple[str, int]:
    """The ballot of the session's slip, or the page saying why there is none to fill in."""
    credential = _credential()
    if credential is None:
        return _no_slip_page()
    db = get_session()
    try:
        return ballot_view(db, find_slip(db, _key(), credential).evaluation_id)
    except SlipProblem as problem:
        return _problem_page(problem)


def _ballot_problem(evaluation: BallotView, problem: BallotProblem) -> tuple[str, int]:
    if problem.code == "over_cap":
        chosen = {m.id: (request.form.get(m.field) or "").rstrip("_") or None
                  for m in evaluation.members}
        message = pages.over_cap_message(problem.details["cap"], problem.details["given"])
        # 200, not 422: a status line of another length would tell the wire "over the cap".
        return pages.ballot_page(evaluation, chosen, message), 200
    return render_error(400, _("选票内容无效"), _("提交的选票包含不存在的被测评人或等次，未保存任何内容。请重新填写。"))


@bp.get("/ballot")
def ballot() -> ResponseReturnValue:
    found = _current()
    if not isinstance(found, BallotView):
        return found
    return pages.fresh_ballot_page(found)


@bp.post("/ballot")
def review() -> ResponseReturnValue:
    """Show the voter's choices for a last look; ``edit`` goes back to the form with them."""
    evaluation = _current()
    if not isinstance(evaluation, BallotView):
        return evaluation
    try:
        choices = read_choices(evaluation, request.form)
    except BallotProblem as problem:
        return _ballot_problem(evaluation, problem)
    if request.form.get("action") == "edit":
        return pages.ballot_page(evaluation, choices.by_member, None)
    return pages.review_page(evaluation, choices)


@bp.post("/ballot/confirm")
def confirm() -> ResponseReturnValue:
    """Spend the slip and store the ballot; a second confirm of the same slip stores nothing."""
    credential = _credential()
    if credential is None:
        return _no_slip_page()
    db = get_session()
    try:
        cast = cast_ballot(db, _key(), credential, request.form)
    except SlipProblem as problem:
        return _problem_page(problem)
    except BallotProblem as problem:
        try:
            evaluation_id = find_slip(db, _key(), credential).evaluation_id
        except SlipProblem as slip_problem:  # closed or used meanwhile
            return _problem_page(slip_problem)
        return _ballot_problem(ballot_view(db, evaluation_id), problem)
    # The credential leaves the session; the tracker tells a repeat submit "already used".
    # The request's unit of work commits the ballot, then closes the evaluation if this was
    # the last unused slip (cast_ballot queued that).
    session.pop(SLIP_KEY)
    session[VOTED_KEY] = [cast.evaluation_id, cast.tracker]
    return redirect(url_for("voting.thanks"), code=303)


@bp.get("/thanks")
def thanks() -> ResponseReturnValue:
    """The voter's tracker, on a page as long as the review page before it."""
    voted = session.get(VOTED_KEY)
    if isinstance(voted, list) and len(voted) == 2 and isinstance(voted[0], int):
        try:
            evaluation = ballot_view(get_session(), voted[0])
        except NoResultFound:
            pass
        else:
            return pages.thanks_page(evaluation, voted[1])
    return render_template("voting/thanks.html", tracker=None)


@bp.get("/lang/<code>")
def set_language(code: str) -> ResponseReturnValue:
    """Switch the interface language and go back to a page of this site."""
    if code in ("zh", "en"):
        session["lang"] = code
    target = local_path(request.args.get("next"))
    if target is None or target.startswith(("/s/", "/sheet/")):
        target = url_for("voting.enter_code")
    return redirect(target, code=303)
