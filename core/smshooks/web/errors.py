"""One JSON error shape for every route: ``{"error": {"code", "message", "details"}}``."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, jsonify
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)

CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "invalid",
    429: "too_many_requests",
    500: "internal_error",
    503: "unavailable",
}


class ApiError(Exception):
    """Raise from a view to answer with a JSON error."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        code: str | None = None,
        details: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ):
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code or CODES.get(status, "error")
        self.details = details or {}
        self.headers = headers or {}


def error_response(
    status: int, message: str, *, code: str | None = None, details: dict[str, Any] | None = None
) -> Response:
    body = {"error": {"code": code or CODES.get(status, "error"), "message": message, "details": details or {}}}
    response = jsonify(body)
    response.status_code = status
    return response


def http_exception_response(error: HTTPException) -> Response:
    """A werkzeug/flask-smorest HTTP error as our JSON error (webargs puts field
    messages in ``error.data["messages"]``, keyed by location)."""
    status = error.code or 500
    details: dict[str, Any] = {}
    data = getattr(error, "data", None) or {}
    messages = data.get("messages")
    if isinstance(messages, dict):
        # {"json": {"field": [...]}} -> {"field": [...]}; the location is noise
        for location_messages in messages.values():
            if isinstance(location_messages, dict):
                details.update(location_messages)
            else:
                details.setdefault("_schema", location_messages)
    message = data.get("message") or (error.description if status != 422 else "invalid field values")
    response = error_response(status, str(message), details=details)
    for name, value in (getattr(error, "headers", None) or data.get("headers") or {}).items():
        response.headers[name] = value
    return response


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(ApiError)
    def _api_error(error: ApiError) -> Response:
        response = error_response(error.status, error.message, code=error.code, details=error.details)
        response.headers.update(error.headers)
        return response

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException) -> Response:
        return http_exception_response(error)

    @app.errorhandler(OperationalError)
    def _database_unavailable(error: OperationalError) -> Response:
        # The database is down or locked: a vendor should retry, so 503, not 4xx.
        log.error("database unavailable: %s", error)
        response = error_response(503, "the database is unavailable; retry later")
        response.headers["Retry-After"] = "5"
        return response

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> Response:
        log.exception("unhandled error")
        return error_response(500, "internal error")
