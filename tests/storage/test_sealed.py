"""Re-sealing knows every sealed column: a column added later that holds sealed data, and
is not re-sealed by `teamotp rotate-key` or a restore under another key, would be left
unreadable by the new key."""

from __future__ import annotations

from sqlalchemy import LargeBinary

from storage.models import Base
from storage.sealed import SEALED_COLUMNS


def test_every_column_that_holds_sealed_data_is_resealed() -> None:
    looks_sealed = {
        (table.name, column.name)
        for table in Base.metadata.sorted_tables
        for column in table.columns
        if isinstance(column.type, LargeBinary) or column.name.endswith("_sealed")
    }
    resealed = {(table, column) for table, columns in SEALED_COLUMNS.items() for column in columns}
    assert looks_sealed == resealed
