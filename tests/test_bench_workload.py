"""The benches time every command (bench/workload.py), and each of them runs as written.

A command left out of the bench can turn slow with nothing to show it (`verify` once turned
quadratic so); a bench whose command no longer runs reports a failure instead of a figure.
No timing here: timings belong to bench/run.py and bench/scale.py."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from bench.workload import COMMANDS, YEARS, prepared
from coopledger.commands.main import cli
from tests.conftest import ROOT, run_cli
from tests.test_docs import walk

# Timed apart (import, rebuild, the web view in bench/web_load.py), or on files, not a ledger.
APART = {("import",), ("rebuild",), ("init",), ("serve",), ("keygen",), ("checkpoint", "cosign")}


def test_every_command_that_touches_a_ledger_is_timed() -> None:
    timed = {command.arguments[:names] for command in COMMANDS for names in (1, 2)}
    leaves = {path for path, command in walk(cli) if not isinstance(command, click.Group)}
    assert leaves - APART - timed == set()
    assert len({command.label for command in COMMANDS}) == len(COMMANDS)  # each has a row of its own


@pytest.mark.parametrize("writes", [False, True], ids=["reads", "writes"])  # two tests of half the time
def test_every_timed_command_runs_on_a_generated_journal(
    shared_db_url: str, tmp_path: Path, writes: bool
) -> None:
    journal = tmp_path / "journal.jsonl"
    generate = [sys.executable, str(ROOT / "bench" / "generate.py"), "--members", "150"]
    subprocess.run([*generate, "--years", str(YEARS), "-o", str(journal)], check=True, timeout=120)
    assert run_cli("import", str(journal), db=shared_db_url).returncode == 0
    entries = len(journal.read_bytes().splitlines())

    def run(arguments: list[str]) -> str:
        """A timed command: a real process, as the benches run it."""
        done = run_cli(*arguments, db=shared_db_url)
        assert done.returncode == 0, (arguments, done.stderr.decode())
        return done.stdout.decode()

    def setup(arguments: list[str]) -> str:
        """A setup step, in this process (a tenth of a process's start-up each)."""
        done = CliRunner().invoke(cli, ["--db", shared_db_url, *arguments])
        assert done.exit_code == 0, (arguments, done.output)
        return done.stdout

    written = 0
    for command in [c for c in COMMANDS if (c.kind == "write") == writes]:
        folder = tmp_path / command.label.replace(" ", "-").replace(",", "")
        folder.mkdir()
        printed = run(prepared(command, folder, setup))
        if command.kind == "write":
            assert printed.startswith("recorded "), (command.label, printed)
        written += writes + len(command.setup)
    if not writes:
        assert (tmp_path / "chart" / "members.svg").read_bytes().startswith(b"<?xml")
    last = run(["log", "--format", "csv"]).splitlines()[-1]
    assert int(last.split(",")[0]) == entries + written  # every write and setup step recorded one entry
