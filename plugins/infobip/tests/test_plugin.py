"""Registration: the entry point and the hook the gateway discovers the adapter through."""

from __future__ import annotations

import importlib.metadata

import pluggy

import smshooks_infobip
from smshooks import hookspecs
from smshooks.vendor import Vendor
from smshooks_infobip import InfobipVendor


def test_entry_point_loads_the_plugin_module() -> None:
    (entry_point,) = [ep for ep in importlib.metadata.entry_points(group="smshooks") if ep.name == "infobip"]
    assert entry_point.load() is smshooks_infobip


def test_hook_registers_one_infobip_vendor() -> None:
    manager = pluggy.PluginManager(hookspecs.PROJECT)
    manager.add_hookspecs(hookspecs)
    manager.register(smshooks_infobip, name="infobip")
    manager.check_pending()
    (vendors,) = manager.hook.smshooks_register_vendors()
    assert len(vendors) == 1
    vendor = vendors[0]
    assert isinstance(vendor, InfobipVendor) and isinstance(vendor, Vendor)
    assert (vendor.name, vendor.title) == ("infobip", "Infobip")


def test_acknowledge_is_an_empty_200() -> None:
    answer = InfobipVendor().acknowledge(["a reply Infobip cannot carry inline"])
    assert (answer.status, answer.body) == (200, "")
