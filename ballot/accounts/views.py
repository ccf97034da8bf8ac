"""Sign in and out."""

from __future__ import annotations

import time

from flask import Blueprint, g, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from ballot.accounts.access import current_user, password_mark
from ballot.accounts.forms import SignInForm
from ballot.accounts.services import TooManyAttempts, authenticate
from ballot.audit.services import record
from ballot.db import get_session
from ballot.redirects import local_path

bp = Blueprint("accounts", __name__)


def _safe_next(target: str | None) -> str:
    return local_path(target) or url_for("workspace.home")


@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in() -> ResponseReturnValue:
    """The sign-in page. A failed sign-in answers 401 (429 once limited), so the request's unit
    of work rolls back; the failure itself is counted apart (``authenticate``)."""
    error = None
    status = 200
    if g.get("session_expired"):
        error = _("您已长时间未操作，请重新登录。")
    if request.method == "POST":
        db = get_session()
        form = SignInForm(request.form)
        try:
            user = authenticate(db, form.username.data, form.password.data,
                                request.remote_addr or "-")
        except TooManyAttempts as refusal:
            return render_template("accounts/sign_in.html", error=str(refusal)), refusal.status
        if user is None:
            error, status = _("用户名或密码不正确。"), 401
        else:
            record(db, "account.sign_in", actor=user, target=f"user:{user.id}")
            session.clear()
            session.permanent = True
            session["user_id"] = user.id
            session["pw"] = password_mark(user)
            session["seen"] = int(time.time())
            return redirect(_safe_next(request.args.get("next")), code=303)
    return render_template("accounts/sign_in.html", error=error), status


@bp.post("/sign-out")
def sign_out() -> ResponseReturnValue:
    user = current_user()
    if user is not None:
        record(get_session(), "account.sign_out", actor=user, target=f"user:{user.id}")
    session.clear()
    return redirect(url_for("accounts.sign_in"), code=303)
