"""Fixtures: an app on a fresh, migrated database (SQLite always, PostgreSQL when reachable)."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from ballot import create_app, migrate
from ballot.accounts.models import Role
from ballot.accounts.services import create_user
from ballot.assessments.services import RosterRow, get_or_create_assessment, replace_roster
from ballot.db import get_session
from ballot.evaluations.models import Kind
from ballot.evaluations.services import create_evaluation, issue_slips, open_evaluation
from bench.server import box_key_settings
from tests.support import postgres

CREDENTIAL_KEY = "test-credential-key"
BASE_URL = "http://vote.test"


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One SQLite file migrated to head; each test gets a copy."""
    path = tmp_path_factory.mktemp("template") / "ballot.sqlite3"
    migrate.upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_template() -> Iterator[str]:
    """A PostgreSQL database migrated to head, used as the template of each test's database."""
    postgres.require()
    with postgres.temporary_database() as url:
        migrate.upgrade(url)
        from sqlalchemy import create_engine

        create_engine(url).dispose()
        yield url.rsplit("/", 1)[1]


def fresh_database(request: pytest.FixtureRequest, tmp_path: Path,
                   sqlite_template: Path) -> Iterator[str]:
    """A migrated database of the kind ``request.param`` names, dropped afterwards."""
    if request.param == "sqlite":
        path = tmp_path / "ballot.sqlite3"
        shutil.copy(sqlite_template, path)
        yield f"sqlite:///{path}"
    else:
        template = request.getfixturevalue("postgres_template")
        with postgres.temporary_database(template=template) as url:
            yield url


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path,
                 sqlite_template: Path) -> Iterator[str]:
    yield from fresh_database(request, tmp_path, sqlite_template)


@pytest.fixture
def app(database_url: str, tmp_path: Path) -> Iterator[Flask]:
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": database_url,
            "SECRET_KEY": "test-secret",
            "CREDENTIAL_KEY": CREDENTIAL_KEY,
            "BASE_URL": BASE_URL,
            # The key store a gunicorn started by tests/support/server.py shares.
            **box_key_settings(tmp_path),
        },
        instance_path=str(tmp_path / "instance"),
    )
    yield app
    app.extensions["db_engine"].dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask):  # type: ignore[no-untyped-def]
    return app.test_cli_runner()


ROSTER = [
    RosterRow("王建国", "县委副书记", "党建", 1),
    RosterRow("李秀兰", "常务副县长", "财政", 2),
    RosterRow("陈国华", "副县长", "农业农村", 3),
]


@dataclass
class Setup:
    evaluation_id: int
    assessment_id: int
    credentials: list[str]
    member_ids: list[int]


@pytest.fixture
def make_evaluation(app: Flask):  # type: ignore[no-untyped-def]
    """Factory: an evaluation over a 3-member roster with slips, open unless told otherwise."""
    counter = iter(range(1, 1000))

    def make(slips: int = 5, *, state: str = "open", cap: int | None = None,
             kind: Kind = Kind.DEMOCRATIC, roster: list[RosterRow] | None = None,
             closes_at=None, floor: int | None = None) -> Setup:  # type: ignore[no-untyped-def]
        with app.app_context():
            db = get_session()
            assessment = get_or_create_assessment(db, f"测试县{next(counter)}", 2026)
            if floor is not None:
                assessment.anonymity_floor = floor  # the anonymity floor k (default 5, >= 3)
            replace_roster(db, assessment, roster or ROSTER)
            evaluation = create_evaluation(db, assessment, kind, excellent_cap=cap,
                                           closes_at=closes_at)
            credentials = issue_slips(db, evaluation, slips, CREDENTIAL_KEY)
            if state == "open":
                open_evaluation(db, evaluation)
            db.commit()
            return Setup(evaluation.id, assessment.id, credentials,
                         [m.id for m in assessment.members])

    return make


def publish_counts(app: Flask, evaluation_id: int) -> None:
    """The team's recorded decision to publish the counts of an evaluation closed with fewer
    valid ballots than the anonymity floor (tests that count a ballot or two)."""
    from ballot.evaluations.floor import publish_counts as publish
    from ballot.evaluations.models import Evaluation

    username = "publisher"
    with app.app_context():
        db = get_session()
        from sqlalchemy import select

        from ballot.accounts.models import User

        user = db.scalar(select(User).where(User.username == username)) or create_user(
            db, username, PASSWORD, Role.TEAM)
        publish(db, db.get_one(Evaluation, evaluation_id), "测试：公开票数", user)
        db.commit()


def csrf_token(client: FlaskClient, path: str = "/ballot") -> str:
    page = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def vote(client: FlaskClient, credential: str, ratings: dict[int, str]):  # type: ignore[no-untyped-def]
    """Open the slip, load the ballot, review and confirm, as a phone does; return the confirm."""
    opened = client.get(f"/s/{credential}")
    assert opened.status_code == 303, opened.get_data(as_text=True)
    token = csrf_token(client)
    form = {"csrf_token": token, **{f"m{m}": r for m, r in ratings.items()}}
    reviewed = client.post("/ballot", data=form)
    assert reviewed.status_code == 200, reviewed.get_data(as_text=True)
    return client.post("/ballot/confirm", data=form)


PASSWORD = "correct horse battery"


def make_user(app: Flask, username: str, role: Role = Role.TEAM, **options):  # type: ignore[no-untyped-def]
    """An account (committed); returns its id."""
    with app.app_context():
        db = get_session()
        user = create_user(db, username, PASSWORD, role, **options)
        db.commit()
        return user.id


def sign_in(client: FlaskClient, username: str, password: str = PASSWORD):  # type: ignore[no-untyped-def]
    token = csrf_token(client, "/sign-in")
    return client.post("/sign-in", data={"csrf_token": token, "username": username,
                                         "password": password})


@pytest.fixture
def team(app: Flask) -> FlaskClient:
    """A browser signed in as an assessment-team member with access to every county."""
    make_user(app, "team1", Role.TEAM, display_name="考核组甲")
    client = app.test_client()
    assert sign_in(client, "team1").status_code == 303
    return client
