"""The ``smshooks`` command."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

import click

from smshooks import logs
from smshooks.settings import Settings

if TYPE_CHECKING:
    from smshooks.store.db import Database


@click.group()
@click.option("--log-level", default="INFO", show_default=True, envvar="SMSHOOKS_LOG_LEVEL")
def main(log_level: str) -> None:
    """smshooks: a self-hosted, plugin-based SMS webhook gateway."""
    # text or JSON lines (SMSHOOKS_LOG_FORMAT), phone numbers masked (SMSHOOKS_LOG_PHONE_NUMBERS=1 shows them)
    logs.configure(level=log_level)
    os.environ["SMSHOOKS_LOG_LEVEL"] = log_level  # the processes it starts (gunicorn's, the worker) log alike


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
    from smshooks.web.processes import freeze_startup_objects

    app = create_app(settings)
    freeze_startup_objects()
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
@click.option(
    "--metrics-port",
    type=click.IntRange(min=1, max=65535),
    default=None,
    envvar="SMSHOOKS_WORKER_METRICS_PORT",
    help="serve this worker's Prometheus metrics (delivery attempts and durations) on this port at /metrics"
    " [default: none: a web process's /metrics shows them only through a shared PROMETHEUS_MULTIPROC_DIR]",
)
@click.option(
    "--metrics-host",
    default="127.0.0.1",
    show_default=True,
    envvar="SMSHOOKS_WORKER_METRICS_HOST",
    help="the address --metrics-port listens on",
)
def worker_command(
    poll_interval: float, concurrency: int, per_lane: int, metrics_port: int | None, metrics_host: str
) -> None:
    """Run an outbox worker: sends replies and messages, delivers feedback, with retries."""
    import signal

    from smshooks.gateway import Gateway
    from smshooks.outbox.worker import Worker

    settings = Settings.from_env()
    # Its threads are in the database a fraction of the time: up to 26 connections for 64
    # threads (the default pool holds 15); more threads queue for one, which bounds what
    # many workers ask of PostgreSQL's max_connections (100 by default). Built with the
    # gateway, not swapped in after: its config cache is cleared by this database's commits.
    pool_size = min(concurrency, 16) + 2
    gateway = Gateway.build(settings, engine_options={"pool_size": pool_size, "max_overflow": 8})
    worker = Worker(gateway, poll_interval=poll_interval, concurrency=concurrency, per_lane=per_lane)
    signal.signal(signal.SIGTERM, lambda *_: worker.stop())
    if metrics_port is not None:
        from smshooks.metrics import start_metrics_server

        start_metrics_server(metrics_host, metrics_port)
        click.echo(f"smshooks worker metrics on http://{metrics_host}:{metrics_port}/metrics", err=True)
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


def _api_key_database() -> Database:
    from smshooks.store.db import Database, has_schema, upgrade

    database = Database.from_url(Settings.from_env().database_url)
    if not has_schema(database.engine):
        upgrade(database.engine)
    return database


@apikey.command("create")
@click.option("--org", required=True, help="the organisation the key belongs to (created if new)")
@click.option("--name", default="", help="a label for the key")
@click.option(
    "--scope",
    "scopes",
    multiple=True,
    type=click.Choice(["admin", "send", "read"]),
    help="what the key may do (repeat for several) [default: admin]: read = every GET,"
    " send = POST /api/v1/messages, admin = everything",
)
@click.option("--expires-in-days", type=click.IntRange(min=1), default=None, help="refuse the key after this many days")
@click.option(
    "--output",
    type=click.Path(dir_okay=False, writable=True),
    default=None,
    help="write the key to this file (created readable by its owner only) instead of printing it",
)
def apikey_create(
    org: str, name: str, scopes: tuple[str, ...], expires_in_days: int | None, output: str | None
) -> None:
    """Create an API key for ORG and print it (it is stored hashed: shown once)."""
    from datetime import UTC, datetime, timedelta

    from smshooks.access.api_keys import DEFAULT_SCOPES, create_key
    from smshooks.errors import DomainError

    expires_at = datetime.now(UTC) + timedelta(days=expires_in_days) if expires_in_days else None
    try:
        made = create_key(_api_key_database(), org, name=name, scopes=scopes or DEFAULT_SCOPES, expires_at=expires_at)
    except DomainError as exc:
        raise click.UsageError(exc.message) from None
    if output is None:
        click.echo(made.key)
        return
    _write_private(output, made.key + "\n")
    click.echo(f"API key {made.info.id} for {org} written to {output}", err=True)


@apikey.command("list")
@click.option("--org", default=None, help="only this organisation's keys [default: every organisation's]")
def apikey_list(org: str | None) -> None:
    """List the keys not revoked: id, organisation, name, prefix, scopes, created, last used, expires."""
    from smshooks.access.api_keys import list_keys

    def when(value: object) -> str:
        return value.isoformat(timespec="seconds") if value is not None else "-"  # type: ignore[attr-defined]

    click.echo("id\torg\tname\tprefix\tscopes\tcreated\tlast_used\texpires")
    for key in list_keys(_api_key_database(), org):
        expires = when(key.expires_at) + (" (expired)" if key.expired() else "")
        columns = [str(key.id), key.org, key.name or "-", key.prefix, ",".join(key.scopes)]
        click.echo("\t".join([*columns, when(key.created_at), when(key.last_used_at), expires]))


@apikey.command("revoke")
@click.argument("key_id", type=int)
@click.option("--org", required=True, help="the organisation the key belongs to (a check against typos)")
def apikey_revoke(key_id: int, org: str) -> None:
    """Revoke key KEY_ID (see `apikey list`): every process refuses it from its next request."""
    from smshooks.access.api_keys import revoke_key
    from smshooks.errors import NotFound

    try:
        revoked = revoke_key(_api_key_database(), org, key_id)
    except NotFound:
        raise click.ClickException(f"{org} has no API key {key_id} that is not revoked") from None
    click.echo(f"revoked API key {revoked.id} ({revoked.prefix}…) of {org}")


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
