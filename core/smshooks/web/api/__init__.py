"""The admin REST API under ``/api/v1`` (flask-smorest: marshmallow schemas and OpenAPI)."""

from __future__ import annotations

from flask import Flask
from flask_smorest import Api

from smshooks.web.api import (
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
    webhooks,
)


def register_api(app: Flask, api: Api) -> None:
    auth.install(app)
    modules = (
        credentials,
        webhooks,
        channels,
        messages,
        keywords,
        replies,
        consent,
        profiles,
        events,
        feedback,
        plugins,
    )
    for module in modules:
        api.register_blueprint(module.blp)
