"""replay keys

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 00:10:11.029324
"""

from alembic import op
import sqlalchemy as sa


revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "replay_keys",
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    with op.batch_alter_table("replay_keys", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_replay_keys_expires_at"), ["expires_at"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("replay_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_replay_keys_expires_at"))

    op.drop_table("replay_keys")
