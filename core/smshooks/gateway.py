"""The gateway: everything a use case needs, built once per process (no Flask).

The web app, the outbox worker and the CLI each hold one :class:`Gateway` and
pass it to the use cases (``inbound.receive``, ``messages.send``, ...), which
never reach for a framework-global to find their database or plugins.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from smshooks.crypto import SecretBox
from smshooks.plugins import PluginHost
from smshooks.settings import Settings
from smshooks.store.config_cache import ConfigCache
from smshooks.store.db import Database, has_schema, make_engine, upgrade


@dataclass
class Gateway:
    """Settings, database, plugin host and the secret box of one process."""

    settings: Settings
    db: Database
    plugins: PluginHost
    secrets: SecretBox
    #: webhooks, credentials and policies the vendor-facing path reads, for at most a second;
    #: cleared by the commits of ``db``'s sessions (so ``db`` is never replaced)
    config: ConfigCache = field(init=False)

    def __post_init__(self) -> None:
        self.config = ConfigCache(self.db.sessions)

    @classmethod
    def build(
        cls,
        settings: Settings,
        *,
        plugins: Iterable[Any] = (),
        create_schema: bool = True,
        engine_options: Mapping[str, Any] | None = None,
    ) -> Gateway:
        """Open the database (migrating an empty one when ``create_schema``) and load the plugins;
        ``engine_options`` go to the engine (a worker's pool size)."""
        db = Database(make_engine(settings.database_url, **(engine_options or {})))
        if create_schema and not has_schema(db.engine):
            upgrade(db.engine)
        host = PluginHost(only=settings.plugins, extra=plugins)
        return cls(settings=settings, db=db, plugins=host, secrets=SecretBox(settings.secret_key))
