"""One JSON error shape for every route: ``{"error": {"code", "message", "details"}}``."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any

import marshmallow
from flask import Flask, Request, Response, jsonify
from sqlalchemy.exc import IntegrityError, OperationalError
from webargs.flaskparser import FlaskParser, abort, is_json_request
from werkzeug.exceptions import HTTPException

from smshooks import errors as domain
from smshooks.store.text import UNSTORABLE_TEXT, is_storable

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


#: the one table from a use case's refusal to its HTTP answer (the API and the console share it)
DOMAIN_STATUS: dict[type[domain.DomainError], int] = {
    domain.NotFound: 404,
    domain.Conflict: 409,
    domain.Invalid: 422,
    domain.TooLarge: 413,
    domain.Malformed: 400,
    domain.Forbidden: 403,
    domain.Unavailable: 503,
}


def domain_status(error: domain.DomainError) -> int:
    """The HTTP status of a refusal: its kind's entry in :data:`DOMAIN_STATUS` (the nearest base's)."""
    for kind in type(error).__mro__:
        if kind in DOMAIN_STATUS:
            return DOMAIN_STATUS[kind]
    return 400


class ErrorBody(marshmallow.Schema):
    code = marshmallow.fields.String(metadata={"description": "machine-readable: invalid, not_found, conflict, ..."})
    message = marshmallow.fields.String()
    details = marshmallow.fields.Dict(metadata={"description": "field name -> messages, for invalid values"})


class ErrorResponse(marshmallow.Schema):
    """The OpenAPI description of every error answer."""

    error = marshmallow.fields.Nested(ErrorBody)


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
    # werkzeug's own headers (405: Allow, which HTTP requires) without its HTML content type
    for name, value in error.get_headers():
        if name.lower() != "content-type":
            response.headers[name] = value
    for name, value in (getattr(error, "headers", None) or data.get("headers") or {}).items():
        response.headers[name] = value
    return response


class ApiArgumentsParser(FlaskParser):
    """How the admin API reads JSON bodies and query strings, so that bad input
    is a 400 or a 422, never a 500 from the JSON decoder or the database driver."""

    def _raw_load_json(self, req: Request) -> Any:
        if not is_json_request(req) and req.get_data(cache=True):
            # webargs would read a form or text body as "no body": a PATCH
            # sent as a form would answer 200 and change nothing
            abort(415, message="send the body as JSON (Content-Type: application/json)")
        try:
            return super()._raw_load_json(req)
        except json.JSONDecodeError:
            raise
        except RecursionError:
            raise json.JSONDecodeError("nested too deeply", "<body>", 0) from None
        except ValueError:  # an integer literal over Python's 4300-digit limit
            raise json.JSONDecodeError("number too long", "<body>", 0) from None

    def _handle_invalid_json_error(self, error: Exception, req: Request, *args: Any, **kwargs: Any) -> Any:
        abort(400, exc=error, message="malformed JSON body", messages={"json": [f"Invalid JSON body: {error}"]})

    def pre_load(self, location_data: Any, *, schema: marshmallow.Schema, req: Request, location: str) -> Any:
        if location in ("query", "querystring"):
            items = list(req.args.items(multi=True))
        elif isinstance(location_data, Mapping):
            items = list(location_data.items())
        else:
            items = [("_schema", location_data)]
        invalid = {str(key): [UNSTORABLE_TEXT] for key, value in items if not is_storable([key, value])}
        if invalid:
            raise marshmallow.ValidationError(invalid)
        return location_data


#: set as ``ARGUMENTS_PARSER`` on every admin API blueprint
ARGUMENTS_PARSER = ApiArgumentsParser()


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(ApiError)
    def _api_error(error: ApiError) -> Response:
        response = error_response(error.status, error.message, code=error.code, details=error.details)
        response.headers.update(error.headers)
        return response

    @app.errorhandler(domain.DomainError)
    def _domain_error(error: domain.DomainError) -> Response:
        response = error_response(domain_status(error), error.message, code=error.code, details=error.details)
        if isinstance(error, domain.Unavailable):
            response.headers["Retry-After"] = str(error.retry_after)
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

    @app.errorhandler(IntegrityError)
    def _conflict(error: IntegrityError) -> Response:
        # Two requests raced past a uniqueness check; the database kept one.
        log.info("integrity error answered 409: %s", error.orig)
        return error_response(409, "conflicts with an existing record (created concurrently); retry")

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> Response:
        log.exception("unhandled error")
        return error_response(500, "internal error")
