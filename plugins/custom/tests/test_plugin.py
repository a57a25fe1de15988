"""Registration: the entry point and the hook the gateway discovers the adapter through."""

from __future__ import annotations

import importlib.metadata

import pluggy

import smshooks_custom
from smshooks import hookspecs
from smshooks.events import Status
from smshooks.vendor import Vendor
from smshooks_custom import CustomVendor


def test_entry_point_loads_the_plugin_module() -> None:
    (entry_point,) = [ep for ep in importlib.metadata.entry_points(group="smshooks") if ep.name == "custom"]
    assert entry_point.load() is smshooks_custom


def test_hook_registers_one_custom_vendor() -> None:
    manager = pluggy.PluginManager(hookspecs.PROJECT)
    manager.add_hookspecs(hookspecs)
    manager.register(smshooks_custom, name="custom")
    manager.check_pending()
    (vendors,) = manager.hook.smshooks_register_vendors()
    assert len(vendors) == 1
    vendor = vendors[0]
    assert isinstance(vendor, CustomVendor) and isinstance(vendor, Vendor)
    assert (vendor.name, vendor.title) == ("custom", "Custom")


def test_registered_adapter_maps_the_common_vocabulary() -> None:
    vendor = CustomVendor()
    assert {name: vendor.map_status(name) for name in vendor.status_map} == {status.value: status for status in Status}
    assert vendor.final_statuses == frozenset({"delivered", "read", "bounce", "error", "unknown"})


def test_adapters_bound_to_credentials_do_not_share_their_maps() -> None:
    infobip = CustomVendor({"status_map": {"DELIVERED_TO_HANDSET": "delivered"}})
    assert infobip.map_status("DELIVERED_TO_HANDSET") is Status.DELIVERED
    assert CustomVendor().map_status("DELIVERED_TO_HANDSET") is Status.UNKNOWN
    assert infobip.map_status("delivered") is Status.UNKNOWN, "a configured map replaces the default"


def test_acknowledge_is_an_empty_200_replies_go_through_send() -> None:
    answer = CustomVendor().acknowledge(["You are unsubscribed."])
    assert (answer.status, answer.body) == (200, "")
