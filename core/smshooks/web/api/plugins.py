"""``/api/v1/plugins``: what is installed, loaded or failed, and the vendors it provides."""

from __future__ import annotations

import dataclasses
from typing import Any

from marshmallow import Schema, fields

from smshooks.credentials.service import vendor_fields
from smshooks.web.api.base import ApiBlueprint
from smshooks.web.context import gateway

blp = ApiBlueprint("plugins", __name__, url_prefix="/api/v1/plugins", description="Installed plugins.")


class PluginOut(Schema):
    name = fields.String()
    source = fields.String(metadata={"description": "builtin, entry_point or direct"})
    distribution = fields.String(allow_none=True)
    version = fields.String(allow_none=True)
    status = fields.String(metadata={"description": "loaded or failed"})
    error = fields.String(allow_none=True)
    hooks = fields.List(fields.String())
    vendors = fields.List(fields.String())


class VendorOut(Schema):
    name = fields.String()
    title = fields.String()
    credential_fields = fields.Dict(
        metadata={"description": "field name -> {required, secret, target (a URL smshooks calls)}"}
    )


class PluginsOut(Schema):
    plugins = fields.List(fields.Nested(PluginOut))
    vendors = fields.List(fields.Nested(VendorOut))


@blp.route("")
@blp.response(200, PluginsOut)
def list_plugins() -> dict[str, Any]:
    """Every plugin the host tried to load, with its version, hooks and vendors."""
    host = gateway().plugins
    vendors = [
        {"name": vendor.name, "title": vendor.title, "credential_fields": vendor_fields(vendor)}
        for vendor in host.vendors.values()
    ]
    return {"plugins": [dataclasses.asdict(p) for p in host.plugins], "vendors": vendors}
