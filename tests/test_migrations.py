"""Alembic owns the schema: head matches the models, and the app never creates tables itself."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from ballot import create_app, migrate
from ballot.db import Base, make_engine
from ballot.models import *  # noqa: F403


def test_migrations_at_head_match_the_models(database_url):
    engine = make_engine(database_url)
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    engine.dispose()
    assert diff == [], "models changed without a migration: " + repr(diff)


def test_downgrade_to_base_and_back_to_head(database_url):
    from alembic import command

    command.downgrade(migrate.alembic_config(database_url), "base")
    engine = create_engine(database_url)
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    migrate.upgrade(database_url)
    tables = set(inspect(engine).get_table_names())
    assert {"ballot", "slip", "evaluation"} <= tables and "rating" not in tables
    engine.dispose()


def test_starting_the_app_creates_no_table(tmp_path):
    url = f"sqlite:///{tmp_path}/empty.sqlite3"
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "x", "CREDENTIAL_KEY": "y"},
                     instance_path=str(tmp_path))
    app.test_client().get("/s")
    engine = create_engine(url)
    assert inspect(engine).get_table_names() == []
    engine.dispose()
    app.extensions["db_engine"].dispose()


def test_init_command_brings_an_empty_database_to_head(tmp_path):
    url = f"sqlite:///{tmp_path}/new.sqlite3"
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "x", "CREDENTIAL_KEY": "y"},
                     instance_path=str(tmp_path))
    result = app.test_cli_runner().invoke(args=["init"])
    assert result.exit_code == 0 and "newest schema" in result.output
    engine = create_engine(url)
    assert "ballot" in inspect(engine).get_table_names()
    engine.dispose()
    app.extensions["db_engine"].dispose()
