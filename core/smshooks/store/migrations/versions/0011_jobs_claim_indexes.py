"""jobs: indexes a claim reads in order and stops at its window

``ix_jobs_due`` gains ``id``: a claim takes the oldest due jobs by (due_at, id), and jobs made
due together share one due_at (a campaign, a replay), so without ``id`` every due row was read
and sorted per claim. ``ix_jobs_lease`` finds the running jobs whose lease ran out without
reading every running one.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 22:00:00
"""

from alembic import op


revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("jobs") as batch_op:
        batch_op.drop_index("ix_jobs_due")
        batch_op.create_index("ix_jobs_due", ["state", "due_at", "id"], unique=False)
        batch_op.create_index("ix_jobs_lease", ["state", "lease_expires_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("jobs") as batch_op:
        batch_op.drop_index("ix_jobs_lease")
        batch_op.drop_index("ix_jobs_due")
        batch_op.create_index("ix_jobs_due", ["state", "due_at"], unique=False)
