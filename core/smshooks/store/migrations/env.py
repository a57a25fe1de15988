"""Alembic environment: migrations run on the engine the caller hands over."""

from alembic import context

from smshooks.store.tables import Base, UTCDateTime


def render_item(type_, obj, autogen_context):
    # Migrations spell the column type the database sees, so they never import
    # the application's TypeDecorator (which may change or move later).
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


config = context.config
engine = config.attributes.get("engine")
if engine is None:
    from sqlalchemy import create_engine

    engine = create_engine(config.get_main_option("sqlalchemy.url"))

with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        render_item=render_item,
    )
    context.run_migrations()
