"""The plugin host: entry points loaded one by one, broken ones reported, never fatal."""

from __future__ import annotations

import sys

import pytest
from support.distributions import install_plugin

from smshooks.plugins import PluginHost
from smshooks.web.app import create_app

GOOD = """
from smshooks.hookspecs import hookimpl
from smshooks.vendor import Vendor
from marshmallow import Schema

class GoodVendor(Vendor):
    name = "good"
    title = "Good"
    credentials_schema = Schema

@hookimpl
def smshooks_register_vendors():
    return [GoodVendor()]
"""

BROKEN_IMPORT = """
raise RuntimeError("this plugin is broken on purpose")
"""

MISSPELT_HOOK = """
from smshooks.hookspecs import hookimpl

@hookimpl
def smshooks_registr_vendors():
    return []
"""


@pytest.fixture
def site(tmp_path, monkeypatch):
    path = tmp_path / "site"
    path.mkdir()
    monkeypatch.syspath_prepend(str(path))
    yield path
    for name in ("plugin_good", "plugin_broken", "plugin_misspelt"):
        sys.modules.pop(name, None)


def by_name(host: PluginHost) -> dict:
    return {info.name: info for info in host.plugins}


def test_installed_plugin_is_loaded_with_its_version_hooks_and_vendors(site):
    install_plugin(site, "smshooks-good", "good", "plugin_good", GOOD, version="2.3.4")
    info = by_name(PluginHost())["good"]
    assert (info.status, info.version, info.distribution) == ("loaded", "2.3.4", "smshooks-good")
    assert info.hooks == ["smshooks_register_vendors"]
    assert info.vendors == ["good"]


def test_broken_plugins_are_skipped_and_reported(site):
    install_plugin(site, "smshooks-good", "good", "plugin_good", GOOD)
    install_plugin(site, "smshooks-broken", "broken", "plugin_broken", BROKEN_IMPORT)
    install_plugin(site, "smshooks-misspelt", "misspelt", "plugin_misspelt", MISSPELT_HOOK)
    host = PluginHost()
    plugins = by_name(host)
    assert plugins["broken"].status == "failed"
    assert "broken on purpose" in plugins["broken"].error
    assert plugins["misspelt"].status == "failed"
    assert "smshooks_registr_vendors" in plugins["misspelt"].error
    assert plugins["good"].status == "loaded"
    assert "good" in host.vendors


def test_app_starts_with_a_broken_plugin_and_the_api_reports_it(site, smshooks_settings, api_key_for):
    install_plugin(site, "smshooks-broken", "broken", "plugin_broken", BROKEN_IMPORT)
    install_plugin(site, "smshooks-good", "good", "plugin_good", GOOD)
    app = create_app(smshooks_settings)
    client = app.test_client()
    assert client.get("/healthz").status_code == 200
    answer = client.get("/api/v1/plugins", headers={"Authorization": f"Bearer {api_key_for(app)}"})
    assert answer.status_code == 200
    plugins = {p["name"]: p for p in answer.json["plugins"]}
    assert plugins["broken"]["status"] == "failed"
    assert "RuntimeError" in plugins["broken"]["error"]
    assert plugins["good"]["status"] == "loaded"
    assert "good" in [v["name"] for v in answer.json["vendors"]]
    assert plugins["smshooks.builtin.observers"]["source"] == "builtin"


def test_only_named_plugins_load(site):
    install_plugin(site, "smshooks-good", "good", "plugin_good", GOOD)
    install_plugin(site, "smshooks-broken", "broken", "plugin_broken", BROKEN_IMPORT)
    host = PluginHost(only=["good"])
    names = {info.name for info in host.plugins if info.source == "entry_point"}
    assert names == {"good"}


def test_plugins_setting_comes_from_the_environment():
    from smshooks.settings import Settings

    settings = Settings.from_env({"SMSHOOKS_PLUGINS": "twilio, sinch", "SMSHOOKS_SECRET_KEY": "k"})
    assert settings.plugins == ("twilio", "sinch")
