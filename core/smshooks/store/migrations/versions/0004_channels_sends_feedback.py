"""channels sends feedback

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 00:36:32.777581
"""

from alembic import op
import sqlalchemy as sa


revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "feedback_deliveries",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("org", sa.String(length=64), nullable=False),
        sa.Column("sandbox", sa.String(length=64), nullable=False),
        sa.Column("feedback_webhook_id", sa.String(length=40), nullable=False),
        sa.Column("event_type", sa.String(length=32), nullable=False),
        sa.Column("message_id", sa.String(length=40), nullable=True),
        sa.Column("event_key", sa.String(length=64), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_status_code", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("message_id", "event_key", name="uq_feedback_event"),
    )
    with op.batch_alter_table("feedback_deliveries", schema=None) as batch_op:
        batch_op.create_index("ix_feedback_deliveries_scope", ["org", "sandbox", "created_at"], unique=False)

    op.create_table(
        "feedback_webhooks",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("org", sa.String(length=64), nullable=False),
        sa.Column("sandbox", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("channels", sa.JSON(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("auth", sa.JSON(), nullable=False),
        sa.Column("headers", sa.JSON(), nullable=False),
        sa.Column("sealed_secrets", sa.Text(), nullable=False),
        sa.Column("previous_secret_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("relay_inbound", sa.Boolean(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("disabled_reason", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("org", "sandbox", name="uq_feedback_webhooks_scope"),
    )
    op.create_table(
        "delivery_attempts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("delivery_id", sa.String(length=40), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("response_excerpt", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["delivery_id"],
            ["feedback_deliveries.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("delivery_attempts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_delivery_attempts_delivery_id"), ["delivery_id"], unique=False)

    op.create_table(
        "channels",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("org", sa.String(length=64), nullable=False),
        sa.Column("sandbox", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("credentials_id", sa.String(length=40), nullable=False),
        sa.Column("sender_number", sa.String(length=32), nullable=False),
        sa.Column("inbound_webhook_id", sa.String(length=64), nullable=True),
        sa.Column("feedback_webhook_id", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["credentials_id"],
            ["credentials.id"],
        ),
        sa.ForeignKeyConstraint(
            ["feedback_webhook_id"],
            ["webhooks.id"],
        ),
        sa.ForeignKeyConstraint(
            ["inbound_webhook_id"],
            ["webhooks.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("org", "sandbox", "name", name="uq_channels_name"),
    )
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("request_id", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("channel_id", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("campaign_id", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("campaign_version_id", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("message_type", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("profile_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("exclusion", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("retry_count", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("encoding", sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column("segments", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_messages_request_id"), ["request_id"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_messages_request_id"))
        batch_op.drop_column("segments")
        batch_op.drop_column("encoding")
        batch_op.drop_column("retry_count")
        batch_op.drop_column("exclusion")
        batch_op.drop_column("profile_id")
        batch_op.drop_column("message_type")
        batch_op.drop_column("campaign_version_id")
        batch_op.drop_column("campaign_id")
        batch_op.drop_column("channel_id")
        batch_op.drop_column("request_id")

    op.drop_table("channels")
    with op.batch_alter_table("delivery_attempts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_delivery_attempts_delivery_id"))

    op.drop_table("delivery_attempts")
    op.drop_table("feedback_webhooks")
    with op.batch_alter_table("feedback_deliveries", schema=None) as batch_op:
        batch_op.drop_index("ix_feedback_deliveries_scope")

    op.drop_table("feedback_deliveries")
