"""Install throw-away plugin distributions for a test: a module plus its dist-info
with an ``smshooks`` entry point, on a directory put on ``sys.path``. The host
discovers them exactly as it discovers pip-installed plugins."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path


def install_plugin(site: Path, dist: str, entry_point: str, module: str, source: str, version: str = "1.0") -> None:
    (site / f"{module}.py").write_text(textwrap.dedent(source), encoding="utf-8")
    info = site / f"{dist.replace('-', '_')}-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n", encoding="utf-8")
    (info / "entry_points.txt").write_text(f"[smshooks]\n{entry_point} = {module}\n", encoding="utf-8")
    (info / "RECORD").write_text("", encoding="utf-8")
    sys.modules.pop(module, None)
