"""The blueprint class every admin API module uses."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import request
from flask_smorest import Blueprint

from smshooks.web.errors import ARGUMENTS_PARSER, ApiError

BODY_REQUIRED = "a JSON body is required"


class ApiBlueprint(Blueprint):
    """A flask-smorest blueprint whose request parsing refuses what our store
    cannot hold (NUL, lone surrogates) and answers malformed JSON with 400.

    A JSON body declared required (``arguments(..., required=True)``, the
    default, which the OpenAPI document shows as ``requestBody.required``) is
    enforced: without one the answer is 400. webargs alone reads a missing body
    as ``{}``, so a body-less PUT would replace a configuration with defaults.
    Operations whose every field is optional declare ``required=False``.
    """

    ARGUMENTS_PARSER = ARGUMENTS_PARSER

    def arguments(self, schema: Any, *, location: str = "json", required: bool = True, **kwargs: Any) -> Callable:
        parse = super().arguments(schema, location=location, required=required, **kwargs)
        if location != "json" or not required:
            return parse

        def decorator(func: Callable) -> Callable:
            parsed = parse(func)

            @wraps(parsed)
            def wrapper(*args: Any, **kw: Any) -> Any:
                if not request.get_data(cache=True):
                    raise ApiError(400, BODY_REQUIRED, details={"json": [BODY_REQUIRED]})
                return parsed(*args, **kw)

            return wrapper

        return decorator
