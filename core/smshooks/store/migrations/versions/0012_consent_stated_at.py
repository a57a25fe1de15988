"""consent: when the subscriber stated the current consent

``stated_at`` is when the message that set a record's state was sent (the vendor's time, never
later than when it was taken). An opt-in sent before an opt-out that arrived first (a vendor's
retry, batches out of order) must leave the opt-out in force. Records stated before this revision
have none: an opt-in then applies as it did.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 06:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("consent") as batch_op:
        batch_op.add_column(sa.Column("stated_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("consent") as batch_op:
        batch_op.drop_column("stated_at")
