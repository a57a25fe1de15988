"""Sinch SMS REST API adapter for smshooks.

Registered under the ``smshooks`` entry point group; the gateway finds it by
installing the ``smshooks-sinch`` distribution.
"""

from __future__ import annotations

from smshooks.hookspecs import hookimpl
from smshooks.vendor import Vendor
from smshooks_sinch.vendor import SinchVendor

__all__ = ["SinchVendor", "smshooks_register_vendors"]


@hookimpl
def smshooks_register_vendors() -> list[Vendor]:
    return [SinchVendor()]
