"""Admin pages: accounts, their roles, offices and counties (every change audited).

A refused change answers 400 with the page and the reason, so the request's unit of work
rolls back whatever the service had begun."""

from __future__ import annotations

from collections.abc import Mapping

from flask import abort, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from ballot.accounts import admin_services
from ballot.accounts.access import current_user, require
from ballot.accounts.forms import AccountForm, ActiveForm, CountiesForm, PasswordForm
from ballot.accounts.models import Role, User
from ballot.accounts.services import AccountError
from ballot.accounts.views import bp  # this package's one blueprint
from ballot.assessments.models import County
from ballot.db import get_session


def _page(error: str | None = None, status: int = 200,
          form: Mapping[str, str] | None = None) -> ResponseReturnValue:
    db = get_session()
    users = db.scalars(select(User).order_by(User.username)).all()
    counties = db.scalars(select(County).order_by(County.name)).all()
    return render_template("accounts/users.html", users=users, counties=counties, error=error,
                           form=form or {}, roles=[r.value for r in Role]), status


def _account(user_id: int) -> User:
    user = get_session().get(User, user_id)
    if user is None:
        abort(404)
    return user


def _actor() -> User:
    actor = current_user()
    assert actor is not None  # require() let only an admin in
    return actor


def _done() -> ResponseReturnValue:
    return redirect(url_for("accounts.users"), 303)


def _failed(problem: object, form: Mapping[str, str] | None = None) -> ResponseReturnValue:
    return _page(str(problem), 400, form)


@bp.get("/users", endpoint="users")
@require(Role.ADMIN)
def index() -> ResponseReturnValue:
    return _page()


@bp.post("/users", endpoint="create_user")
@require(Role.ADMIN)
def create() -> ResponseReturnValue:
    form = AccountForm(request.form)
    typed = {k: v for k, v in request.form.items() if k != "password"}
    if not form.validate():
        return _failed(form.problems()[0], typed)
    try:
        admin_services.create_account(
            get_session(), _actor(), username=form.username.data,
            display_name=form.display_name.data, role=form.role.data,
            office=form.office.data, county_ids=form.counties.data or [],
            password=form.password.data)
    except AccountError as problem:
        return _failed(problem, typed)
    return _done()


@bp.post("/users/<int:user_id>/active")
@require(Role.ADMIN)
def set_active(user_id: int) -> ResponseReturnValue:
    form = ActiveForm(request.form)
    if not form.validate():
        return _failed(form.problems()[0])
    try:
        admin_services.set_active(get_session(), _actor(), _account(user_id),
                                  form.active.data == 1)
    except AccountError as problem:
        return _failed(problem)
    return _done()


@bp.post("/users/<int:user_id>/password")
@require(Role.ADMIN)
def reset_password(user_id: int) -> ResponseReturnValue:
    form = PasswordForm(request.form)
    try:
        admin_services.reset_password(get_session(), _actor(), _account(user_id),
                                      form.password.data)
    except AccountError as problem:
        return _failed(problem)
    return _done()


@bp.post("/users/<int:user_id>/counties", endpoint="set_counties")
@require(Role.ADMIN)
def counties(user_id: int) -> ResponseReturnValue:
    form = CountiesForm(request.form)
    try:
        admin_services.change_counties(get_session(), _actor(), _account(user_id),
                                       form.counties.data or [])
    except AccountError as problem:
        return _failed(problem)
    return _done()
