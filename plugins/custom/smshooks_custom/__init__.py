"""Custom vendor adapter for smshooks: any HTTP SMS provider, described by configuration.

Registered under the ``smshooks`` entry point group; the gateway finds it by
installing the ``smshooks-custom`` distribution.
"""

from __future__ import annotations

from smshooks.hookspecs import hookimpl
from smshooks.vendor import Vendor
from smshooks_custom.vendor import CustomVendor

__all__ = ["CustomVendor", "smshooks_register_vendors"]


@hookimpl
def smshooks_register_vendors() -> list[Vendor]:
    return [CustomVendor()]
