"""Alembic environment: the URL comes from the caller (ballot.migrate), never from a file."""

import sqlite3
from typing import cast

from alembic import context

from ballot.db import Base, make_engine
from ballot.models import *  # noqa: F403  (registers every table on Base.metadata)

config = context.config
url = config.get_main_option("sqlalchemy.url")
assert url, "ballot.migrate sets sqlalchemy.url"

if context.is_offline_mode():
    context.configure(url=url, target_metadata=Base.metadata, literal_binds=True,
                      render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    engine = make_engine(url)
    with engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            # Batch migrations copy tables; foreign keys must not fire while they do (Alembic docs).
            driver = cast(sqlite3.Connection, connection.connection.driver_connection)
            driver.execute("PRAGMA foreign_keys=OFF")
        context.configure(connection=connection, target_metadata=Base.metadata,
                          render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()
