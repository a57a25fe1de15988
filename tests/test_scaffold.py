"""``smshooks plugin new``: the package it writes installs, the host lists it, its tests pass."""

from __future__ import annotations

import configparser
import importlib.metadata
import importlib.util
import json
import os
import re
import shutil
import site
import subprocess
import sys
import venv
from pathlib import Path
from xml.etree import ElementTree

import pytest
from click.testing import CliRunner, Result

from smshooks.cli import main

#: the generated tables (21 parse, 11 verify, 10 status, 11 send, 2 acknowledge cases), the kit's 10 completeness
#: checks, its 22 hostile JSON bodies and the type-confusion sweep of the 2 webhook fixtures
GENERATED_TESTS = 89

GENERATED_FILES = {
    "pyproject.toml",
    "setup.cfg",
    "ruff.toml",
    "README.md",
    "tox-env.ini",
    "smshooks_acme/__init__.py",
    "smshooks_acme/vendor.py",
    "tests/__init__.py",
    "tests/cases.py",
    "tests/test_conformance.py",
    "tests/fixtures/inbound.json",
    "tests/fixtures/report.json",
    "tests/fixtures/send_accepted.json",
    "tests/fixtures/send_error_invalid_number.json",
}

# Run inside the new virtualenv: the gateway as `smshooks serve` builds it, then
# the admin API and the vendor endpoint through Flask's test client.
HOST_PROBE = """
import hashlib, hmac, json, sys
from pathlib import Path
from smshooks.apikeys import create_api_key
from smshooks.web.app import create_app
from smshooks.settings import Settings

data, package = Path(sys.argv[1]), Path(sys.argv[2])
app = create_app(Settings(data_dir=data, database_url=f"sqlite:///{data / 'smshooks.db'}", secret_key="probe"))
client = app.test_client()
auth = {"Authorization": "Bearer " + create_api_key(app.extensions["smshooks"].db, "probe")}
out = {"plugins": client.get("/api/v1/plugins", headers=auth).get_json()}
credential = client.post(
    "/api/v1/credentials",
    headers=auth,
    json={"name": "acme", "vendor": "acme", "api_key": "key-1", "webhook_secret": "s3cret"},
)
out["credential_status"] = credential.status_code
hook = client.post(
    "/api/v1/webhooks",
    headers=auth,
    json={"name": "in", "vendor": "acme", "type": "inbound", "credentials_id": credential.get_json()["id"]},
).get_json()
body = (package / "tests" / "fixtures" / "inbound.json").read_bytes()
signature = hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
url = "/hooks/" + hook["id"]
out["signed_status"] = client.post(url, data=body, content_type="application/json",
                                   headers={"X-Acme-Signature": signature}).status_code
out["unsigned_status"] = client.post(url, data=body, content_type="application/json").status_code
out["inbound"] = client.get("/api/v1/inbound-messages", headers=auth).get_json()["items"]
print(json.dumps(out))
"""


def new_plugin(*args: str) -> Result:
    return CliRunner().invoke(main, ["plugin", "new", *args])


def run(command: list[str | Path], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("PYTEST_", "PYTHONPATH"))}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return subprocess.run(
        [str(part) for part in command], cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False
    )


def builds_offline() -> bool:
    """Whether pip can build the editable install from this environment's setuptools
    (setuptools 70.1 and later build wheels by themselves; older ones need ``wheel``)."""
    try:
        version = importlib.metadata.version("setuptools")
    except importlib.metadata.PackageNotFoundError:
        return False
    if importlib.util.find_spec("wheel") is not None:
        return True
    major, minor = (int(part) for part in re.findall(r"\d+", version)[:2])
    return (major, minor) >= (70, 1)


@pytest.fixture(scope="module")
def acme(tmp_path_factory: pytest.TempPathFactory) -> Path:
    where = tmp_path_factory.mktemp("plugins")
    result = new_plugin("acme", "--directory", str(where))
    assert result.exit_code == 0, result.output
    return where / "smshooks-acme"


@pytest.fixture(scope="module")
def acme_python(acme: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The python of a new virtualenv that sees this environment's packages, with acme installed editable."""
    if importlib.util.find_spec("pip") is None:
        pytest.skip("pip is not installed in this environment")
    env_dir = tmp_path_factory.mktemp("venv") / "env"
    venv.EnvBuilder(with_pip=False, symlinks=os.name != "nt").create(env_dir)
    python = env_dir / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    purelib = run([python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"], acme).stdout.strip()
    # --system-site-packages would show the *base* interpreter's packages, not
    # this (virtual) environment's: add this environment's site directories
    # instead (their own .pth files too, so an editable core is found).
    parents = "; ".join(f"site.addsitedir({directory!r})" for directory in site.getsitepackages())
    Path(purelib, "_smshooks_parent.pth").write_text(f"import site; {parents}\n", encoding="utf-8")
    install = [python, "-m", "pip", "install", "--no-deps", "-e", acme]
    if builds_offline():
        install[4:4] = ["--no-index", "--no-build-isolation"]
    # else pip fetches the build backend named in pyproject.toml from its index.
    result = run(install, acme)
    assert result.returncode == 0, result.stdout + result.stderr
    return python


@pytest.fixture(scope="module")
def host_answers(acme: Path, acme_python: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    data = tmp_path_factory.mktemp("gateway")
    result = run([acme_python, "-c", HOST_PROBE, data, acme], data)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


# -- what `smshooks plugin new` writes ------------------------------------------


def test_writes_an_installable_package_with_its_entry_point(acme: Path) -> None:
    written = {path.relative_to(acme).as_posix() for path in acme.rglob("*") if path.is_file()}
    assert written >= GENERATED_FILES
    setup = configparser.ConfigParser()
    setup.read(acme / "setup.cfg")
    assert setup["metadata"]["name"] == "smshooks-acme"
    assert setup["options"]["install_requires"].split() == ["smshooks>=0.1"]
    assert setup["options.entry_points"]["smshooks"].strip() == "acme = smshooks_acme"
    assert "pytest" in setup["options.extras_require"]["test"]
    assert "build-backend" in (acme / "pyproject.toml").read_text()


def test_tox_snippet_defines_the_plugin_env(acme: Path) -> None:
    tox = configparser.ConfigParser(interpolation=None)
    tox.read(acme / "tox-env.ini")
    env = tox["testenv:acme"]
    assert env["deps"].split() == ["{[testenv]base_deps}", ".", "./plugins/acme[test]"]
    assert env["commands"] == "pytest plugins/acme/tests {posargs}"


def test_tox_snippet_names_the_real_path_inside_a_checkout(tmp_path: Path) -> None:
    (tmp_path / "tox.ini").write_text("[tox]\n")
    result = new_plugin("globex", "--directory", str(tmp_path / "plugins"))
    assert result.exit_code == 0, result.output
    tox = configparser.ConfigParser(interpolation=None)
    tox.read(tmp_path / "plugins" / "smshooks-globex" / "tox-env.ini")
    assert tox["testenv:globex"]["commands"] == "pytest plugins/smshooks-globex/tests {posargs}"


def test_defaults_to_the_current_directory_and_takes_a_title(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = new_plugin("globex_mobile", "--title", "Globex Mobile")
    assert result.exit_code == 0, result.output
    assert result.output.startswith(
        "wrote smshooks-globex_mobile/ (Globex Mobile, distribution smshooks-globex_mobile)"
    )
    vendor = (tmp_path / "smshooks-globex_mobile" / "smshooks_globex_mobile" / "vendor.py").read_text()
    assert 'title: ClassVar[str] = "Globex Mobile"' in vendor
    assert "class GlobexMobileVendor(Vendor):" in vendor
    assert 'SIGNATURE_HEADER = "X-Globex-Mobile-Signature"' in vendor


@pytest.mark.parametrize("name", ["Acme", "1acme", "_acme", "ac-me", "ac me", "acme!", "", "a" * 41])
def test_refuses_a_name_that_is_not_a_lowercase_identifier(tmp_path: Path, name: str) -> None:
    result = new_plugin(name, "--directory", str(tmp_path))
    assert result.exit_code == 2
    assert "Invalid value for NAME" in result.output
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("title", ["", "   ", 'Acme "Mobile"', "Acme\nMobile", "A" * 81])
def test_refuses_a_title_that_cannot_be_a_display_name(tmp_path: Path, title: str) -> None:
    result = new_plugin("acme", "--directory", str(tmp_path), "--title", title)
    assert result.exit_code == 2
    assert "Invalid value for '--title'" in result.output
    assert list(tmp_path.iterdir()) == []


def test_refuses_to_overwrite_an_existing_directory(tmp_path: Path) -> None:
    existing = tmp_path / "smshooks-acme"
    existing.mkdir()
    (existing / "vendor.py").write_text("# the integrator's work\n")
    result = new_plugin("acme", "--directory", str(tmp_path))
    assert result.exit_code == 1
    assert "already exists" in result.output
    assert [path.name for path in existing.iterdir()] == ["vendor.py"]
    assert (existing / "vendor.py").read_text() == "# the integrator's work\n"


def test_refuses_when_a_file_has_the_package_name(tmp_path: Path) -> None:
    (tmp_path / "smshooks-acme").write_text("not a directory")
    result = new_plugin("acme", "--directory", str(tmp_path))
    assert result.exit_code == 1
    assert "already exists" in result.output
    assert (tmp_path / "smshooks-acme").read_text() == "not a directory"


# -- the package installed: its tests, the host --------------------------------


@pytest.fixture(scope="module")
def generated_run(acme: Path, acme_python: Path) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    """The generated tests run in the new virtualenv: the run, and the test ids its JUnit report lists."""
    report = acme.parent / "generated-tests.xml"
    result = run([acme_python, "-m", "pytest", "tests", "-q", "-p", "no:cacheprovider", f"--junitxml={report}"], acme)
    cases = ElementTree.parse(report).getroot().iter("testcase") if report.exists() else []
    return result, [f"{case.get('classname')}::{case.get('name')}" for case in cases]


def test_generated_tests_pass_once_installed(generated_run: tuple[subprocess.CompletedProcess[str], list[str]]) -> None:
    result, _ = generated_run
    assert result.returncode == 0, result.stdout + result.stderr
    summary = result.stdout.strip().splitlines()[-1]
    assert re.match(rf"{GENERATED_TESTS} passed in ", summary), summary


def test_generated_tests_cover_every_table_row(
    generated_run: tuple[subprocess.CompletedProcess[str], list[str]],
) -> None:
    _, ids = generated_run
    tables = {
        table: sum(f"::test_{table}[" in test_id for test_id in ids) for table in ("parse", "verify", "status", "send")
    }
    assert tables == {"parse": 21, "verify": 11, "status": 10, "send": 11}
    for case in (
        "report-undocumented-status-is-unknown-not-refused",
        "error-not-json",
        "signature-tampered-by-one-byte",
        "delivered",
        "send-timeout",
        "send-invalid-number-400",
    ):
        assert any(test_id.endswith(f"[{case}]") for test_id in ids), case
    assert sum("::test_" in test_id and "[" not in test_id for test_id in ids) == 10, "the kit's completeness checks"


def test_host_lists_the_installed_plugin(host_answers: dict) -> None:
    plugins = {plugin["name"]: plugin for plugin in host_answers["plugins"]["plugins"]}
    assert plugins["acme"] == {
        "name": "acme",
        "source": "entry_point",
        "distribution": "smshooks-acme",
        "version": "0.1.0",
        "status": "loaded",
        "error": None,
        "hooks": ["smshooks_register_vendors"],
        "vendors": ["acme"],
    }
    vendors = {vendor["name"]: vendor for vendor in host_answers["plugins"]["vendors"]}
    assert vendors["acme"] == {
        "name": "acme",
        "title": "Acme",
        "credential_fields": {
            "api_key": {"required": True, "secret": True, "target": False},
            "base_url": {"required": False, "secret": False, "target": True},
            "webhook_secret": {"required": False, "secret": True, "target": False},
        },
    }


def test_host_serves_the_generated_vendor_webhook(host_answers: dict) -> None:
    assert host_answers["credential_status"] == 201
    assert host_answers["signed_status"] == 200
    assert host_answers["unsigned_status"] == 403
    [stored] = host_answers["inbound"]
    assert (stored["vendor"], stored["vendor_message_id"], stored["sender"], stored["text"]) == (
        "acme",
        "in_01J9Z6V2QK8M4T7R",
        "+14155550123",
        "STOP",
    )


def test_generated_package_is_ruff_clean(acme: Path) -> None:
    ruff = shutil.which("ruff", path=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]))
    if ruff is None:
        pytest.skip("ruff is not installed here (the lint env has it)")
    for command in (["check", "--no-cache", "."], ["format", "--check", "--no-cache", "."]):
        result = run([ruff, *command], acme)
        assert result.returncode == 0, result.stdout + result.stderr
