"""Sub-commands load lazily: `coopledger --help` imports no command module (issue 12.1).

The group lists commands from a registry of one-line helps (commands/main.py). These tests keep
the registry true to the commands it names, and check in a real process what a command imports.
"""

from __future__ import annotations

import inspect
import subprocess
import sys
from pathlib import Path

import click
import pytest

from coopledger.commands import main
from tests.conftest import ROOT

HEAVY = ("sqlalchemy", "psycopg", "jinja2", "babel", "matplotlib", "eventsourcing", "cryptography")


@pytest.mark.parametrize("name", sorted(main.COMMANDS))
def test_each_line_of_the_registry_is_its_command(name: str) -> None:
    command = main.cli.get_command(click.Context(main.cli), name)
    assert command is not None
    assert command.name == name
    assert command.get_short_help_str(limit=10_000) == main.COMMANDS[name][2]


def test_every_command_of_the_modules_is_registered() -> None:
    registered = {(module, attribute) for module, attribute, _ in main.COMMANDS.values()}
    for path in (ROOT / "commands").glob("*.py"):
        if path.stem in ("main", "__main__"):
            continue
        module = __import__(f"coopledger.commands.{path.stem}", fromlist=["_"])
        for attribute, value in inspect.getmembers(module):
            top_level = isinstance(value, click.Command) and value.__module__ == module.__name__
            if top_level and not any(value in group.commands.values() for group in _groups()):
                assert (path.stem, attribute) in registered, f"{path.stem}.{attribute} is not in COMMANDS"


def _groups() -> list[click.Group]:
    ctx = click.Context(main.cli)
    return [c for n in main.COMMANDS if isinstance(c := main.cli.get_command(ctx, n), click.Group)]


def imported_by(tmp_path: Path, *args: str) -> tuple[list[str], str]:
    """The heavy libraries a real `coopledger ARGS` process imported, and what it printed."""
    code = (
        "import os, sys;"
        f"heavy = {HEAVY!r};"
        "top = lambda: {m.split('.')[0] for m in sys.modules};"
        "leave = os._exit;"  # main ends in os._exit: say what was imported just before it
        "os._exit = lambda code: (print('IMPORTED', sorted(top() & set(heavy)), flush=True), leave(code));"
        "from coopledger.commands.main import main; main(sys.argv[1:])"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, cwd=tmp_path, timeout=60
    )
    out, _, imported = done.stdout.rpartition("IMPORTED ")
    return eval(imported), out  # a list literal printed by the child


def test_help_imports_no_command_module_and_no_heavy_library(tmp_path: Path) -> None:
    imported, out = imported_by(tmp_path, "--help")
    assert imported == []
    for name, (_, _, line) in main.COMMANDS.items():
        assert name in out
        assert line.split()[0] in out


def test_a_command_imports_only_what_it_needs(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'l.db'}"
    assert imported_by(tmp_path, "--db", db, "init")[0]
    imported, _ = imported_by(tmp_path, "--db", db, "register")
    assert "sqlalchemy" in imported
    assert not {"psycopg", "jinja2", "babel", "matplotlib"} & set(imported)
