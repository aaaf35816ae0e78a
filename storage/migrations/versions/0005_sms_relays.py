"""SMS relays: the team's spare phone forwarding the codes it receives by SMS; and the
members' roles indexed (every code request looks up the admins among all members).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-08 01:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.models

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A store adopted from before the migrations is completed from today's models, which
    # have this index already: made only where it is missing.
    op.create_index(op.f("ix_members_role"), "members", ["role"], unique=False, if_not_exists=True)
    op.create_table(
        "sms_relays",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("path_id", sa.String(length=32), nullable=False),
        sa.Column("secret_sealed", sa.LargeBinary(), nullable=False),
        sa.Column("changes", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.BigInteger(), nullable=True),
        sa.Column("created_at", storage.models.UtcDateTime(timezone=True), nullable=False),
        sa.Column("rotated_at", storage.models.UtcDateTime(timezone=True), nullable=True),
        sa.Column("last_received_at", storage.models.UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_sms_relays_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sms_relays")),
        sa.UniqueConstraint("account_id", name=op.f("uq_sms_relays_account_id")),
        sa.UniqueConstraint("path_id", name=op.f("uq_sms_relays_path_id")),
    )
    op.create_table(
        "sms_receipts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("relay_id", sa.Integer(), nullable=False),
        sa.Column("signature", sa.String(length=64), nullable=True),
        sa.Column("body", sa.String(length=64), nullable=False),
        sa.Column("content", sa.String(length=64), nullable=False),
        sa.Column("at", storage.models.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["relay_id"],
            ["sms_relays.id"],
            name=op.f("fk_sms_receipts_relay_id_sms_relays"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sms_receipts")),
    )
    with op.batch_alter_table("sms_receipts", schema=None) as batch_op:
        batch_op.create_index("ix_sms_receipts_at", ["at"], unique=False)
        batch_op.create_index("ix_sms_receipts_relay_id_content", ["relay_id", "content"])
        batch_op.create_index("ix_sms_receipts_relay_id_signature", ["relay_id", "signature"])
    op.create_table(
        "sms_waits",
        sa.Column("account_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("started_at", storage.models.UtcDateTime(timezone=True), nullable=False),
        sa.Column("until", storage.models.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_sms_waits_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("account_id", name=op.f("pk_sms_waits")),
    )
    with op.batch_alter_table("sms_waits", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sms_waits_until"), ["until"], unique=False)
    op.create_table(
        "sms_held_codes",
        sa.Column("account_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("ticket", sa.String(length=32), nullable=False),
        sa.Column("code_sealed", sa.LargeBinary(), nullable=False),
        sa.Column("for_change", sa.Boolean(), nullable=False),
        sa.Column("received_at", storage.models.UtcDateTime(timezone=True), nullable=False),
        sa.Column("until", storage.models.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_sms_held_codes_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("account_id", name=op.f("pk_sms_held_codes")),
    )
    with op.batch_alter_table("sms_held_codes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sms_held_codes_until"), ["until"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("sms_held_codes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sms_held_codes_until"))
    op.drop_table("sms_held_codes")
    with op.batch_alter_table("sms_waits", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sms_waits_until"))
    op.drop_table("sms_waits")
    with op.batch_alter_table("sms_receipts", schema=None) as batch_op:
        batch_op.drop_index("ix_sms_receipts_relay_id_signature")
        batch_op.drop_index("ix_sms_receipts_relay_id_content")
        batch_op.drop_index("ix_sms_receipts_at")
    op.drop_table("sms_receipts")
    op.drop_table("sms_relays")
    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_members_role"))
