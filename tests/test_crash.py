"""A crash mid-import leaves the ledger as it was: the whole file is one transaction."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from bench.generate import generate
from tests.conftest import ROOT, run_cli


def write_journal(path: Path, members: int) -> int:
    lines = [json.dumps(entry) for entry in generate(members=members, years=3, seed=7)]
    path.write_text("\n".join(lines) + "\n")
    return len(lines)


def test_killing_an_import_never_leaves_part_of_the_file(shared_db_url: str, tmp_path: Path) -> None:
    journal = tmp_path / "big.jsonl"
    total = write_journal(journal, 8000)
    assert run_cli("import", str(ROOT / "examples" / "demo.jsonl"), db=shared_db_url).returncode == 0
    for delay in (0.6, 1.2):
        process = subprocess.Popen(
            [sys.executable, "-m", "coopledger.commands", "--db", shared_db_url, "import", str(journal)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=os.environ.copy(),
        )
        time.sleep(delay)
        process.send_signal(signal.SIGKILL)
        process.wait()
        count = len(json.loads(run_cli("log", "--format", "json", db=shared_db_url).stdout))
        assert count in (53, 53 + total)  # all of the file or none of it
        verified = run_cli("verify", db=shared_db_url)
        assert verified.returncode == 0, verified.stdout + verified.stderr
        if count == 53 + total:
            break


def test_ctrl_c_says_interrupted_on_one_line_and_writes_nothing(shared_db_url: str, tmp_path: Path) -> None:
    """Ctrl-C in the middle of a command (here an import waiting for the rest of its journal on
    standard input) exits 130 with one line, no traceback, and leaves the ledger as it was."""
    journal = tmp_path / "big.jsonl"
    write_journal(journal, 3000)
    assert run_cli("import", str(ROOT / "examples" / "demo.jsonl"), db=shared_db_url).returncode == 0
    importing = subprocess.Popen(
        [sys.executable, "-m", "coopledger.commands", "--db", shared_db_url, "import", "-"],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert importing.stdin is not None
    importing.stdin.write(journal.read_bytes()[:200_000])  # part of the journal, then it waits
    importing.stdin.flush()
    time.sleep(2.0)  # well past start-up: it is reading standard input
    importing.send_signal(signal.SIGINT)
    _, err = importing.communicate(timeout=60)
    assert importing.returncode == 130, err.decode()
    assert err.decode() == "coopledger: interrupted: nothing more was done\n"
    assert len(json.loads(run_cli("log", "--format", "json", db=shared_db_url).stdout)) == 53
    assert run_cli("verify", db=shared_db_url).returncode == 0
