"""The plugin manager, built per app: built-in hooks first, then installed plugins one by one."""

from __future__ import annotations

import importlib.metadata
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pluggy

from smshooks import hookspecs
from smshooks.vendor import Vendor

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "smshooks"
BUILTIN_PLUGINS = ("smshooks.builtin.observers", "smshooks.builtin.metrics")


@dataclass
class PluginInfo:
    """What ``GET /api/v1/plugins`` reports about one plugin."""

    name: str
    source: str  # "builtin", "entry_point" or "direct"
    version: str | None = None
    distribution: str | None = None
    status: str = "loaded"  # or "failed"
    error: str | None = None
    hooks: list[str] = field(default_factory=list)
    vendors: list[str] = field(default_factory=list)


class PluginHost:
    """Owns the pluggy manager, the plugin registry report and the vendor adapters."""

    def __init__(self, only: Sequence[str] | None = None, extra: Iterable[Any] = ()):
        self.pm = pluggy.PluginManager(hookspecs.PROJECT)
        self.pm.add_hookspecs(hookspecs)
        self.plugins: list[PluginInfo] = []
        for module_name in BUILTIN_PLUGINS:
            module = importlib.import_module(module_name)
            self._register(module, PluginInfo(name=module_name, source="builtin"))
        self._load_entry_points(only)
        for plugin in extra:
            name = getattr(plugin, "__name__", type(plugin).__name__)
            self._register(plugin, PluginInfo(name=name, source="direct"))
        self.pm.check_pending()
        self.vendors: dict[str, Vendor] = self._collect_vendors()

    @property
    def hook(self) -> Any:
        return self.pm.hook

    def vendor(self, name: str) -> Vendor | None:
        return self.vendors.get(name)

    def _load_entry_points(self, only: Sequence[str] | None) -> None:
        wanted = set(only) if only is not None else None
        for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
            if wanted is not None and ep.name not in wanted:
                continue
            dist = ep.dist
            info = PluginInfo(
                name=ep.name,
                source="entry_point",
                distribution=dist.metadata["Name"] if dist else None,
                version=dist.version if dist else None,
            )
            if self.pm.has_plugin(ep.name) or any(p.name == ep.name for p in self.plugins):
                continue  # the same distribution found twice on sys.path
            try:
                plugin = ep.load()
                self._register(plugin, info)
            except Exception as exc:  # a broken plugin must never stop the gateway
                log.exception("plugin %s failed to load; skipped", ep.name)
                info.status = "failed"
                info.error = f"{type(exc).__name__}: {exc}"
                if self.pm.has_plugin(ep.name):
                    self.pm.unregister(name=ep.name)
                if info not in self.plugins:
                    self.plugins.append(info)

    def _register(self, plugin: Any, info: PluginInfo) -> None:
        self.pm.register(plugin, name=info.name)
        # Validate each plugin on its own (a misspelt hook name raises here), so
        # one bad plugin is skipped instead of failing check_pending() for all.
        self.pm.check_pending()
        info.hooks = sorted(caller.name for caller in self.pm.get_hookcallers(plugin) or [])
        self.plugins.append(info)

    def _collect_vendors(self) -> dict[str, Vendor]:
        vendors: dict[str, Vendor] = {}
        for impl in self.pm.hook.smshooks_register_vendors.get_hookimpls():
            info = next((p for p in self.plugins if p.name == impl.plugin_name), None)
            try:
                provided = impl.function() or []
            except Exception as exc:
                log.exception("plugin %s failed to register its vendors", impl.plugin_name)
                if info:
                    info.status, info.error = "failed", f"{type(exc).__name__}: {exc}"
                continue
            for vendor in provided:
                if vendor.name in vendors:
                    log.error("vendor %r registered twice; keeping the first", vendor.name)
                    continue
                vendors[vendor.name] = vendor
                if info:
                    info.vendors.append(vendor.name)
        return vendors
