"""Registration: the entry point and the hook the gateway discovers the adapter through."""

from __future__ import annotations

import importlib.metadata

import pluggy

import smshooks_twilio
from smshooks import hookspecs
from smshooks.vendor import Vendor
from smshooks_twilio import TwilioVendor


def test_entry_point_loads_the_plugin_module() -> None:
    (entry_point,) = [ep for ep in importlib.metadata.entry_points(group="smshooks") if ep.name == "twilio"]
    assert entry_point.load() is smshooks_twilio


def test_hook_registers_one_twilio_vendor() -> None:
    manager = pluggy.PluginManager(hookspecs.PROJECT)
    manager.add_hookspecs(hookspecs)
    manager.register(smshooks_twilio, name="twilio")
    manager.check_pending()
    (vendors,) = manager.hook.smshooks_register_vendors()
    assert len(vendors) == 1
    vendor = vendors[0]
    assert isinstance(vendor, TwilioVendor) and isinstance(vendor, Vendor)
    assert (vendor.name, vendor.title) == ("twilio", "Twilio")
