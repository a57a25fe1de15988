"""Fixtures and helpers for tests that call the services directly, as the console does.

A module imports them::

    from support.services import refused, shared_gw, shared_scope  # noqa: F401

(the fixtures are named ``gw`` and ``scope``; the ``shared_`` names keep the import from clashing
with the tests' arguments). ``gw`` is the module app's gateway, ``scope`` a new organisation's
``prod`` sandbox for each test.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from smshooks.errors import Invalid
from smshooks.gateway import Gateway
from smshooks.scope import Scope
from support.api import new_org


@pytest.fixture(name="gw", scope="module")
def shared_gw(module_app: Any) -> Gateway:
    return module_app.extensions["smshooks"]


@pytest.fixture(name="scope")
def shared_scope() -> Scope:
    return Scope(new_org(), "prod")


def refused(call: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[str, dict]:
    """The message and details of the :class:`Invalid` that ``call(*args, **kwargs)`` raises."""
    with pytest.raises(Invalid) as error:
        call(*args, **kwargs)
    return error.value.message, error.value.details
