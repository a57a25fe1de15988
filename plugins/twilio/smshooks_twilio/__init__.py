"""Twilio Programmable Messaging adapter for smshooks.

Registered under the ``smshooks`` entry point group; the gateway finds it by
installing the ``smshooks-twilio`` distribution.
"""

from __future__ import annotations

from smshooks.hookspecs import hookimpl
from smshooks.vendor import Vendor
from smshooks_twilio.vendor import TwilioVendor

__all__ = ["TwilioVendor", "smshooks_register_vendors"]


@hookimpl
def smshooks_register_vendors() -> list[Vendor]:
    return [TwilioVendor()]
