"""Alembic's entry point: run on the connection the store hands it (storage.schema), never
on one of its own, so a migration shares the caller's engine, its SQLite pragmas and its
error handling."""

from __future__ import annotations

from alembic import context

from storage.models import Base

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    # SQLite alters a table by copying it: Alembic's batch mode does that for us.
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
