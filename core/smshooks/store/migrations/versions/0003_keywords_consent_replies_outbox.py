"""keywords consent replies outbox

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 00:16:09.629986
"""

from alembic import op
import sqlalchemy as sa


revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "consent",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("org", sa.String(length=64), nullable=False),
        sa.Column("sandbox", sa.String(length=64), nullable=False),
        sa.Column("sender_number", sa.String(length=64), nullable=False),
        sa.Column("subscriber", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=True),
        sa.Column("pending_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_fuzzy_prompt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_default_reply_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("org", "sandbox", "sender_number", "subscriber", name="uq_consent_pair"),
    )
    with op.batch_alter_table("consent", schema=None) as batch_op:
        batch_op.create_index("ix_consent_state", ["org", "sandbox", "state", "id"], unique=False)
        batch_op.create_index(batch_op.f("ix_consent_subscriber"), ["subscriber"], unique=False)

    op.create_table(
        "consent_ledger",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("org", sa.String(length=64), nullable=False),
        sa.Column("sandbox", sa.String(length=64), nullable=False),
        sa.Column("sender_number", sa.String(length=64), nullable=False),
        sa.Column("subscriber", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("previous_state", sa.String(length=16), nullable=True),
        sa.Column("new_state", sa.String(length=16), nullable=True),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("inbound_message_id", sa.Integer(), nullable=True),
        sa.Column("keyword", sa.String(length=64), nullable=True),
        sa.Column("category", sa.String(length=16), nullable=True),
        sa.Column("match", sa.String(length=8), nullable=True),
        sa.Column("rule", sa.String(length=8), nullable=True),
        sa.Column("reply_text", sa.Text(), nullable=True),
        sa.Column("actor", sa.String(length=80), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("consent_ledger", schema=None) as batch_op:
        batch_op.create_index("ix_consent_ledger_pair", ["org", "sandbox", "subscriber", "id"], unique=False)

    op.create_table(
        "jobs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("org", sa.String(length=64), nullable=False),
        sa.Column("sandbox", sa.String(length=64), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("max_attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("lease_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("worker", sa.String(length=80), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.create_index("ix_jobs_due", ["state", "due_at"], unique=False)

    op.create_table(
        "profiles",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("org", sa.String(length=64), nullable=False),
        sa.Column("sandbox", sa.String(length=64), nullable=False),
        sa.Column("phone", sa.String(length=64), nullable=False),
        sa.Column("attributes", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("org", "sandbox", "phone", name="uq_profiles_phone"),
    )
    op.create_table(
        "replies",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("org", sa.String(length=64), nullable=False),
        sa.Column("sandbox", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("template", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("org", "sandbox", "name", name="uq_replies_name"),
    )
    with op.batch_alter_table("inbound_messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("canonical_text", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("category", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("match", sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column("keyword", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("rule", sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column("action", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("reply_text", sa.Text(), nullable=True))
        batch_op.create_index(batch_op.f("ix_inbound_messages_category"), ["category"], unique=False)

    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("kind", sa.String(length=16), nullable=False, server_default="reported"))
        batch_op.add_column(sa.Column("sender", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("text", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("webhook_id", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("credentials_id", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("inbound_message_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("error_code", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("error_reason", sa.Text(), nullable=True))
        batch_op.alter_column("vendor_message_id", existing_type=sa.VARCHAR(length=200), nullable=True)

    with op.batch_alter_table("webhooks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("keyword_settings", sa.JSON(), nullable=True))

    # The consent ledger is evidence: the database itself refuses to change or
    # delete an entry, whatever code (or person with a SQL prompt) tries.
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            """
            CREATE FUNCTION consent_ledger_append_only() RETURNS trigger AS $$
            BEGIN RAISE EXCEPTION 'consent_ledger is append-only'; END;
            $$ LANGUAGE plpgsql
            """
        )
        op.execute(
            "CREATE TRIGGER consent_ledger_append_only BEFORE UPDATE OR DELETE ON consent_ledger "
            "FOR EACH ROW EXECUTE FUNCTION consent_ledger_append_only()"
        )
    else:
        for event in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER consent_ledger_no_{event.lower()} BEFORE {event} ON consent_ledger "
                "BEGIN SELECT RAISE(ABORT, 'consent_ledger is append-only'); END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS consent_ledger_append_only ON consent_ledger")
        op.execute("DROP FUNCTION IF EXISTS consent_ledger_append_only()")

    with op.batch_alter_table("webhooks", schema=None) as batch_op:
        batch_op.drop_column("keyword_settings")

    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.alter_column("vendor_message_id", existing_type=sa.VARCHAR(length=200), nullable=False)
        batch_op.drop_column("error_reason")
        batch_op.drop_column("error_code")
        batch_op.drop_column("inbound_message_id")
        batch_op.drop_column("credentials_id")
        batch_op.drop_column("webhook_id")
        batch_op.drop_column("text")
        batch_op.drop_column("sender")
        batch_op.drop_column("kind")

    with op.batch_alter_table("inbound_messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_inbound_messages_category"))
        batch_op.drop_column("reply_text")
        batch_op.drop_column("action")
        batch_op.drop_column("rule")
        batch_op.drop_column("keyword")
        batch_op.drop_column("match")
        batch_op.drop_column("category")
        batch_op.drop_column("canonical_text")

    op.drop_table("replies")
    op.drop_table("profiles")
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_index("ix_jobs_due")

    op.drop_table("jobs")
    with op.batch_alter_table("consent_ledger", schema=None) as batch_op:
        batch_op.drop_index("ix_consent_ledger_pair")

    op.drop_table("consent_ledger")
    with op.batch_alter_table("consent", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_consent_subscriber"))
        batch_op.drop_index("ix_consent_state")

    op.drop_table("consent")
