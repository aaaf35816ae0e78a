"""The first schema under migrations: everything the bot kept before them.

Revision ID: 0001
Revises: (none)
Create Date: 2026-12-03 14:16:51.913003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.models

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "accounts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uid", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("name_key", sa.String(length=64), nullable=False),
        sa.Column("issuer", sa.String(length=128), nullable=True),
        sa.Column("label", sa.String(length=128), nullable=True),
        sa.Column("algorithm", sa.String(length=8), nullable=False),
        sa.Column("digits", sa.Integer(), nullable=False),
        sa.Column("period", sa.Integer(), nullable=False),
        sa.Column("secret_sealed", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", storage.models.UtcDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.BigInteger(), nullable=True),
        sa.Column("approval", sa.String(length=16), nullable=True),
        sa.Column("delivery", sa.String(length=16), nullable=True),
        sa.Column("plain_add", sa.String(length=16), nullable=True),
        sa.Column("note_sealed", sa.LargeBinary(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accounts")),
        sa.UniqueConstraint("name_key", name=op.f("uq_accounts_name_key")),
        sa.UniqueConstraint("uid", name=op.f("uq_accounts_uid")),
    )
    op.create_table(
        "approved_chats",
        sa.Column("chat_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("title", sa.String(length=256), nullable=True),
        sa.Column("approved_by", sa.BigInteger(), nullable=True),
        sa.Column("approved_at", storage.models.UtcDateTime(timezone=True), nullable=False),
        sa.Column("roster", sa.Boolean(), nullable=True),
        sa.PrimaryKeyConstraint("chat_id", name=op.f("pk_approved_chats")),
    )
    op.create_table(
        "audit_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", storage.models.UtcDateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.BigInteger(), nullable=True),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("outcome", sa.String(length=32), nullable=False),
        sa.Column("account", sa.String(length=64), nullable=True),
        sa.Column("chat_id", sa.BigInteger(), nullable=True),
        sa.Column("target_id", sa.BigInteger(), nullable=True),
        sa.Column("params", sa.JSON(), nullable=True),
        sa.Column("count", sa.Integer(), nullable=True),
        sa.Column("detail", sa.String(length=256), nullable=True),
        sa.Column("prev_hash", sa.String(length=64), nullable=True),
        sa.Column("hash", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_events")),
    )
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.create_index("ix_audit_events_at", ["at"], unique=False)

    op.create_table(
        "members",
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("all_accounts", sa.Boolean(), nullable=False),
        sa.Column("notify", sa.Boolean(), nullable=False),
        sa.Column("added_by", sa.BigInteger(), nullable=True),
        sa.Column("added_at", storage.models.UtcDateTime(timezone=True), nullable=False),
        sa.Column("until", storage.models.UtcDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_members")),
    )
    op.create_table(
        "pending_inputs",
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("awaiting", sa.String(length=16), nullable=False),
        sa.Column("subject", sa.String(length=64), nullable=False),
        sa.Column("deadline", storage.models.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_pending_inputs")),
    )
    op.create_table(
        "quiet_chats",
        sa.Column("chat_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("told_at", storage.models.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("chat_id", name=op.f("pk_quiet_chats")),
    )
    op.create_table(
        "rate_hits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("bucket", sa.String(length=32), nullable=False),
        sa.Column("subject", sa.BigInteger(), nullable=False),
        sa.Column("at", storage.models.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rate_hits")),
    )
    with op.batch_alter_table("rate_hits", schema=None) as batch_op:
        batch_op.create_index(
            "ix_rate_hits_bucket_subject_at", ["bucket", "subject", "at"], unique=False
        )

    op.create_table(
        "scheduled_deletions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("message_id", sa.BigInteger(), nullable=False),
        sa.Column("delete_at", storage.models.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scheduled_deletions")),
    )
    with op.batch_alter_table("scheduled_deletions", schema=None) as batch_op:
        batch_op.create_index("ix_scheduled_deletions_delete_at", ["delete_at"], unique=False)

    op.create_table(
        "settings",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_settings")),
    )
    op.create_table(
        "users",
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("username", sa.String(length=64), nullable=True),
        sa.Column("username_key", sa.String(length=64), nullable=True),
        sa.Column("first_name", sa.String(length=128), nullable=False),
        sa.Column("last_name", sa.String(length=128), nullable=True),
        sa.Column("language_code", sa.String(length=16), nullable=True),
        sa.Column("last_seen", storage.models.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_users")),
    )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_users_username_key"), ["username_key"], unique=False)

    op.create_table(
        "code_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("requester_id", sa.BigInteger(), nullable=False),
        sa.Column("requester_name", sa.String(length=256), nullable=False),
        sa.Column("requester_username", sa.String(length=64), nullable=True),
        sa.Column("requester_language", sa.String(length=16), nullable=True),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("chat_title", sa.String(length=256), nullable=True),
        sa.Column("private", sa.Boolean(), nullable=False),
        sa.Column("thread_id", sa.BigInteger(), nullable=True),
        sa.Column("reply_to", sa.BigInteger(), nullable=True),
        sa.Column("reason", sa.String(length=256), nullable=False),
        sa.Column("created_at", storage.models.UtcDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", storage.models.UtcDateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("decided_by", sa.BigInteger(), nullable=True),
        sa.Column("decided_by_name", sa.String(length=256), nullable=True),
        sa.Column("decided_at", storage.models.UtcDateTime(timezone=True), nullable=True),
        sa.Column("approved_for_seconds", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_code_requests_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_code_requests")),
    )
    with op.batch_alter_table("code_requests", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_code_requests_account_id"), ["account_id"], unique=False
        )
        batch_op.create_index(
            "ix_code_requests_status_expires_at", ["status", "expires_at"], unique=False
        )

    op.create_table(
        "deferred_codes",
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("chat_title", sa.String(length=256), nullable=True),
        sa.Column("created_at", storage.models.UtcDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", storage.models.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_deferred_codes_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("token", name=op.f("pk_deferred_codes")),
        sa.UniqueConstraint("user_id", "account_id", name="uq_deferred_codes_user_account"),
    )
    with op.batch_alter_table("deferred_codes", schema=None) as batch_op:
        batch_op.create_index("ix_deferred_codes_expires_at", ["expires_at"], unique=False)

    op.create_table(
        "grants",
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("until", storage.models.UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_grants_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["members.user_id"],
            name=op.f("fk_grants_user_id_members"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "account_id", name=op.f("pk_grants")),
    )
    op.create_table(
        "pending_rotations",
        sa.Column("account_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("ticket", sa.BigInteger(), nullable=False),
        sa.Column("secret_sealed", sa.LargeBinary(), nullable=False),
        sa.Column("algorithm", sa.String(length=8), nullable=False),
        sa.Column("digits", sa.Integer(), nullable=False),
        sa.Column("period", sa.Integer(), nullable=False),
        sa.Column("issuer", sa.String(length=128), nullable=True),
        sa.Column("label", sa.String(length=128), nullable=True),
        sa.Column("started_by", sa.BigInteger(), nullable=False),
        sa.Column("started_at", storage.models.UtcDateTime(timezone=True), nullable=False),
        sa.Column("deadline", storage.models.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_pending_rotations_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("account_id", name=op.f("pk_pending_rotations")),
    )
    op.create_table(
        "seed_exposures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("how", sa.String(length=16), nullable=False),
        sa.Column("at", storage.models.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_seed_exposures_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_seed_exposures")),
    )
    with op.batch_alter_table("seed_exposures", schema=None) as batch_op:
        batch_op.create_index("ix_seed_exposures_user_id", ["user_id"], unique=False)

    op.create_table(
        "standing_approvals",
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("until", storage.models.UtcDateTime(timezone=True), nullable=False),
        sa.Column("approved_by", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_standing_approvals_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "account_id", name=op.f("pk_standing_approvals")),
    )
    op.create_table(
        "code_request_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("message_id", sa.BigInteger(), nullable=False),
        sa.Column("language_code", sa.String(length=16), nullable=True),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["code_requests.id"],
            name=op.f("fk_code_request_messages_request_id_code_requests"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_code_request_messages")),
    )
    with op.batch_alter_table("code_request_messages", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_code_request_messages_request_id"), ["request_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("code_request_messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_code_request_messages_request_id"))

    op.drop_table("code_request_messages")
    op.drop_table("standing_approvals")
    with op.batch_alter_table("seed_exposures", schema=None) as batch_op:
        batch_op.drop_index("ix_seed_exposures_user_id")

    op.drop_table("seed_exposures")
    op.drop_table("pending_rotations")
    op.drop_table("grants")
    with op.batch_alter_table("deferred_codes", schema=None) as batch_op:
        batch_op.drop_index("ix_deferred_codes_expires_at")

    op.drop_table("deferred_codes")
    with op.batch_alter_table("code_requests", schema=None) as batch_op:
        batch_op.drop_index("ix_code_requests_status_expires_at")
        batch_op.drop_index(batch_op.f("ix_code_requests_account_id"))

    op.drop_table("code_requests")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_users_username_key"))

    op.drop_table("users")
    op.drop_table("settings")
    with op.batch_alter_table("scheduled_deletions", schema=None) as batch_op:
        batch_op.drop_index("ix_scheduled_deletions_delete_at")

    op.drop_table("scheduled_deletions")
    with op.batch_alter_table("rate_hits", schema=None) as batch_op:
        batch_op.drop_index("ix_rate_hits_bucket_subject_at")

    op.drop_table("rate_hits")
    op.drop_table("quiet_chats")
    op.drop_table("pending_inputs")
    op.drop_table("members")
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_events_at")

    op.drop_table("audit_events")
    op.drop_table("approved_chats")
    op.drop_table("accounts")
