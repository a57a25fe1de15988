"""/healthz says the process is up; /readyz says it can serve: database answering, schema at head."""

from __future__ import annotations

from alembic import command
from support import loopback

from smshooks.settings import Settings
from smshooks.store.db import alembic_config
from smshooks.web.app import create_app


def test_a_migrated_gateway_is_live_and_ready(client):
    assert client.get("/healthz").json == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json["status"] == "ready" and ready.json["schema"] == ready.json["head"] is not None


def test_a_schema_behind_the_code_is_not_ready_until_upgraded(app, client):
    engine = app.extensions["smshooks"].db.engine
    head = client.get("/readyz").json["head"]
    command.downgrade(alembic_config(engine), "-1")  # new code deployed before `smshooks db upgrade`
    behind = client.get("/readyz")
    assert behind.status_code == 503
    assert behind.json["status"] == "schema_not_at_head"
    assert behind.json["head"] == head and behind.json["schema"] not in (None, head)
    assert client.get("/healthz").status_code == 200  # alive, only not ready

    command.upgrade(alembic_config(engine), "head")
    assert client.get("/readyz").status_code == 200


def test_a_database_that_does_not_answer_is_not_ready(tmp_path):
    settings = Settings(
        data_dir=tmp_path,
        database_url="postgresql+psycopg://nobody@127.0.0.1:9/none?connect_timeout=1",
        secret_key="k",
    ).resolved()
    client = create_app(settings, plugins=[loopback], create_schema=False).test_client()
    assert client.get("/healthz").status_code == 200
    answer = client.get("/readyz")
    assert (answer.status_code, answer.json) == (503, {"status": "database_unavailable"})
