"""The parts of the OpenAPI document that depend on the running gateway.

The blueprints' marshmallow schemas describe everything fixed. Two things are
known only once the plugins are loaded, so they are written here, per app:

- the credential bodies: each installed vendor's fields, generated from its
  plugin's marshmallow ``credentials_schema`` (a ``oneOf`` discriminated by
  ``vendor``), never copied by hand;
- the vendor names a webhook may name.

And one thing every scoped operation shares: the ``X-Sandbox-Name`` header.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any

from flask_smorest import Api

from smshooks.vendor import Vendor
from smshooks.web.api.auth import DEFAULT_SANDBOX, SANDBOX_NAME

SANDBOX_PARAMETER = "SandboxName"


def document_sandbox_header(api: Api) -> str:
    """Register the ``X-Sandbox-Name`` header parameter; the name to reference it by."""
    api.spec.components.parameter(
        SANDBOX_PARAMETER,
        "header",
        {
            "name": "X-Sandbox-Name",
            "required": False,
            "description": f"the sandbox of the organisation the request works in; absent or empty: {DEFAULT_SANDBOX}",
            # auth.authenticate reads an empty value as the default
            "schema": {"type": "string", "pattern": f"^(?:{SANDBOX_NAME.pattern[1:-1]})?$", "default": DEFAULT_SANDBOX},
        },
    )
    return SANDBOX_PARAMETER


def document_vendors(api: Api, vendors: Iterable[Vendor]) -> None:
    """Replace the generic credential schemas with one variant per installed vendor."""
    vendors = sorted(vendors, key=lambda vendor: vendor.name)
    schemas = api.spec.components.schemas
    converter = api.ma_plugin.converter
    names = [vendor.name for vendor in vendors]
    if "WebhookIn" in schemas and names:
        schemas["WebhookIn"]["properties"]["vendor"]["enum"] = names
    if not vendors:
        return
    base_in, base_patch, base_out = (schemas[name] for name in ("CredentialIn", "CredentialPatch", "CredentialOut"))
    variants: dict[str, dict[str, list[str]]] = {"CredentialIn": {}, "CredentialPatch": {}, "CredentialOut": {}}
    for vendor in vendors:
        fields = converter.schema2jsonschema(vendor.credentials_schema())
        key = _component_key(vendor.name)
        shapes = {
            "CredentialIn": _variant(base_in, fields, vendor, required=True),
            "CredentialPatch": _variant(base_patch, fields, vendor, required=False),
            "CredentialOut": _variant(base_out, _as_answered(fields), vendor, required=False, closed=False),
        }
        for schema_name, shape in shapes.items():
            component = f"{schema_name}.{key}"
            schemas[component] = shape
            variants[schema_name][vendor.name] = f"#/components/schemas/{component}"
    schemas["CredentialIn"] = _one_of(variants["CredentialIn"], "a credential: name, vendor and the vendor's fields")
    schemas["CredentialPatch"] = {
        "description": "some fields of a credential; the vendor cannot change; a secret sent back masked is kept",
        "anyOf": [{"$ref": ref} for ref in variants["CredentialPatch"].values()],
    }
    schemas["CredentialOut"] = _one_of(variants["CredentialOut"], "a credential, secrets masked")


def _component_key(name: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "._-" else "_" for ch in name)


def _one_of(refs: dict[str, str], description: str) -> dict[str, Any]:
    return {
        "description": description,
        "oneOf": [{"$ref": ref} for ref in refs.values()],
        "discriminator": {"propertyName": "vendor", "mapping": dict(refs)},
    }


def _variant(
    base: dict[str, Any], fields: dict[str, Any], vendor: Vendor, *, required: bool, closed: bool = True
) -> dict[str, Any]:
    """``base`` (name, vendor, ...) with the vendor's fields; ``vendor`` only this one."""
    properties = copy.deepcopy(base.get("properties", {}))
    properties.update(copy.deepcopy(fields.get("properties", {})))
    properties["vendor"] = {**properties.get("vendor", {}), "type": "string", "enum": [vendor.name]}
    properties["vendor"].pop("minLength", None)
    properties["vendor"].pop("maxLength", None)
    variant: dict[str, Any] = {
        "type": "object",
        "title": f"{vendor.title} credential",
        "properties": properties,
    }
    if required:
        variant["required"] = sorted(set(base.get("required", [])) | set(fields.get("required", [])))
    if closed and "additionalProperties" in fields:
        variant["additionalProperties"] = fields["additionalProperties"]
    return variant


def _as_answered(fields: dict[str, Any]) -> dict[str, Any]:
    """The vendor's fields as an answer shows them: a value may be unset (null),
    and a secret is masked, so only its type is promised."""
    properties = {}
    for name, schema in fields.get("properties", {}).items():
        shown = {key: value for key, value in schema.items() if key in ("type", "description", "format", "items")}
        if shown.get("type") == "string":
            shown.pop("format", None)
        shown["nullable"] = True
        properties[name] = shown
    return {"properties": properties}
