"""The Flask app factory."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from flask import Flask
from flask_smorest import Api

from smshooks.gateway import Gateway
from smshooks.settings import Settings
from smshooks.store.db import schema_revisions
from smshooks.web import errors
from smshooks.web.console.mount import register_console

log = logging.getLogger(__name__)


class GatewayApi(Api):
    """flask-smorest's Api documenting our error shape instead of its own."""

    ERROR_SCHEMA = errors.ErrorResponse


def create_app(
    settings: Settings | None = None,
    *,
    plugins: Iterable[Any] = (),
    create_schema: bool = True,
) -> Flask:
    """Build the app: plugin host, database, blueprints.

    ``plugins`` registers plugin objects directly, beside the installed entry
    points (as pytest's ``-p``). ``create_schema`` runs the migrations on a
    database that has no schema yet (the embedded default).
    """
    settings = settings or Settings.from_env()
    gw = Gateway.build(settings, plugins=plugins, create_schema=create_schema)

    app = Flask("smshooks")
    app.config.update(
        MAX_CONTENT_LENGTH=settings.max_body_bytes,
        API_TITLE="smshooks",
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/api/v1",
        OPENAPI_JSON_PATH="openapi.json",
        API_SPEC_OPTIONS={
            "info": {"description": "Admin and send API of the smshooks SMS webhook gateway."},
            "components": {
                "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            },
            "security": [{"bearer": []}],
        },
        JSON_SORT_KEYS=False,
    )
    app.json.sort_keys = False
    app.extensions["smshooks"] = gw
    if not settings.public_url:
        log.warning(
            "SMSHOOKS_PUBLIC_URL is not set: webhook URLs, signature checks and the status-callback URL of each"
            " send use the scheme and host of the request that created them; set it behind a proxy"
        )

    from smshooks.web import docs, hooks, prometheus, request_log
    from smshooks.web.api import register_api

    request_log.install(app)  # first: every answer, refusals included, gets a request id and a log line
    app.register_blueprint(hooks.blueprint)
    api = GatewayApi(app)
    register_api(app, api)
    errors.register_error_handlers(app)
    prometheus.install(app, gw)  # GET /metrics
    docs.install(app)  # GET /api/v1/docs
    register_console(app)

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        """The process is up (liveness): no database call."""
        return {"status": "ok"}

    @app.get("/readyz")
    def readyz() -> tuple[dict[str, str | None], int]:
        """Ready for traffic: the database answers and its schema is this code's head (else 503)."""
        try:
            current, head = schema_revisions(gw.db.engine)
        except Exception as exc:  # any driver error: not ready, and the balancer should look elsewhere
            log.warning("readyz: the database does not answer: %s", exc)
            return {"status": "database_unavailable"}, 503
        if current != head:
            return {"status": "schema_not_at_head", "schema": current, "head": head}, 503
        return {"status": "ready", "schema": current, "head": head}, 200

    return app
