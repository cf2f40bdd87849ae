"""`history MEMBER` shows each retraction right below the entry it withdraws, now and --known-at
(a moment, '#N', a checkpoint file), in a real process on SQLite and PostgreSQL (issue 11.7)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import run_cli

ADMIT = ["member", "admit", "S1", "--name", "Ada", "--category", "A", "--shares", "2", "--date", "2025-03-02"]


def ok(*args: str, db: str) -> bytes:
    result = run_cli(*args, db=db)
    assert result.returncode == 0, (args, result.stderr.decode())
    return result.stdout


def history(db: str, *options: str) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = json.loads(ok("history", "S1", "--format", "json", *options, db=db))
    return rows


def test_a_retraction_stands_below_what_it_withdrew_as_known_at_any_point(
    shared_db_url: str, tmp_path: Path
) -> None:
    db = shared_db_url
    ok(*ADMIT, db=db)  # 1
    ok("member", "pay", "S1", "--amount", "30.00", "--date", "2025-03-10", "--id", "PAY-1", db=db)  # 2
    ok("member", "pay", "S1", "--amount", "20.00", "--date", "2025-04-01", db=db)  # 3
    checkpoint = tmp_path / "before.txt"
    checkpoint.write_bytes(ok("checkpoint", db=db))
    ok("retract", "PAY-1", "--reason", "paid twice", "--date", "2025-09-30", db=db)  # 4
    ok("member", "pay", "S1", "--amount", "25.00", "--date", "2025-10-01", db=db)  # 5

    now = history(db)
    assert [(r["seq"], r["type"]) for r in now] == [
        (1, "member.admitted"),
        (2, "shares.paid"),
        (4, "entry.retracted"),  # beside the payment it withdrew, not at its own date
        (3, "shares.paid"),
        (5, "shares.paid"),
    ]
    assert now[1]["retracted"] == "by #4" and now[2]["retracted"] is None

    recorded = {r["seq"]: r["recorded"] for r in now}
    for known_at in ("#4", str(recorded[4]), "#5"):
        seqs = [r["seq"] for r in history(db, "--known-at", known_at)]
        assert seqs[:4] == [1, 2, 4, 3], known_at
    for known_at in ("#3", str(recorded[3]), str(checkpoint)):  # before the retraction was recorded
        rows = history(db, "--known-at", known_at)
        assert [r["seq"] for r in rows] == [1, 2, 3], known_at
        assert all(r["retracted"] is None for r in rows), known_at

    table = ok("history", "S1", "--known-at", "#4", db=db).decode().splitlines()
    at = next(i for i, line in enumerate(table) if "PAY-1" in line and "shares.paid" in line)
    assert "by #4" in table[at] and "entry.retracted" in table[at + 1]
    assert table[-1] == "2 live entries, 1 retracted"
    csv = ok("history", "S1", "--known-at", "#4", "--format", "csv", db=db).decode().splitlines()
    assert [line.split(",")[0] for line in csv[1:]] == ["1", "2", "4", "3"]
