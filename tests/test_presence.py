"""Opening a ledger: absent, present but missing something of this version, or ready as it is."""

from __future__ import annotations

import select
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import unquote

import pytest

from coopledger.commands.context import HELD, failure_message
from coopledger.ledger.database import Database, parse_database
from coopledger.ledger.errors import WriteFailed
from coopledger.ledger.postgres_recorder import connect
from coopledger.ledger.presence import STORE_RELATIONS, Presence, ledger_state
from coopledger.projections.read_models import RELATIONS
from tests.conftest import POSTGRES, ROOT, run_cli


def sqlite_file(database: Database) -> str:
    return unquote(database.eventsourcing_env["SQLITE_DBNAME"].removeprefix("file:"))


def catalog(database: Database) -> set[str]:
    """Every table, index and row type a ledger's store holds, less those the database names
    itself (primary keys, unique constraints, sequences)."""
    if database.backend == "sqlite":
        with sqlite3.connect(sqlite_file(database)) as conn:
            rows = conn.execute("SELECT name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'").fetchall()
        return {name for (name,) in rows}
    with connect(database.eventsourcing_env) as conn:
        rows = conn.execute(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = %s AND c.relkind IN ('r', 'i', 'c') "
            "AND c.relname NOT LIKE '%%\\_pkey' AND c.relname NOT LIKE '%%\\_key'",
            (database.schema,),
        ).fetchall()
    return {name for (name,) in rows}


def drop_index(database: Database, name: str) -> None:
    if database.backend == "sqlite":
        with sqlite3.connect(sqlite_file(database)) as conn:
            conn.execute(f"DROP INDEX {name}")
        return
    with connect(database.eventsourcing_env) as conn:
        conn.execute(f'DROP INDEX "{database.schema}".{name}')


def test_a_new_ledger_holds_exactly_what_opening_it_looks_for(shared_db_url: str) -> None:
    """The names `ledger_state` checks are all a new ledger holds: one the list forgot would be
    missing from an older ledger opened `READY`, and never made."""
    database = parse_database(shared_db_url)
    assert catalog(database) == {*STORE_RELATIONS[database.backend], *RELATIONS}
    assert ledger_state(database, RELATIONS) is Presence.READY


def test_a_ledger_missing_an_index_gets_it_back_from_the_next_command(shared_db_url: str) -> None:
    """A ledger written by an older version lacks what this one added: the next command makes it."""
    database = parse_database(shared_db_url)
    drop_index(database, "register_spells_member")
    drop_index(database, "coop_entries_digest")
    assert ledger_state(database, RELATIONS) is Presence.PRESENT
    done = run_cli("register", "--as-of", "2025-12-31", "--format", "csv", db=shared_db_url)
    assert done.returncode == 0, done.stderr
    assert {"register_spells_member", "coop_entries_digest"} <= catalog(database)
    assert ledger_state(database, RELATIONS) is Presence.READY


def test_where_there_is_no_ledger_nothing_is_made(tmp_path: Path, postgres_available: bool) -> None:
    missing = tmp_path / "none.db"
    assert ledger_state(parse_database(f"sqlite:///{missing}"), RELATIONS) is Presence.ABSENT
    done = run_cli("board", db=f"sqlite:///{missing}")
    assert done.returncode != 0 and b"no ledger at" in done.stderr
    assert not missing.exists()
    if not postgres_available:
        pytest.skip("no PostgreSQL server reachable (outside CI)")
    separator = "&" if "?" in POSTGRES else "?"
    database = parse_database(f"{POSTGRES}{separator}schema=t_nowhere_{uuid.uuid4().hex[:12]}")
    assert ledger_state(database, RELATIONS) is Presence.ABSENT


def test_a_reader_says_it_waits_for_a_session_holding_the_tables(shared_db_url: str) -> None:
    """A first import or a `rebuild` drops indexes and makes them again after its rows, all in
    its transaction. On PostgreSQL every read of those tables then waits for it to commit: the
    command says so at once, waits, and answers with what it wrote. SQLite's readers answer at
    once, without a word, from the ledger before."""
    database = parse_database(shared_db_url)
    admit = ["member", "admit", "S1", "--name", "Ada", "--category", "A", "--shares", "2"]
    assert run_cli(*admit, "--date", "2025-03-02", db=shared_db_url).returncode == 0
    command = [sys.executable, "-m", "coopledger.commands", "--db", shared_db_url, "register"]
    with holding(database) as writer:
        reader = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT)
        try:
            if database.backend == "sqlite":
                out, err = reader.communicate(timeout=60)  # while the writer still holds its transaction
                assert reader.returncode == 0 and b"S1" in out and err == b"", err
                return
            assert reader.stderr is not None
            ready, _, _ = select.select([reader.stderr], [], [], 60)  # no word: it would wait unseen
            assert ready, "the reader waits without saying so"
            assert reader.stderr.readline().decode().strip() == f"coopledger: {HELD}"
            time.sleep(1)
            assert reader.poll() is None  # waiting for the writer
            writer()  # commits: S1 leaves the register, S2 joins it
            out, err = reader.communicate(timeout=60)
        finally:
            reader.kill()
    assert reader.returncode == 0, err
    assert b"S2" in out and b"S1" not in out


def test_a_write_that_gave_up_waiting_says_for_what() -> None:
    """A write waits 30 s for a lock (`ledger/database.py`), a rebuild at 5,000,000 members holds
    the tables three minutes: the write fails, and the clerk is told why and what to do (seen
    there: a statutes amendment during a rebuild, exit 3 after 47.7 s)."""
    for said in ("canceling statement due to lock timeout", "database is locked"):
        message = failure_message(WriteFailed(said))
        assert message.startswith("another session held the ledger's tables longer than a write waits")
        assert f"({said})" in message and "nothing was written" in message and "once that session" in message
    assert "another session" not in failure_message(WriteFailed("could not write block: No space left"))


@contextmanager
def holding(database: Database) -> Iterator[Callable[[], None]]:
    """A session that holds the register's table as `rebuild` does (an index dropped in an open
    transaction), with a change of its own to it; what it yields commits them."""
    if database.backend == "sqlite":
        conn = sqlite3.connect(sqlite_file(database), isolation_level=None)
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("DROP INDEX register_spells_member")
        try:
            yield lambda: None
        finally:
            conn.rollback()
            conn.close()
        return
    with connect(database.eventsourcing_env) as conn:
        conn.autocommit = False  # one transaction, until `commit`
        schema = f'"{database.schema}"'
        conn.execute(f"DROP INDEX {schema}.register_spells_member")
        conn.execute(f"UPDATE {schema}.register_spells SET member = 'S2'")

        def commit() -> None:
            index = "register_spells_member ON {}.register_spells (member, known_to)"
            conn.execute(f"CREATE INDEX {index.format(schema)}")
            conn.commit()

        yield commit
