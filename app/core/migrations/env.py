"""Alembic's entry point: migrate the database that the app's settings name.

``python -m app.core.migrations`` (``make migrate``, ``make revision``) runs
this with every installed feature's revisions. The URL comes from
``create_app()``, so ``APP_DATABASE_URL``, ``APP_DATABASE_SCHEMA`` and
``APP_CONFIG_FILE`` pick the database exactly as they do for the server.
SQLite migrations run in batch mode, because SQLite can only alter a table by
copying it.
"""

from __future__ import annotations

import asyncio

from alembic import context
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import text
from sqlalchemy.engine import Connection

from app import create_app
from app.core import database, timestamps
from app.core.database import Base
from app.core.migrations import UnknownRevisionError, unknown_revision_message


def refuse_unknown_revisions(connection: Connection, script: ScriptDirectory) -> None:
    """Stop with a clear message if the database is ahead of the installed features."""
    unknown = []
    for head in MigrationContext.configure(connection).get_current_heads():
        try:
            script.get_revision(head)
        except CommandError:
            unknown.append(head)
    if unknown:
        raise UnknownRevisionError(unknown_revision_message(unknown))


def run_migrations(connection: Connection) -> None:
    """Run the pending migrations on one connection, in one transaction."""
    refuse_unknown_revisions(connection, context.script)
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        render_item=timestamps.render_item,  # the kit's types as plain SQL types
    )
    with context.begin_transaction():
        context.run_migrations()


async def migrate() -> None:
    """Connect with the app's own engine settings and migrate."""
    app = create_app()
    engine = database.create_engine(app)
    try:
        async with engine.connect() as connection:
            if schema := app.config["DATABASE_SCHEMA"]:
                # The settings allow only plain identifiers here.
                create = f'CREATE SCHEMA IF NOT EXISTS "{schema}"'
                await connection.execute(text(create))
                await connection.commit()
            await connection.run_sync(run_migrations)
            await connection.commit()
    finally:
        await engine.dispose()


if context.is_offline_mode():
    raise SystemExit("Offline (--sql) migrations are not set up; run them online.")
asyncio.run(migrate())
