"""Server settings, read from the environment (``SMSHOOKS_*``), with embedded-mode defaults.

The defaults run a whole gateway from one directory: a SQLite file and a
generated secret key under ``SMSHOOKS_DATA_DIR`` (``./var``).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from smshooks.vendor import DEFAULT_MAX_EVENTS_PER_REQUEST

DEFAULT_MAX_BODY_BYTES = 1024 * 1024
TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
MAX_FEEDBACK_RETRIES = 50


@dataclass(frozen=True)
class Settings:
    data_dir: Path = Path("var")
    database_url: str = ""
    secret_key: str = ""
    #: the base URL vendors reach us at (``https://sms.example.com``), used for
    #: webhook URLs and signature checks behind a TLS-terminating proxy
    public_url: str | None = None
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    #: the cap on events per vendor request, above each vendor's documented batch size
    max_events_per_request: int = DEFAULT_MAX_EVENTS_PER_REQUEST
    #: entry point names to load; ``None`` loads every installed plugin
    plugins: tuple[str, ...] | None = None
    #: seconds before each retry of an outbox job (the last repeats), ±20 % jitter
    retry_delays: tuple[float, ...] = (5, 30, 120, 600, 1800, 3600, 7200)
    #: feedback POSTs: the first goes at once, then one retry after each of these
    #: seconds (5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h), ±20 % jitter; dead after the last
    feedback_retry_delays: tuple[float, ...] = (5, 300, 1800, 7200, 18000, 36000, 36000)
    #: seconds a feedback webhook may fail (no successful attempt) before smshooks disables
    #: it (5 days, as Svix); None: never
    feedback_disable_after: float | None = 5 * 86400
    #: let feedback webhooks target plain http and private, loopback or link-local
    #: addresses (development and tests; never on a server reachable by tenants)
    allow_private_targets: bool = False
    #: reverse proxies in front that append the client's address to X-Forwarded-For (0: none, trust no header)
    trusted_proxies: int = 0
    extra: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        env = os.environ if environ is None else environ
        data_dir = Path(env.get("SMSHOOKS_DATA_DIR", "var"))
        plugins = env.get("SMSHOOKS_PLUGINS")
        values: dict[str, Any] = {
            "data_dir": data_dir,
            "database_url": env.get("SMSHOOKS_DATABASE_URL", ""),
            "secret_key": env.get("SMSHOOKS_SECRET_KEY", ""),
            "public_url": env.get("SMSHOOKS_PUBLIC_URL") or None,
            "max_body_bytes": int(env.get("SMSHOOKS_MAX_BODY_BYTES", DEFAULT_MAX_BODY_BYTES)),
            "max_events_per_request": int(env.get("SMSHOOKS_MAX_EVENTS_PER_REQUEST", DEFAULT_MAX_EVENTS_PER_REQUEST)),
            "trusted_proxies": int(env.get("SMSHOOKS_TRUSTED_PROXIES") or 0),
            "plugins": tuple(p.strip() for p in plugins.split(",") if p.strip()) if plugins else None,
        }
        if env.get("SMSHOOKS_RETRY_DELAYS"):
            values["retry_delays"] = tuple(float(d) for d in env["SMSHOOKS_RETRY_DELAYS"].split(",") if d.strip())
        if env.get("SMSHOOKS_FEEDBACK_RETRY_DELAYS"):
            values["feedback_retry_delays"] = _delays(env["SMSHOOKS_FEEDBACK_RETRY_DELAYS"])
        if env.get("SMSHOOKS_FEEDBACK_DISABLE_AFTER"):
            values["feedback_disable_after"] = _seconds_or_never(env["SMSHOOKS_FEEDBACK_DISABLE_AFTER"])
        if env.get("SMSHOOKS_ALLOW_PRIVATE_TARGETS"):
            values["allow_private_targets"] = env["SMSHOOKS_ALLOW_PRIVATE_TARGETS"].strip().lower() in TRUE_WORDS
        values.update(overrides)
        return cls(**values).resolved()

    def resolved(self) -> Settings:
        """Fill the embedded-mode defaults: a SQLite file and a persistent secret key."""
        settings = self
        if not settings.database_url:
            settings = replace(settings, database_url=f"sqlite:///{(settings.data_dir / 'smshooks.db').resolve()}")
        if not settings.secret_key:
            settings = replace(settings, secret_key=_load_or_create_secret(settings.data_dir / "secret.key"))
        if settings.public_url:
            settings = replace(settings, public_url=settings.public_url.rstrip("/"))
        return settings


def _delays(text: str) -> tuple[float, ...]:
    delays = tuple(float(d) for d in text.split(",") if d.strip())
    if not delays or len(delays) > MAX_FEEDBACK_RETRIES or any(d < 0 for d in delays):
        raise ValueError(f"a retry schedule is 1 to {MAX_FEEDBACK_RETRIES} comma-separated seconds >= 0, not {text!r}")
    return delays


def _seconds_or_never(text: str) -> float | None:
    if text.strip().lower() in ("never", "off"):
        return None
    seconds = float(text)
    if seconds < 0:
        raise ValueError(f"seconds >= 0 or 'never', not {text!r}")
    return seconds


def _load_or_create_secret(path: Path) -> str:
    # The key encrypts vendor secrets at rest; losing it makes stored
    # credentials unreadable, so it is created once and kept beside the database.
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    key = secrets.token_urlsafe(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(key + "\n")
    return key
