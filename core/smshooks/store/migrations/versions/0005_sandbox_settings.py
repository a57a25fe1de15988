"""sandbox settings: consent scope, marketing needs an opt-in

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 11:40:00
"""

from alembic import op
import sqlalchemy as sa


revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sandbox_settings",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("org", sa.String(length=64), nullable=False),
        sa.Column("sandbox", sa.String(length=64), nullable=False),
        sa.Column("consent_scope", sa.String(length=16), nullable=False),
        sa.Column("marketing_requires_opt_in", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("org", "sandbox", name="uq_sandbox_settings_scope"),
    )


def downgrade() -> None:
    op.drop_table("sandbox_settings")
