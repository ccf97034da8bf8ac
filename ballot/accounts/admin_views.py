"""Admin pages: accounts, their roles, offices and counties (every change audited)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, redirect, render_template, request, url_for
from sqlalchemy import select

from ballot.accounts import admin_services
from ballot.accounts.access import current_user, require
from ballot.accounts.models import Role, User
from ballot.accounts.services import AccountError
from ballot.assessments.models import County
from ballot.db import get_session

bp = Blueprint("users", __name__)


def _page(error: str | None = None, status: int = 200, form: Any = None):  # type: ignore[no-untyped-def]
    db = get_session()
    users = db.scalars(select(User).order_by(User.username)).all()
    counties = db.scalars(select(County).order_by(County.name)).all()
    return render_template("users/index.html", users=users, counties=counties, error=error,
                           form=form or {}, roles=[r.value for r in Role]), status


def _account(user_id: int) -> User:
    user = get_session().get(User, user_id)
    if user is None:
        abort(404)
    return user


def _done():  # type: ignore[no-untyped-def]
    get_session().commit()
    return redirect(url_for("users.index"), 303)


def _failed(problem: AccountError, form: Any = None):  # type: ignore[no-untyped-def]
    get_session().rollback()
    return _page(str(problem), 400, form)


@bp.get("/users")
@require(Role.ADMIN)
def index():  # type: ignore[no-untyped-def]
    return _page()


@bp.post("/users")
@require(Role.ADMIN)
def create():  # type: ignore[no-untyped-def]
    actor = current_user()
    assert actor is not None
    form = request.form
    try:
        admin_services.create_account(
            get_session(), actor, username=form.get("username", ""),
            display_name=form.get("display_name", ""), role=form.get("role", ""),
            office=form.get("office", ""), county_ids=form.getlist("counties"),
            password=form.get("password", ""))
    except AccountError as problem:
        return _failed(problem, {k: v for k, v in form.items() if k != "password"})
    return _done()


@bp.post("/users/<int:user_id>/active")
@require(Role.ADMIN)
def set_active(user_id: int):  # type: ignore[no-untyped-def]
    actor = current_user()
    assert actor is not None
    try:
        admin_services.set_active(get_session(), actor, _account(user_id),
                                  request.form.get("active") == "1")
    except AccountError as problem:
        return _failed(problem)
    return _done()


@bp.post("/users/<int:user_id>/password")
@require(Role.ADMIN)
def reset_password(user_id: int):  # type: ignore[no-untyped-def]
    actor = current_user()
    assert actor is not None
    try:
        admin_services.reset_password(get_session(), actor, _account(user_id),
                                      request.form.get("password", ""))
    except AccountError as problem:
        return _failed(problem)
    return _done()


@bp.post("/users/<int:user_id>/counties")
@require(Role.ADMIN)
def counties(user_id: int):  # type: ignore[no-untyped-def]
    actor = current_user()
    assert actor is not None
    try:
        admin_services.change_counties(get_session(), actor, _account(user_id),
                                       request.form.getlist("counties"))
    except AccountError as problem:
        return _failed(problem)
    return _done()
