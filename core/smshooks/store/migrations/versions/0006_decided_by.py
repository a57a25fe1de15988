"""decided_by: which smshooks_classify plugin decided a fuzzy opt-out (NULL: the built-in rules)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 12:00:00
"""

from alembic import op
import sqlalchemy as sa


revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN (no batch rebuild): the ledger's append-only triggers stay in place.
    op.add_column("inbound_messages", sa.Column("decided_by", sa.String(length=128), nullable=True))
    op.add_column("consent_ledger", sa.Column("decided_by", sa.String(length=128), nullable=True))


def downgrade() -> None:
    op.drop_column("consent_ledger", "decided_by")
    op.drop_column("inbound_messages", "decided_by")
