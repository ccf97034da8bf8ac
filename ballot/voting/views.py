"""Voter pages. Opening a slip never spends it (STYLE habit 2); only the confirm POST does."""

from __future__ import annotations

from flask import Blueprint, current_app, redirect, render_template, request, session, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup
from werkzeug.wrappers import Response

from ballot.db import get_session
from ballot.errors import render_error
from ballot.evaluations.models import RATING_VALUES
from ballot.evaluations.services import close_if_all_used
from ballot.labels import RATING_LABELS
from ballot.redirects import local_path
from ballot.slips.credentials import normalize
from ballot.voting.ballot_view import BallotView, ballot_view, fragment, keep_fragment
from ballot.voting.services import (
    ABSTAIN,
    BallotProblem,
    Choices,
    SlipProblem,
    cast_ballot,
    find_slip,
    read_choices,
)

bp = Blueprint("voting", __name__)

SLIP_KEY = "slip"


def _problem_page(problem: SlipProblem):  # type: ignore[no-untyped-def]
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
    session[SLIP_KEY] = credential
    # Redirect so the credential leaves the address bar, the history and any referrer.
    return redirect(url_for("voting.ballot"), code=303)


@bp.get("/s/<path:code>")
def open_slip(code: str):  # type: ignore[no-untyped-def]
    """The QR code's target: check the slip, keep it in the session, go to the ballot."""
    return _start(normalize(code))


@bp.route("/", methods=["GET", "POST"], endpoint="index")
@bp.route("/s", methods=["GET", "POST"])
def enter_code():  # type: ignore[no-untyped-def]
    """For a phone that cannot scan: type the code printed on the slip."""
    if request.method == "POST":
        credential = normalize(request.form.get("code", ""))
        if credential is None:
            return render_template(
                "voting/enter_code.html", error=_("号码应为 28 位字母和数字，请核对后重新输入。")
            ), 422
        return _start(credential)
    return render_template("voting/enter_code.html", error=None)


def _current() -> tuple[str, BallotView] | tuple[None, tuple[str, int]]:
    credential = session.get(SLIP_KEY)
    if not credential:
        page = render_template(
            "voting/problem.html",
            title=_("请先扫描票签"),
            message=_("没有找到您的票签。请用手机重新扫描票签上的二维码。"),
        )
        return None, (page, 400)
    db = get_session()
    try:
        return credential, ballot_view(db, find_slip(db, _key(), credential).evaluation_id)
    except SlipProblem as problem:
        return None, _problem_page(problem)


_LABELS: dict[str, dict[str, str]] = {}


def _labels() -> dict[str, str]:
    """The rating names in the visitor's language, translated once per process and language."""
    lang = str(get_locale())
    labels = _LABELS.get(lang)
    if labels is None:
        labels = _LABELS[lang] = {key: str(label) for key, label in RATING_LABELS.items()}
    return labels


def _members_html(evaluation: BallotView, chosen: dict[int, str | None]) -> Markup:
    """The rating buttons of every member, with the voter's earlier choices checked."""
    return Markup(render_template(
        "voting/_members.html", evaluation=evaluation, chosen=chosen, ABSTAIN=ABSTAIN,
        labels=_labels(), ratings=RATING_VALUES,
    ))


def _ballot_page(evaluation: BallotView, chosen: dict[int, str | None], error: str | None,
                 status: int = 200):  # type: ignore[no-untyped-def]
    return render_template(
        "voting/ballot.html", evaluation=evaluation, error=error,
        members_html=_members_html(evaluation, chosen),
    ), status


#: Stands in for the session's CSRF token in a cached page.
_TOKEN_SLOT = "\x00csrf-token\x00"


def _fresh_ballot_page(evaluation: BallotView) -> str:
    """An empty ballot is the same page for every voter of an evaluation in a language but for
    the CSRF token, so it is rendered once per process and the session's token put in."""
    key = ("ballot page", evaluation.id, str(get_locale()))
    page = fragment(get_session(), key)
    if page is None:
        page = Markup(render_template(
            "voting/ballot.html", evaluation=evaluation, error=None,
            members_html=_members_html(evaluation, {}), csrf_token=lambda: _TOKEN_SLOT,
        ))
        keep_fragment(get_session(), key, page)
    return str(page).replace(_TOKEN_SLOT, generate_csrf())


def _ballot_problem(evaluation: BallotView, problem: BallotProblem):  # type: ignore[no-untyped-def]
    if problem.code == "over_cap":
        form = {k: v for k, v in request.form.items() if k.startswith("m")}
        chosen = {m.id: form.get(f"m{m.id}") for m in evaluation.members}
        message = _(
            "每张票最多评 %(cap)s 个“优秀”，您评了 %(given)s 个。请减少后再提交。",
            cap=problem.details["cap"], given=problem.details["given"],
        )
        return _ballot_page(evaluation, chosen, message, 422)
    return render_error(400, _("选票内容无效"), _("提交的选票包含不存在的被测评人或等次，未保存任何内容。请重新填写。"))


@bp.get("/ballot")
def ballot():  # type: ignore[no-untyped-def]
    credential, found = _current()
    if credential is None:
        return found
    return _fresh_ballot_page(found)  # type: ignore[arg-type]


@bp.post("/ballot")
def review():  # type: ignore[no-untyped-def]
    """Show the voter's choices for a last look; ``edit`` goes back to the form with them."""
    credential, found = _current()
    if credential is None:
        return found
    evaluation: BallotView = found  # type: ignore[assignment]
    try:
        choices = read_choices(evaluation, request.form)
    except BallotProblem as problem:
        return _ballot_problem(evaluation, problem)
    if request.form.get("action") == "edit":
        return _ballot_page(evaluation, choices.by_member, None)
    return _review_page(evaluation, choices)


def _review_page(evaluation: BallotView, choices: Choices) -> str:
    """The choices for a last look, and the same choices as hidden fields of the confirm and
    edit forms (built once here rather than by three loops in the template)."""
    labels = _labels()
    rows, fields = [], []
    for member in evaluation.members:
        value = choices.by_member[member.id] or ABSTAIN
        rows.append((member.name, member.position, value, labels[value]))
        fields.append(_HIDDEN.format(member.field, value))
    abstained = sum(1 for value in choices.by_member.values() if value is None)
    return render_template("voting/review.html", evaluation=evaluation, rows=rows,
                           hidden=Markup("").join(fields), abstained=abstained)


_HIDDEN = Markup('<input type="hidden" name="{}" value="{}">')


@bp.post("/ballot/confirm")
def confirm():  # type: ignore[no-untyped-def]
    """Spend the slip and store the ballot; a second confirm of the same slip stores nothing."""
    credential = session.get(SLIP_KEY)
    if not credential:
        return _current()[1]
    db = get_session()
    try:
        cast = cast_ballot(db, _key(), credential, request.form)
    except SlipProblem as problem:
        db.rollback()
        return _problem_page(problem)
    except BallotProblem as problem:
        db.rollback()
        evaluation_id = find_slip(db, _key(), credential).evaluation_id
        return _ballot_problem(ballot_view(db, evaluation_id), problem)
    db.commit()
    # The spent credential stays in the session: a repeat submit is told "already used".
    if cast.last_slip and close_if_all_used(db, cast.evaluation_id):
        db.commit()
    return redirect(url_for("voting.thanks"), code=303)


@bp.get("/thanks")
def thanks():  # type: ignore[no-untyped-def]
    return render_template("voting/thanks.html")


@bp.get("/lang/<code>")
def set_language(code: str):  # type: ignore[no-untyped-def]
    """Switch the interface language and go back to a page of this site."""
    if code in ("zh", "en"):
        session["lang"] = code
    target = local_path(request.args.get("next"))
    if target is None or target.startswith(("/s/", "/sheet/")):
        target = url_for("voting.enter_code")
    return redirect(target, code=303)
