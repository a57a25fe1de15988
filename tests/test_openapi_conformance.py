"""The API agrees with its OpenAPI document: a bounded schemathesis run of every operation.

Each operation gets generated requests (valid and invalid) with a real API key;
a 5xx, a status code the document does not list, a body that does not match the
documented schema, or an undocumented content type fails the test. The run is
seeded and small, so it is reproducible and takes seconds.

schemathesis parametrizes at collection time, so the app (on a SQLite file in a
temporary directory) is built when the module is imported, and torn down by a
module fixture. (``schemathesis.pytest.from_fixture`` would defer that, but it
does not run under pytest 9.)
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import hypothesis
import pytest

if not os.environ.get("CI"):  # tox's core env (and so CI) installs it; a bare dev venv may not
    pytest.importorskip("schemathesis", reason="pip install 'schemathesis>=4.32,<5' (tox -e core does)")
import schemathesis
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from support import loopback

from smshooks.apikeys import create_api_key
from smshooks.settings import Settings
from smshooks.web.app import create_app

CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance, content_type_conformance]
SEED = 20261201
MAX_EXAMPLES = 8

DATA_DIR = Path(tempfile.mkdtemp(prefix="smshooks-conformance-"))
APP = create_app(
    Settings(
        data_dir=DATA_DIR,
        database_url=f"sqlite:///{DATA_DIR / 'smshooks.db'}",
        secret_key="conformance-secret-key",
        public_url="https://sms.example.test",
        allow_private_targets=True,
    ).resolved(),
    plugins=[loopback],
)
API_KEY = create_api_key(APP.extensions["smshooks"].db, "acme")

schema = schemathesis.openapi.from_wsgi(
    "/api/v1/openapi.json",
    APP,
    config=schemathesis.Config.from_dict(
        {
            "seed": SEED,
            "headers": {"Authorization": f"Bearer {API_KEY}"},
            "generation": {"max-examples": MAX_EXAMPLES, "deterministic": True, "database": "none"},
        }
    ),
)


@pytest.fixture(scope="module", autouse=True)
def _dispose_the_app() -> Iterator[None]:
    yield
    APP.extensions["smshooks"].db.engine.dispose()
    shutil.rmtree(DATA_DIR, ignore_errors=True)


@schema.parametrize()
@hypothesis.settings(deadline=None, derandomize=True, suppress_health_check=list(hypothesis.HealthCheck))
def test_every_operation_conforms_to_the_openapi_document(case: schemathesis.Case) -> None:
    case.call_and_validate(checks=CHECKS)
