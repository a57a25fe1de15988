"""The admin REST API under ``/api/v1`` (flask-smorest: marshmallow schemas and OpenAPI)."""

from __future__ import annotations

from flask import Flask
from flask_smorest import Api

from smshooks.web.api import auth, consent, credentials, events, keywords, plugins, profiles, replies, webhooks


def register_api(app: Flask, api: Api) -> None:
    auth.install(app)
    for module in (credentials, webhooks, keywords, replies, consent, profiles, events, plugins):
        api.register_blueprint(module.blp)
