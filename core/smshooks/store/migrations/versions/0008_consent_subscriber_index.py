"""consent: index the subscriber's records within a sandbox

The vendor path reads every record of one subscriber in a sandbox on each inbound message
(org, sandbox, subscriber). With only ix_consent_state (org, sandbox, state, id) and the
single-column subscriber index, SQLite's planner chose the first and scanned the whole sandbox:
1.5 ms per message at 3,000 subscribers, growing with every new one.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 16:10:00
"""

from alembic import op


revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("consent") as batch_op:
        batch_op.create_index("ix_consent_subscriber_latest", ["org", "sandbox", "subscriber", "updated_at"])
        batch_op.drop_index("ix_consent_subscriber")


def downgrade() -> None:
    with op.batch_alter_table("consent") as batch_op:
        batch_op.create_index("ix_consent_subscriber", ["subscriber"], unique=False)
        batch_op.drop_index("ix_consent_subscriber_latest")
