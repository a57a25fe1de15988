"""Registration: the entry point and the hook the gateway discovers the adapter through."""

from __future__ import annotations

import importlib.metadata

import pluggy

import smshooks_sinch
from smshooks import hookspecs
from smshooks.vendor import Vendor, WebhookResponse
from smshooks_sinch import SinchVendor


def test_entry_point_loads_the_plugin_module() -> None:
    (entry_point,) = [ep for ep in importlib.metadata.entry_points(group="smshooks") if ep.name == "sinch"]
    assert entry_point.load() is smshooks_sinch


def test_hook_registers_one_sinch_vendor() -> None:
    manager = pluggy.PluginManager(hookspecs.PROJECT)
    manager.add_hookspecs(hookspecs)
    manager.register(smshooks_sinch, name="sinch")
    manager.check_pending()
    (vendors,) = manager.hook.smshooks_register_vendors()
    assert len(vendors) == 1
    vendor = vendors[0]
    assert isinstance(vendor, SinchVendor) and isinstance(vendor, Vendor)
    assert (vendor.name, vendor.title) == ("sinch", "Sinch")


def test_acknowledge_is_an_empty_200_even_with_replies() -> None:
    # Sinch takes no inline replies: they go out through send().
    assert SinchVendor().acknowledge(["Reply STOP to opt out"]) == WebhookResponse(200, "")
