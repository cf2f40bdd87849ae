"""Typing entries at a terminal (issue 13.6): what is missing is asked for, --confirm shows the
entry first, and nothing is ever asked when standard input is not a terminal (CI, scripts).

The terminal is a real pseudo-terminal, the command a real process.
"""

from __future__ import annotations

import os
import pty
import subprocess
import sys

from tests.conftest import ROOT, run_cli

ADMIT = ["member", "admit", "M1", "--date", "2025-01-02", "--name", "Ann"]


def at_terminal(db: str, args: list[str], typed: str) -> subprocess.CompletedProcess[str]:
    """Run `coopledger` with a terminal as standard input, the clerk's keys typed in advance."""
    main, terminal = pty.openpty()
    try:
        os.write(main, typed.encode())
        done = subprocess.run(
            [sys.executable, "-m", "coopledger.commands", "--db", db, *args],
            stdin=terminal,
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=120,
        )
    finally:
        os.close(main)
        os.close(terminal)
    return done


def members(db: str) -> str:
    return run_cli("register", "--format", "csv", db=db).stdout.decode()


def test_a_missing_field_is_asked_for_at_a_terminal(shared_db_url: str) -> None:
    done = at_terminal(shared_db_url, ADMIT, "A\n2\n")
    assert done.returncode == 0, done.stderr
    assert "--category: --shares: recorded member.admitted M1 2025-01-02" in done.stdout
    assert "recorded member.admitted M1 2025-01-02" in done.stdout
    assert "M1,Ann,A,2," in members(shared_db_url)


def test_a_script_is_never_asked(shared_db_url: str) -> None:
    done = run_cli(*ADMIT, db=shared_db_url)  # standard input is not a terminal
    assert done.returncode == 2
    assert b"Missing option '--category'" in done.stderr and b"--category:" not in done.stdout
    assert "M1" not in members(shared_db_url)


def test_confirm_shows_the_entry_and_records_only_on_yes(shared_db_url: str) -> None:
    args = [*ADMIT, "--category", "A", "--shares", "1", "--confirm"]
    refused = at_terminal(shared_db_url, args, "n\n")
    assert refused.returncode == 2 and "not recorded" in refused.stderr
    assert '"type":"member.admitted"' in refused.stdout and "record this entry?" in refused.stdout
    assert "M1" not in members(shared_db_url)
    accepted = at_terminal(shared_db_url, args, "y\n")
    assert accepted.returncode == 0, accepted.stderr
    assert "M1,Ann,A,1," in members(shared_db_url)
