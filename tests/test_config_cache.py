"""The vendor-facing path caches webhooks, credentials and sandbox policies for at most a second:
a change made through this process takes effect on the very next vendor request, a change made by
another process (another host on PostgreSQL) within the cache's ttl."""

from __future__ import annotations

import pytest
from flask import Flask
from support import loopback
from support.api import Api, make_webhook, new_org, post_signed

from smshooks.apikeys import create_api_key
from smshooks.web.app import create_app

INBOUND = {"id": "in-1", "from": "+14155550123", "to": "+14155550100", "text": "hello"}


@pytest.fixture(scope="module")
def api(module_app: Flask, module_client) -> Api:
    return Api(module_client, create_api_key(module_app.extensions["smshooks"].db, org=new_org()))


def test_a_deleted_webhook_is_404_on_the_next_request(api: Api, module_client) -> None:
    hook = make_webhook(api, name="deleted")
    assert post_signed(module_client, hook, {**INBOUND, "id": "a"}).status_code == 200
    assert api.delete(f"/webhooks/{hook['id']}").status_code == 204
    assert post_signed(module_client, hook, {**INBOUND, "id": "b"}).status_code == 404


def test_a_rotated_secret_is_required_on_the_next_request(api: Api, module_client) -> None:
    hook = make_webhook(api, name="rotated", secret="old-secret")
    assert post_signed(module_client, hook, {**INBOUND, "id": "c"}, secret="old-secret").status_code == 200
    changed = api.patch(f"/credentials/{hook['credentials_id']}", {"secret": "new-secret"})
    assert changed.status_code == 200, changed.json
    assert post_signed(module_client, hook, {**INBOUND, "id": "d"}, secret="old-secret").status_code == 403
    assert post_signed(module_client, hook, {**INBOUND, "id": "e"}, secret="new-secret").status_code == 200


def test_another_process_change_is_seen_once_the_ttl_passed(api: Api, module_app: Flask, module_client) -> None:
    hook = make_webhook(api, name="elsewhere")
    assert post_signed(module_client, hook, {**INBOUND, "id": "f"}).status_code == 200
    # another process on the same database: its own app, its own cache
    other = create_app(module_app.extensions["smshooks"].settings, plugins=[loopback])
    try:
        other_api = Api(other.test_client(), api.key)
        assert other_api.delete(f"/webhooks/{hook['id']}").status_code == 204
    finally:
        other.extensions["smshooks"].db.engine.dispose()
    cache = module_app.extensions["smshooks"].config
    clock = cache.clock
    try:
        cache.clock = lambda: clock() + cache.ttl  # as if a second passed
        assert post_signed(module_client, hook, {**INBOUND, "id": "g"}).status_code == 404
    finally:
        cache.clock = clock
