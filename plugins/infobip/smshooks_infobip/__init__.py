"""Infobip SMS adapter for smshooks.

Registered under the ``smshooks`` entry point group; the gateway finds it by
installing the ``smshooks-infobip`` distribution.
"""

from __future__ import annotations

from smshooks.hookspecs import hookimpl
from smshooks.vendor import Vendor
from smshooks_infobip.vendor import InfobipVendor

__all__ = ["InfobipVendor", "smshooks_register_vendors"]


@hookimpl
def smshooks_register_vendors() -> list[Vendor]:
    return [InfobipVendor()]
