"""The floor scripts of bench/run.py (bench/floors/) do the command's job: on a small ledger the
register floor prints the command's rows to the byte, the import floor loads and hash-chains
every entry, the write floor extends that chain by one entry, and the verify floor reads every
stored entry. No timing here: timings belong to bench/run.py."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import uuid
from pathlib import Path

from bench.floors.common import Db
from tests.conftest import POSTGRES, ROOT, drop_schema, run_cli

FLOORS = ROOT / "bench" / "floors"
DAY = "2025-12-31"


def floor(script: str, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, str(FLOORS / script), *args], capture_output=True, check=True, timeout=120
    )
    return done.stdout.decode()


def journal(tmp_path: Path) -> Path:
    path = tmp_path / "journal.jsonl"
    generate = [sys.executable, str(ROOT / "bench" / "generate.py"), "--members", "120", "--years", "2"]
    subprocess.run([*generate, "-o", str(path)], check=True, timeout=120)
    return path


def fresh_floor_url(ledger_url: str, tmp_path: Path) -> str:
    """A URL for the import floor beside the ledger: another file, or another schema."""
    if ledger_url.startswith("sqlite"):
        return f"sqlite:///{tmp_path / 'floor.db'}"
    return f"{POSTGRES}?schema=f_{uuid.uuid4().hex[:12]}"


def rows(url: str, sql: str) -> list[tuple[object, ...]]:
    db = Db(url)
    try:
        return list(db.execute(sql).fetchall())
    finally:
        db.conn.close()


def test_floors_do_the_commands_job(shared_db_url: str, tmp_path: Path) -> None:
    source = journal(tmp_path)
    lines = source.read_bytes().splitlines()
    assert run_cli("import", str(source), db=shared_db_url).returncode == 0

    command = run_cli("register", "--as-of", DAY, "--format", "csv", db=shared_db_url)
    assert command.returncode == 0
    printed = floor("register.py", shared_db_url, DAY)
    assert printed == command.stdout.decode()
    assert printed.count("\n") > 100

    events = "stored_events" if shared_db_url.startswith("sqlite") else "coopledger_events"
    count, chained = floor("verify.py", shared_db_url, events).split()
    assert int(count) == len(lines) and len(chained) == 64

    target = fresh_floor_url(shared_db_url, tmp_path)
    try:
        assert floor("import_journal.py", target, str(source)) == f"{len(lines)} entries\n"
        floor("admit.py", target)
        stored = rows(
            target, "SELECT e.seq, e.hash, v.body FROM entries e JOIN events v USING (seq) ORDER BY seq"
        )
        counts = [rows(target, f"SELECT count(*) FROM {t}")[0][0] for t in ("subjects", "register")]
    finally:
        if not target.startswith("sqlite"):
            drop_schema(target.split("schema=")[1])
    assert [seq for seq, *_ in stored] == list(range(1, len(lines) + 2))
    assert counts == [len(lines) + 1] * 2
    previous = b""
    for _, hashed, body in stored:  # one chain through the imported entries and the admitted one
        previous = hashlib.sha256(previous + str(body).encode()).digest()
        assert hashed == previous.hex()
    assert json.loads(str(stored[-1][2]))["type"] == "member.admitted"
