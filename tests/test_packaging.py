"""The wheel installs everything under one `coopledger` namespace, and nothing else (issue 9.16).

The repository keeps its top-level folders; pyproject.toml maps them. A package left out of
that list would be missing from the wheel while every test still passed from the source tree,
so the wheel is built here and run from where it was unpacked, away from the repository.
"""

from __future__ import annotations

import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

from tests.conftest import ROOT

FOLDERS = ("ledger", "projections", "commands", "reports", "web")


def source_packages() -> set[str]:
    """Every folder of the four that Python can import, named as installed."""
    return {
        "coopledger." + ".".join(init.parent.relative_to(ROOT).parts)
        for folder in FOLDERS
        for init in (ROOT / folder).rglob("__init__.py")
    } | {"coopledger.reports.templates", "coopledger.web.templates"}


def test_every_package_of_the_source_is_listed() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert set(config["packages"]) == source_packages()
    assert config["package-dir"] == {f"coopledger.{folder}": folder for folder in FOLDERS}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            str(ROOT),
            "--no-deps",
            "--no-build-isolation",
            "-w",
            f"{out}",
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (built,) = out.glob("coopledger-*.whl")
    return built


def test_the_wheel_holds_only_the_coopledger_namespace(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    tops = {name.split("/")[0] for name in names}
    assert tops == {"coopledger", wheel.name.split("-py3")[0] + ".dist-info"}
    assert "coopledger/__init__.py" not in names  # a namespace: nothing claims `coopledger` itself
    for folder in FOLDERS:
        for module in (ROOT / folder).rglob("*.py"):
            assert f"coopledger/{module.relative_to(ROOT).as_posix()}" in names
    assert {n for n in names if n.endswith(".j2")} == {
        f"coopledger/{t.relative_to(ROOT).as_posix()}"
        for folder in ("reports", "web")
        for t in (ROOT / folder / "templates").glob("*.j2")
    }
    assert "coopledger/web/templates/style.css" in names
    (info,) = tops - {"coopledger"}
    entry_points = zipfile.ZipFile(wheel).read(f"{info}/entry_points.txt")
    assert b"coopledger = coopledger.commands.main:main" in entry_points


def test_the_unpacked_wheel_runs_and_finds_its_templates(wheel: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    # Run from an empty folder with the unpacked wheel first on the path, so that neither the
    # repository nor its editable install can stand in for a file the wheel lacks.
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]);"
        "import coopledger.commands.main as m, coopledger.reports.text as t;"
        "assert m.__file__.startswith(sys.argv[1]), m.__file__;"
        "print(t.environment('md').get_template('report.fr.j2').filename)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(site)], capture_output=True, text=True, cwd=tmp_path, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(str(site / "coopledger" / "reports" / "templates"))
