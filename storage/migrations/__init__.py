"""The schema's history, as Alembic migrations (`teamotp migrate`, or at start)."""
