"""``smshooks plugin new``: the package it writes mirrors the worked example, installs, and its tests pass.

The expensive part is one virtualenv per module: the new package installed in
it (editable, as an author does), and the generated tests run there. Those
tests include ``tests/test_gateway.py``, so the same run proves that the
gateway finds the installed plugin through its entry point and serves its
webhooks (the kit's ``smshooks_gateway`` fixture).
"""

from __future__ import annotations

import configparser
import importlib.metadata
import importlib.util
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

#: the generated tables (21 parse, 11 verify, 10 status, 11 send, 2 acknowledge cases), the kit's
#: 10 completeness checks, its 22 hostile JSON bodies, the type-confusion sweep of the 2 webhook
#: fixtures, and the tests beside the tables (credentials 6, parse 3, plugin 2, send 4,
#: signature 2, gateway 4)
GENERATED_TESTS = 110
TABLE_ROWS = {"parse": 21, "verify": 11, "status": 10, "send": 11, "acknowledge": 2}

#: the worked example the scaffold's layout mirrors, module for module and test file for test file
WORKED_EXAMPLE = Path(__file__).resolve().parents[1] / "plugins" / "sinch"
#: the worked example's files about its own vendor only (Sinch's SDK as a signature oracle)
VENDOR_SPECIFIC = {"tests/test_sinch_sdk.py"}

GENERATED_FILES = {
    "pyproject.toml",
    "setup.cfg",
    "ruff.toml",
    "README.md",
    "smshooks_acme/__init__.py",
    "smshooks_acme/vendor.py",
    "smshooks_acme/credentials.py",
    "smshooks_acme/signature.py",
    "smshooks_acme/parse.py",
    "smshooks_acme/statuses.py",
    "smshooks_acme/send.py",
    "tests/__init__.py",
    "tests/cases.py",
    "tests/test_conformance.py",
    "tests/test_credentials.py",
    "tests/test_parse.py",
    "tests/test_plugin.py",
    "tests/test_send.py",
    "tests/test_signature.py",
    "tests/test_gateway.py",
    "tests/fixtures/inbound.json",
    "tests/fixtures/report.json",
    "tests/fixtures/send_accepted.json",
    "tests/fixtures/send_error_invalid_number.json",
}

#: pytest plugins of the core's own test env that a plugin author does not have and the
#: generated tests do not use: loading schemathesis (and hypothesis) doubles their start-up
NOT_A_PLUGIN_AUTHORS = ("schemathesis", "hypothesispytest", "anyio")


def new_plugin(*args: str) -> Result:
    return CliRunner().invoke(main, ["plugin", "new", *args])


def run(command: list[str | Path], cwd: Path) -> subprocess.CompletedProcess[str]:
    # The generated tests run on SQLite only: what they prove is the package, not the backend.
    dropped = ("PYTEST_", "PYTHONPATH", "SMSHOOKS_TEST_POSTGRES_URL")
    env = {key: value for key, value in os.environ.items() if not key.startswith(dropped)}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return subprocess.run(
        [str(part) for part in command], cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False
    )


def builds_offline() -> bool:
    """Whether the editable install can be built from this environment's setuptools
    (setuptools 70.1 and later build wheels by themselves; older ones need ``wheel``)."""
    try:
        version = importlib.metadata.version("setuptools")
    except importlib.metadata.PackageNotFoundError:
        return False
    if importlib.util.find_spec("wheel") is not None:
        return True
    major, minor = (int(part) for part in re.findall(r"\d+", version)[:2])
    return (major, minor) >= (70, 1)


def installer(python: Path, package: Path) -> list[str | Path]:
    """The command installing ``package`` editable into ``python``'s environment, without its
    dependencies (the environment sees this one's). uv when it is at hand (beside this
    interpreter or on PATH, as in a tox-uv checkout): it starts in a tenth of pip's time."""
    offline = builds_offline()
    uv = shutil.which("uv", path=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]))
    if uv is not None and offline:
        return [uv, "pip", "install", "--quiet", "--offline", "--python", python, "--no-deps", "--no-build-isolation"]
    if importlib.util.find_spec("pip") is None:
        pytest.skip("neither uv nor pip is installed in this environment")
    command: list[str | Path] = [python, "-m", "pip", "install", "--quiet", "--no-deps"]
    # else pip fetches the build backend named in pyproject.toml from its index.
    return [*command, "--no-index", "--no-build-isolation"] if offline else command


@pytest.fixture(scope="module")
def acme(tmp_path_factory: pytest.TempPathFactory) -> Path:
    where = tmp_path_factory.mktemp("plugins")
    result = new_plugin("acme", "--directory", str(where))
    assert result.exit_code == 0, result.output
    return where / "smshooks-acme"


@pytest.fixture(scope="module")
def acme_python(acme: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The python of a new virtualenv that sees this environment's packages, with acme installed editable."""
    env_dir = tmp_path_factory.mktemp("venv") / "env"
    venv.EnvBuilder(with_pip=False, symlinks=os.name != "nt").create(env_dir)
    python = env_dir / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    purelib = run([python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"], acme).stdout.strip()
    # --system-site-packages would show the *base* interpreter's packages, not
    # this (virtual) environment's: add this environment's site directories
    # instead (their own .pth files too, so an editable core is found).
    parents = "; ".join(f"site.addsitedir({directory!r})" for directory in site.getsitepackages())
    Path(purelib, "_smshooks_parent.pth").write_text(f"import site; {parents}\n", encoding="utf-8")
    result = run([*installer(python, acme), "-e", acme], acme)
    assert result.returncode == 0, result.stdout + result.stderr
    return python


@pytest.fixture(scope="module")
def generated_run(acme: Path, acme_python: Path) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    """The generated tests run in the new virtualenv: the run, and the test ids its JUnit report lists."""
    report = acme.parent / "generated-tests.xml"
    blocked = [arg for name in NOT_A_PLUGIN_AUTHORS for arg in ("-p", f"no:{name}")]
    command = [acme_python, "-m", "pytest", "tests", "-q", "-p", "no:cacheprovider", *blocked, f"--junitxml={report}"]
    result = run(command, acme)
    cases = ElementTree.parse(report).getroot().iter("testcase") if report.exists() else []
    return result, [f"{case.get('classname')}::{case.get('name')}" for case in cases]


# -- what `smshooks plugin new` writes ------------------------------------------


def test_writes_an_installable_package_with_its_entry_point(acme: Path) -> None:
    written = {path.relative_to(acme).as_posix() for path in acme.rglob("*") if path.is_file()}
    assert written == GENERATED_FILES
    setup = configparser.ConfigParser()
    setup.read(acme / "setup.cfg")
    assert setup["metadata"]["name"] == "smshooks-acme"
    assert setup["options"]["install_requires"].split() == ["smshooks>=0.1"]
    assert setup["options.entry_points"]["smshooks"].strip() == "acme = smshooks_acme"
    assert "pytest" in setup["options.extras_require"]["test"]
    assert "build-backend" in (acme / "pyproject.toml").read_text()


def test_layout_is_the_worked_examples(acme: Path) -> None:
    """Module for module and test file for test file, the package is plugins/sinch/ before it grew."""

    def layout(root: Path, package: str) -> set[str]:
        sources = [*(root / package).glob("*.py"), *(root / "tests").glob("*.py")]
        files = {path.relative_to(root).as_posix().replace(package, "PACKAGE") for path in sources}
        top = {name for name in ("setup.cfg", "pyproject.toml", "ruff.toml", "README.md") if (root / name).is_file()}
        return files | top | ({"tests/fixtures/"} if (root / "tests" / "fixtures").is_dir() else set())

    example = layout(WORKED_EXAMPLE, "smshooks_sinch") - VENDOR_SPECIFIC
    assert layout(acme, "smshooks_acme") == example


def test_inside_a_checkout_it_writes_the_repositorys_plugin_directory(tmp_path: Path) -> None:
    # plugins/<name>/ is where tox's plugin env looks: adding "globex" to env_list is then all it takes.
    (tmp_path / "tox.ini").write_text("[tox]\n")
    result = new_plugin("globex", "--directory", str(tmp_path / "plugins"))
    assert result.exit_code == 0, result.output
    assert (tmp_path / "plugins" / "globex" / "smshooks_globex" / "vendor.py").is_file()
    setup = configparser.ConfigParser()
    setup.read(tmp_path / "plugins" / "globex" / "setup.cfg")
    assert setup["metadata"]["name"] == "smshooks-globex"


def test_every_plugin_of_the_repository_is_one_name_in_tox_env_list() -> None:
    """tox's [testenv] is the plugin env (plugins/{env_name}[test]); make test runs every name in env_list."""
    root = Path(__file__).resolve().parents[1]
    tox = configparser.ConfigParser(interpolation=None)
    tox.read(root / "tox.ini")
    env_list = {name.strip() for name in tox["tox"]["env_list"].split(",")}
    plugins = {path.parent.name for path in (root / "plugins").glob("*/setup.cfg")}
    assert plugins and plugins <= env_list, sorted(plugins - env_list)
    assert "./plugins/{env_name}[test]" in tox["testenv"]["deps"].split()
    # importlib mode: the tests import the installed package, never plugins/{env_name}/ itself
    assert tox["testenv"]["commands"] == "pytest --import-mode=importlib plugins/{env_name}/tests {posargs}"
    for name in plugins:
        setup = configparser.ConfigParser()
        setup.read(root / "plugins" / name / "setup.cfg")
        assert "test" in setup["options.extras_require"], f"plugins/{name} needs a test extra for its tox env"


def test_defaults_to_the_current_directory_and_takes_a_title(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = new_plugin("globex_mobile", "--title", "Globex Mobile")
    assert result.exit_code == 0, result.output
    assert result.output.startswith(
        "wrote smshooks-globex_mobile/ (Globex Mobile, distribution smshooks-globex_mobile)"
    )
    package = tmp_path / "smshooks-globex_mobile" / "smshooks_globex_mobile"
    assert 'title: ClassVar[str] = "Globex Mobile"' in (package / "vendor.py").read_text()
    assert "class GlobexMobileVendor(Vendor):" in (package / "vendor.py").read_text()
    assert 'SIGNATURE_HEADER = "X-Globex-Mobile-Signature"' in (package / "signature.py").read_text()


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


# -- the package installed: its tests, inside the gateway -----------------------


def test_generated_tests_pass_once_installed(generated_run: tuple[subprocess.CompletedProcess[str], list[str]]) -> None:
    result, _ = generated_run
    assert result.returncode == 0, result.stdout + result.stderr
    summary = result.stdout.strip().splitlines()[-1]
    assert re.match(rf"{GENERATED_TESTS} passed in ", summary), summary


def test_generated_tests_cover_every_table_row(
    generated_run: tuple[subprocess.CompletedProcess[str], list[str]],
) -> None:
    _, ids = generated_run
    tables = {table: sum(f"::test_{table}[" in test_id for test_id in ids) for table in TABLE_ROWS}
    assert tables == TABLE_ROWS
    for case in (
        "report-undocumented-status-is-unknown-not-refused",
        "error-not-json",
        "signature-tampered-by-one-byte",
        "delivered",
        "send-timeout",
        "send-invalid-number-400",
        "ack-empty-200",
    ):
        assert any(test_id.endswith(f"[{case}]") for test_id in ids), case
    checks = [test_id for test_id in ids if "TestAcme::" in test_id and "[" not in test_id]
    assert len(checks) == 10, f"the kit's completeness checks: {checks}"


def test_the_gateway_finds_and_serves_the_installed_plugin(
    generated_run: tuple[subprocess.CompletedProcess[str], list[str]],
) -> None:
    """The generated gateway tests ran, with the package installed, not imported from its directory."""
    result, ids = generated_run
    gateway = sorted(test_id.split("::")[1] for test_id in ids if test_id.startswith("tests.test_gateway::"))
    assert gateway == [
        "test_a_delivery_report_is_stored_with_its_mapped_status[sqlite]",
        "test_a_malformed_payload_is_answered_400[sqlite]",
        "test_a_signed_inbound_message_is_stored_and_acknowledged[sqlite]",
        "test_the_gateway_loads_the_plugin_through_its_entry_point[sqlite]",
    ]
    assert result.returncode == 0, result.stdout + result.stderr


def test_generated_package_is_ruff_clean(acme: Path) -> None:
    ruff = shutil.which("ruff", path=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]))
    if ruff is None:
        pytest.skip("ruff is not installed here (the lint env has it)")
    for command in (["check", "--no-cache", "."], ["format", "--check", "--no-cache", "."]):
        result = run([ruff, *command], acme)
        assert result.returncode == 0, result.stdout + result.stderr
