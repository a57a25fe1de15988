"""``smshooks plugin new``: write a new vendor plugin package that installs and passes its tests.

The package is rendered from the templates in ``templates/`` (``string.Template``,
so the core needs no template engine for it). It is a working adapter for a
simple, made-up JSON vendor with a complete conformance table: an integrator
starts green and edits it into the real vendor's format case by case.
"""

from __future__ import annotations

from smshooks.scaffold.generator import Scaffold, check_name, check_title, new_plugin

__all__ = ["Scaffold", "check_name", "check_title", "new_plugin"]
