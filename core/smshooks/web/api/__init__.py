"""The admin REST API under ``/api/v1`` (flask-smorest: marshmallow schemas and OpenAPI)."""

from __future__ import annotations

from flask import Flask
from flask_smorest import Api

from smshooks.web.api import (
    api_keys,
    auth,
    channels,
    consent,
    credentials,
    events,
    feedback,
    keywords,
    messages,
    plugins,
    profiles,
    replies,
    sandbox_settings,
    webhooks,
)
from smshooks.web.api.openapi import document_sandbox_header, document_vendors


def register_api(app: Flask, api: Api) -> None:
    auth.install(app)
    auth.document_scopes(api)  # before the blueprints: each operation documents its scope
    modules = (
        credentials,
        webhooks,
        channels,
        messages,
        keywords,
        replies,
        consent,
        sandbox_settings,
        profiles,
        events,
        feedback,
        plugins,
        api_keys,
    )
    # every operation runs in the sandbox the header names (auth.authenticate reads it)
    sandbox = document_sandbox_header(api)
    for module in modules:
        api.register_blueprint(module.blp, parameters=[sandbox])
    document_vendors(api, app.extensions["smshooks"].plugins.vendors.values())
