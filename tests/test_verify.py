"""`coopledger verify` in real processes on SQLite and PostgreSQL: its counts in words, the first
entry that differs named in full, the read models compared with the pure folds row by row."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.conftest import run_cli

ADMIT = ["member", "admit", "S1", "--name", "Ada", "--category", "A", "--shares", "2", "--date", "2025-03-02"]


def ok(*args: str, db: str) -> subprocess.CompletedProcess[bytes]:
    result = run_cli(*args, db=db)
    assert result.returncode == 0, (args, result.stderr.decode())
    return result


def test_counts_of_one_are_in_the_singular(shared_db_url: str, tmp_path: Path) -> None:
    db = shared_db_url
    ok(*ADMIT, db=db)
    ok("keygen", "--out", str(tmp_path / "keys"), "--name", "coop", db=db)
    checkpoint = tmp_path / "one.txt"
    checkpoint.write_bytes(ok("checkpoint", "--sign", str(tmp_path / "keys" / "coop.key"), db=db).stdout)
    out = ok("verify", "--checkpoint", str(checkpoint), db=db).stdout.decode()
    assert "hash chain (1 entry): ok" in out
    assert "checkpoints (1 extended): ok" in out
    recorded = ok("verify", db=db).stdout.decode()
    assert "entries" not in recorded.replace("entry and subject indexes", "")
