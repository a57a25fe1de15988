"""The ``smshooks`` command."""

from __future__ import annotations

import logging
import sys

import click

from smshooks.settings import Settings


@click.group()
@click.option("--log-level", default="INFO", show_default=True, envvar="SMSHOOKS_LOG_LEVEL")
def main(log_level: str) -> None:
    """smshooks: a self-hosted, plugin-based SMS webhook gateway."""
    logging.basicConfig(level=log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # Alembic narrates every plugin it sets up at INFO; only its warnings matter here.
    logging.getLogger("alembic").setLevel(max(logging.WARNING, logging.getLogger().level))


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, envvar="SMSHOOKS_HOST")
@click.option("--port", default=8000, show_default=True, type=int, envvar="SMSHOOKS_PORT")
@click.option("--threads", default=8, show_default=True, type=int, help="request threads")
def serve(host: str, port: int, threads: int) -> None:
    """Run the gateway (creates the database schema when missing)."""
    from waitress import serve as waitress_serve

    from smshooks.app import create_app

    app = create_app(Settings.from_env())
    click.echo(f"smshooks serving on http://{host}:{port}", err=True)
    waitress_serve(app, host=host, port=port, threads=threads, ident="smshooks")


@main.group()
def db() -> None:
    """Database schema commands."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True)
def db_upgrade(revision: str) -> None:
    """Apply the schema migrations up to REVISION."""
    from smshooks.store.db import make_engine, upgrade

    settings = Settings.from_env()
    upgrade(make_engine(settings.database_url), revision)
    click.echo(f"database at {revision}: {_safe_url(settings.database_url)}")


@main.group()
def apikey() -> None:
    """Admin API keys."""


@apikey.command("create")
@click.option("--org", required=True, help="the organisation the key belongs to (created if new)")
@click.option("--name", default="", help="a label for the key")
def apikey_create(org: str, name: str) -> None:
    """Create an API key for ORG and print it (it is stored hashed: shown once)."""
    from smshooks.apikeys import create_api_key
    from smshooks.store.db import Database, has_schema, upgrade

    settings = Settings.from_env()
    database = Database.from_url(settings.database_url)
    if not has_schema(database.engine):
        upgrade(database.engine)
    try:
        key = create_api_key(database, org, name)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    click.echo(key)


@main.command()
def plugins() -> None:
    """List the installed plugins and the vendors they provide."""
    from smshooks.plugins import PluginHost

    settings = Settings.from_env()
    host = PluginHost(only=settings.plugins)
    for info in host.plugins:
        version = f" {info.version}" if info.version else ""
        line = f"{info.name}{version} [{info.status}] hooks={','.join(info.hooks)}"
        if info.vendors:
            line += f" vendors={','.join(info.vendors)}"
        if info.error:
            line += f" error={info.error}"
        click.echo(line)
    if any(info.status == "failed" for info in host.plugins):
        sys.exit(1)


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
