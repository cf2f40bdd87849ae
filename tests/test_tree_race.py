"""Processes opening a ledger that has no stored Merkle tree yet, at the same instant, in real
processes on SQLite and PostgreSQL: the tree is built once, under a lock (an advisory lock of the
ledger's schema on PostgreSQL, the write lock on SQLite), and every process goes on (issue 11).

Without the lock each process built and replaced the whole tree: on PostgreSQL the second builder
could fail on the first one's rows ("cannot open the store"), and on either backend a builder that
read the entries before another process appended could replace the tree by one without the
subtrees those entries completed. The test holds the lock while the racers start, then lets them
go, and counts the tree rows written: one build's worth."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from coopledger.ledger.database import parse_database
from coopledger.ledger.engine import engine_for
from coopledger.ledger.postgres_recorder import connect
from coopledger.ledger.tree import BUILD_LOCK
from tests.conftest import ROOT, run_cli
from tests.test_atomic_write import execute
from tests.test_races import BARRIER

RACERS = 4
HELD = 1.5  # seconds the test holds the lock after the racers are told to go


def start(url: str, work: Path, *command: str) -> list[subprocess.Popen[bytes]]:
    """RACERS processes that run `command` within a millisecond of each other, once `go` exists."""
    racers = []
    for i in range(RACERS):
        ready = work / f"ready-{i}"
        argv = [sys.executable, "-c", BARRIER, str(ready), str(work / "go"), "--db", url, *command]
        process = subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        racers.append((process, ready))
    deadline = time.monotonic() + 60
    while not all(ready.exists() for _, ready in racers) and time.monotonic() < deadline:
        time.sleep(0.005)
    return [process for process, _ in racers]


@contextmanager
def build_lock(url: str) -> Iterator[None]:
    """Hold what a builder of the tree takes, from another connection."""
    database = parse_database(url)
    if database.backend == "postgresql":
        with connect(database.eventsourcing_env) as conn:
            schema = database.schema or "public"
            conn.execute("SELECT pg_advisory_lock(%s, hashtext(%s))", (BUILD_LOCK, schema))
            yield
        return
    conn = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None, timeout=30)
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        conn.execute("ROLLBACK")
        conn.close()


def count_tree_writes(url: str) -> None:
    """A side table with one row per row ever inserted into coop_tree."""
    if url.startswith("sqlite"):
        execute(
            url,
            "CREATE TABLE tree_writes (n INTEGER)",
            "CREATE TRIGGER tree_written AFTER INSERT ON coop_tree "
            "BEGIN INSERT INTO tree_writes VALUES (1); END",
        )
        return
    execute(
        url,
        "CREATE TABLE tree_writes (n integer)",
        "CREATE FUNCTION tree_written() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN EXECUTE format('INSERT INTO %I.tree_writes VALUES (1)', TG_TABLE_SCHEMA); "
        "RETURN NULL; END $$",
        "CREATE TRIGGER tree_written AFTER INSERT ON coop_tree FOR EACH ROW EXECUTE FUNCTION tree_written()",
    )


def scalar(url: str, sql: str) -> int:
    engine = engine_for(parse_database(url))
    with engine.connect() as conn:
        value = conn.exec_driver_sql(sql).scalar()
    engine.dispose()
    return int(value or 0)


def test_processes_opening_a_ledger_without_its_tree_build_it_once(
    shared_db_url: str, tmp_path: Path
) -> None:
    db = shared_db_url
    journal = tmp_path / "journal.jsonl"
    generate = [sys.executable, str(ROOT / "bench" / "generate.py"), "--members", "10000", "--years", "3"]
    subprocess.run([*generate, "--seed", "3", "-o", str(journal)], check=True, cwd=ROOT)
    assert run_cli("import", str(journal), db=db).returncode == 0
    rows = scalar(db, "SELECT count(*) FROM coop_tree")
    assert rows > 0
    execute(db, "DELETE FROM coop_tree")  # a ledger written before the tree existed
    count_tree_writes(db)
    with build_lock(db):
        racers = start(db, tmp_path, "log", "-n", "1")
        (tmp_path / "go").touch()
        time.sleep(HELD)  # every racer has found the tree missing and waits for the lock
    results = [(p.wait(timeout=300), p.stderr.read().decode() if p.stderr else "") for p in racers]
    assert [code for code, _ in results] == [0] * RACERS, results
    assert scalar(db, "SELECT count(*) FROM tree_writes") == rows  # built once
    verified = run_cli("verify", db=db)
    assert verified.returncode == 0, verified.stderr.decode()
    assert b"Merkle tree (coop_tree): ok" in verified.stdout
