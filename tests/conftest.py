"""Fixtures: every storage test runs on SQLite (in memory and file) and on PostgreSQL.

PostgreSQL comes from COOPLEDGER_TEST_POSTGRES (default: the local server,
database `test`); each test gets a schema of its own, dropped afterwards. A
test may skip PostgreSQL only when no server is reachable outside CI; under
CI=true an unreachable server fails the run.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest

from coopledger.ledger.application import Ledger
from coopledger.ledger.bounds import decode_input
from coopledger.ledger.database import parse_database
from coopledger.ledger.errors import Source
from coopledger.ledger.events import Entry
from coopledger.ledger.postgres_recorder import connect
from coopledger.ledger.store import Store

ROOT = Path(__file__).resolve().parent.parent
POSTGRES = os.environ.get("COOPLEDGER_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
BACKENDS = ["sqlite-memory", "sqlite-file", "postgres"]


def postgres_reachable() -> bool:
    try:
        connect(parse_database(POSTGRES).eventsourcing_env, timeout=3).close()
    except psycopg.Error:
        return False
    return True


def drop_schema(schema: str) -> None:
    with connect(parse_database(POSTGRES).eventsourcing_env) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.fixture(scope="session")
def postgres_available() -> bool:
    reachable = postgres_reachable()
    if not reachable and os.environ.get("CI") == "true":
        pytest.fail(f"CI=true but PostgreSQL is not reachable at {POSTGRES}")
    return reachable


def init_ledger(url: str) -> str:
    """What `coopledger init` does, in-process: the store and the read models (only `init` and
    `import` create a ledger; every other command needs one)."""
    from coopledger.projections.read_models import create_tables

    store = Store(parse_database(url))
    create_tables(store.engine)
    store.close()
    return url


def make_url(backend: str, tmp_path: Path, postgres_available: bool) -> Iterator[str]:
    """A fresh, empty ledger URL on the given backend, initialised as by `coopledger init`."""
    if backend == "sqlite-memory":
        yield "sqlite://"
    elif backend == "sqlite-file":
        yield init_ledger(f"sqlite:///{tmp_path / 'ledger.db'}")
    else:
        if not postgres_available:
            pytest.skip("no PostgreSQL server reachable (outside CI)")
        schema = f"t_{uuid.uuid4().hex[:12]}"
        separator = "&" if "?" in POSTGRES else "?"
        yield init_ledger(f"{POSTGRES}{separator}schema={schema}")
        drop_schema(schema)


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path, postgres_available: bool) -> Iterator[str]:
    """A fresh ledger URL, once per backend."""
    yield from make_url(request.param, tmp_path, postgres_available)


@pytest.fixture(params=["sqlite-file", "postgres"])
def shared_db_url(request: pytest.FixtureRequest, tmp_path: Path, postgres_available: bool) -> Iterator[str]:
    """A fresh ledger URL that other processes can open too (no in-memory SQLite)."""
    yield from make_url(request.param, tmp_path, postgres_available)


@dataclass
class Book:
    """A ledger under test: record journal lines, read them back."""

    url: str
    store: Store
    ledger: Ledger

    def record(self, *lines: str | dict[str, object]) -> list[Entry]:
        """Record journal lines (JSON text or dicts) as one batch; raises Refused."""
        import msgspec

        batch = []
        for number, line in enumerate(lines, start=1):
            data = line if isinstance(line, str) else msgspec.json.encode(line).decode()
            batch.append((decode_input(data), Source("test", number)))
        return self.ledger.record(batch).added


@pytest.fixture
def book(db_url: str) -> Iterator[Book]:
    store = Store(parse_database(db_url))
    yield Book(db_url, store, Ledger(store, user="clerk"))
    store.close()


def run_cli(
    *args: str, db: str | None = None, input: bytes | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[bytes]:
    """Run `coopledger` in a real subprocess."""
    command = [sys.executable, "-m", "coopledger.commands"] + (["--db", db] if db else []) + list(args)
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(command, input=input, capture_output=True, cwd=ROOT, env=full_env, timeout=300)
