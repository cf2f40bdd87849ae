"""Clerks importing the same file at the same instant (issue 7.3): every process exits 0 and
the file is recorded once. Before the fix, 1 in 48 such imports on SQLite and 2 in 64 on
PostgreSQL were falsely refused ("member-id-once: ... is already a member"), because the
head, the known ids and the timelines were read in separate transactions."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import ROOT, run_cli

RACERS = 4
ROUNDS = 2
# Each racer imports the CLI, says it is ready, then waits for the start file: all of them
# begin the command within a millisecond, start-up already paid.
BARRIER = """\
import os, sys, time
ready, go = sys.argv[1], sys.argv[2]
from coopledger.commands.main import cli
open(ready, "w").close()
while not os.path.exists(go):
    time.sleep(0.0005)
sys.argv = ["coopledger", *sys.argv[3:]]
cli()
"""


def journal(path: Path, round_: int) -> Path:
    lines = [
        {"type": "member.admitted", "date": "2026-01-05", "member": f"R{round_}-{i}", "name": f"Racer {i}"}
        | {"category": "A", "shares": 1, "id": f"race-{round_}-{i}"}
        for i in range(5)
    ]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    return path


def race(url: str, file: Path, work: Path) -> list[tuple[int, str]]:
    go = work / f"go-{file.stem}"
    racers = []
    for i in range(RACERS):
        ready = work / f"ready-{file.stem}-{i}"
        command = [sys.executable, "-c", BARRIER, str(ready), str(go), "--db", url, "import", str(file)]
        racers.append(
            (subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE), ready)
        )
    deadline = time.monotonic() + 60
    while not all(ready.exists() for _, ready in racers) and time.monotonic() < deadline:
        time.sleep(0.005)
    go.touch()
    return [(p.wait(timeout=120), p.stderr.read().decode() if p.stderr else "") for p, _ in racers]


def test_the_same_file_imported_at_once_is_recorded_once_and_never_refused(
    shared_db_url: str, tmp_path: Path
) -> None:
    assert run_cli("init", db=shared_db_url).returncode == 0
    for round_ in range(ROUNDS):
        results = race(shared_db_url, journal(tmp_path / f"race-{round_}.jsonl", round_), tmp_path)
        assert [code for code, _ in results] == [0] * RACERS, results
    exported = run_cli("export", db=shared_db_url)
    ids = [json.loads(line)["id"] for line in exported.stdout.splitlines()]
    assert sorted(ids) == sorted(f"race-{r}-{i}" for r in range(ROUNDS) for i in range(5))
