"""The ``smshooks`` command."""

from __future__ import annotations

import logging
import os
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
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(min=1),
    envvar="SMSHOOKS_WEB_WORKERS",
    help="web processes: 1 serves from this process (waitress); more run gunicorn (Linux)",
)
@click.option("--threads", default=8, show_default=True, type=click.IntRange(min=1), help="request threads per process")
@click.option(
    "--worker/--no-worker",
    default=True,
    show_default=True,
    help="run the outbox worker (a thread with --workers 1, else one process beside the web processes);"
    " use --no-worker with separate `smshooks worker`s",
)
def serve(host: str, port: int, workers: int, threads: int, worker: bool) -> None:
    """Run the gateway (creates the database schema when missing)."""
    settings = Settings.from_env()
    if workers > 1:
        from smshooks.web.processes import serve_processes

        click.echo(f"smshooks serving on http://{host}:{port} ({workers} processes x {threads} threads)", err=True)
        try:
            sys.exit(serve_processes(settings, host=host, port=port, workers=workers, threads=threads, outbox=worker))
        except RuntimeError as exc:
            raise click.UsageError(str(exc)) from None

    from waitress import serve as waitress_serve

    from smshooks.outbox.worker import Worker
    from smshooks.web.app import create_app

    app = create_app(settings)
    if worker:
        # beside the request threads, in one process and one connection pool: a smaller share
        Worker(app.extensions["smshooks"], concurrency=16, per_lane=4).start_thread()
    click.echo(f"smshooks serving on http://{host}:{port}", err=True)
    waitress_serve(app, host=host, port=port, threads=threads, ident="smshooks")


@main.command("worker")
@click.option("--poll-interval", default=1.0, show_default=True, type=float, help="seconds between polls when idle")
@click.option(
    "--concurrency",
    default=64,
    show_default=True,
    type=click.IntRange(min=1),
    help="attempts in flight at once (threads)",
)
@click.option(
    "--per-lane",
    default=8,
    show_default=True,
    type=click.IntRange(min=1),
    help="requests in flight to one lane (a job kind of one org and sandbox: one endpoint) at once;"
    " a lane gets between this many threads and twice as many",
)
def worker_command(poll_interval: float, concurrency: int, per_lane: int) -> None:
    """Run an outbox worker: sends replies and messages, delivers feedback, with retries."""
    import signal

    from smshooks.gateway import Gateway
    from smshooks.outbox.worker import Worker
    from smshooks.store.db import Database, make_engine

    settings = Settings.from_env()
    gateway = Gateway.build(settings)
    gateway.db.engine.dispose()
    # Its threads are in the database a fraction of the time: up to 26 connections for 64
    # threads (the default pool holds 15); more threads queue for one, which bounds what
    # many workers ask of PostgreSQL's max_connections (100 by default).
    pool_size = min(concurrency, 16) + 2
    gateway.db = Database(make_engine(settings.database_url, pool_size=pool_size, max_overflow=8))
    worker = Worker(gateway, poll_interval=poll_interval, concurrency=concurrency, per_lane=per_lane)
    signal.signal(signal.SIGTERM, lambda *_: worker.stop())
    click.echo(f"smshooks worker {worker.name} running", err=True)
    try:
        worker.run()
    except KeyboardInterrupt:
        worker.stop()


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
@click.option(
    "--output",
    type=click.Path(dir_okay=False, writable=True),
    default=None,
    help="write the key to this file (created readable by its owner only) instead of printing it",
)
def apikey_create(org: str, name: str, output: str | None) -> None:
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
    if output is None:
        click.echo(key)
        return
    _write_private(output, key + "\n")
    click.echo(f"API key for {org} written to {output}", err=True)


def _write_private(path: str, text: str) -> None:
    """Write ``text`` to ``path`` with mode 0600, also when the file exists (a shell
    redirection would have created it with the umask: often world-readable)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        os.fchmod(handle.fileno(), 0o600)
        handle.write(text)


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


@main.group()
def plugin() -> None:
    """Plugin authoring."""


@plugin.command("new")
@click.argument("name")
@click.option(
    "--directory",
    default=".",
    show_default=True,
    type=click.Path(file_okay=False),
    help="where to create smshooks-NAME/",
)
@click.option("--title", default=None, help="the vendor's display name [default: NAME capitalized]")
def plugin_new(name: str, directory: str, title: str | None) -> None:
    """Write a new vendor plugin package smshooks-NAME/ that installs and passes its tests.

    NAME is the vendor's name: lowercase letters, digits and '_'.
    """
    from smshooks import scaffold

    try:
        scaffold.check_name(name)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="NAME") from None
    if title is not None:
        try:
            scaffold.check_title(title)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="'--title'") from None
    try:
        made = scaffold.new_plugin(name, directory, title=title)
    except FileExistsError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"wrote {made.root}/ ({made.title}, distribution {made.distribution}):")
    for path in made.files:
        click.echo(f"  {path.relative_to(made.root)}")
    click.echo(f"next: pip install -e '{made.root}[test]' && pytest {made.root}/tests")


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
