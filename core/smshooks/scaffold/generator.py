"""Render the plugin templates into ``<directory>/smshooks-<name>/``."""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import shutil
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from string import Template

#: a plugin name becomes the entry point name, the vendor name and part of the
#: module name ``smshooks_<name>``: a lowercase Python identifier
NAME = re.compile(r"^[a-z][a-z0-9_]*$")
MAX_NAME = 40
MAX_TITLE = 80
#: the title lands in Python string literals and docstrings as written
_TITLE_FORBIDDEN = re.compile(r'["\\\x00-\x1f\x7f]')

#: the secret the generated verify cases sign the fixtures with
WEBHOOK_SECRET = "whsec_test_0123456789abcdef"

#: the fixture files the generated verify table carries known-good signatures for
SIGNED_FIXTURES = {"inbound_signature": "inbound.json", "report_signature": "report.json"}

#: (path in the package, template) in writing order; ``{package}`` is the module name.
#: The layout is the worked example's, ``plugins/sinch/`` (docs/writing-a-plugin.md):
#: the adapter assembled in vendor.py from one module per part of the contract,
#: the tables in tests/cases.py and a test file per part beside them.
FILES: tuple[tuple[str, str], ...] = (
    ("pyproject.toml", "pyproject.toml.tmpl"),
    ("setup.cfg", "setup.cfg.tmpl"),
    ("ruff.toml", "ruff.toml.tmpl"),
    ("README.md", "README.md.tmpl"),
    ("{package}/__init__.py", "package_init.py.tmpl"),
    ("{package}/vendor.py", "package_vendor.py.tmpl"),
    ("{package}/credentials.py", "package_credentials.py.tmpl"),
    ("{package}/signature.py", "package_signature.py.tmpl"),
    ("{package}/parse.py", "package_parse.py.tmpl"),
    ("{package}/statuses.py", "package_statuses.py.tmpl"),
    ("{package}/send.py", "package_send.py.tmpl"),
    ("tests/__init__.py", "tests_init.py.tmpl"),
    ("tests/cases.py", "tests_cases.py.tmpl"),
    ("tests/test_conformance.py", "tests_test_conformance.py.tmpl"),
    ("tests/test_credentials.py", "tests_test_credentials.py.tmpl"),
    ("tests/test_parse.py", "tests_test_parse.py.tmpl"),
    ("tests/test_plugin.py", "tests_test_plugin.py.tmpl"),
    ("tests/test_send.py", "tests_test_send.py.tmpl"),
    ("tests/test_signature.py", "tests_test_signature.py.tmpl"),
    ("tests/test_gateway.py", "tests_test_gateway.py.tmpl"),
    ("tests/fixtures/inbound.json", "fixture_inbound.json.tmpl"),
    ("tests/fixtures/report.json", "fixture_report.json.tmpl"),
    ("tests/fixtures/send_accepted.json", "fixture_send_accepted.json.tmpl"),
    ("tests/fixtures/send_error_invalid_number.json", "fixture_send_error_invalid_number.json.tmpl"),
)


@dataclass(frozen=True)
class Scaffold:
    """What :func:`new_plugin` wrote."""

    name: str
    title: str
    root: Path
    files: tuple[Path, ...]

    @property
    def distribution(self) -> str:
        return f"smshooks-{self.name}"

    @property
    def package(self) -> str:
        return f"smshooks_{self.name}"


def check_name(name: str) -> str:
    """``name`` when it can name a plugin; :class:`ValueError` saying why not."""
    if not NAME.match(name):
        raise ValueError(
            f"{name!r} is not a plugin name: use lowercase letters, digits and '_', starting with a letter"
        )
    if len(name) > MAX_NAME:
        raise ValueError(f"a plugin name has at most {MAX_NAME} characters")
    return name


def check_title(title: str) -> str:
    """``title`` when it can be the vendor's display name; :class:`ValueError` otherwise."""
    if not title.strip():
        raise ValueError("the title is empty")
    if len(title) > MAX_TITLE:
        raise ValueError(f"a title has at most {MAX_TITLE} characters")
    if _TITLE_FORBIDDEN.search(title):
        raise ValueError("a title is one line without '\"' or '\\'")
    return title.strip()


def default_title(name: str) -> str:
    return " ".join(part.capitalize() for part in name.split("_") if part)


def new_plugin(name: str, directory: str | os.PathLike[str] = ".", title: str | None = None) -> Scaffold:
    """Write the package ``<directory>/smshooks-<name>/`` and return what was written.

    In the ``plugins/`` folder of a smshooks checkout (a ``tox.ini`` beside it)
    the package is ``plugins/<name>/``, as the repository lays plugins out: its
    tox env is then the plugin name added to ``env_list``. Refuses
    (:class:`FileExistsError`) when that path exists: nothing is ever
    overwritten. ``directory`` is created when missing.
    """
    check_name(name)
    title = check_title(title) if title is not None else default_title(name)
    parent = Path(directory)
    parent.mkdir(parents=True, exist_ok=True)
    root = parent / (name if in_checkout_plugins(parent) else f"smshooks-{name}")
    # mkdir without exist_ok is the atomic check: two runs cannot both write here.
    try:
        root.mkdir()
    except FileExistsError:
        raise FileExistsError(f"{root} already exists; choose another name or directory") from None
    try:
        files = _write(root, _context(name, title))
    except BaseException:
        shutil.rmtree(root, ignore_errors=True)  # never leave half a package behind
        raise
    return Scaffold(name=name, title=title, root=root, files=files)


def _context(name: str, title: str) -> dict[str, str]:
    words = [part for part in name.split("_") if part]
    class_prefix = "".join(word.capitalize() for word in words)
    return {
        "name": name,
        "title": title,
        "package": f"smshooks_{name}",
        "dist": f"smshooks-{name}",
        "class_prefix": class_prefix,
        "vendor_class": f"{class_prefix}Vendor",
        "header": "X-" + "-".join(word.capitalize() for word in words) + "-Signature",
        "default_base_url": f"https://api.{'-'.join(words)}.example/v1",
        "webhook_secret": WEBHOOK_SECRET,
    }


def in_checkout_plugins(directory: Path) -> bool:
    """Whether ``directory`` is the ``plugins/`` folder of a smshooks checkout."""
    resolved = directory.resolve()
    return resolved.name == "plugins" and (resolved.parent / "tox.ini").is_file()


def _template(name: str) -> Template:
    return Template(resources.files(__package__).joinpath("templates", name).read_text(encoding="utf-8"))


def _write(root: Path, context: dict[str, str]) -> tuple[Path, ...]:
    # The test tables carry the fixtures' signatures as literals: render and
    # sign the fixtures first, then everything with the signatures known.
    templates = dict(FILES)
    for key, fixture in SIGNED_FIXTURES.items():
        text = _template(templates[f"tests/fixtures/{fixture}"]).substitute(context)
        context[key] = _sign(text)
    rendered = {path.format(**context): _template(template).substitute(context) for path, template in FILES}
    written = []
    for relative, text in rendered.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return tuple(written)


def _sign(fixture: str) -> str:
    # The tests read a fixture without its surrounding white space
    # (smshooks.testing.fixture_text), so that is what they send and sign.
    return hmac.new(WEBHOOK_SECRET.encode(), fixture.strip().encode("utf-8"), hashlib.sha256).hexdigest()
