"""The ledger as the web view reads it: through connections the database itself keeps read-only.

SQLite files are opened with the `mode=ro` URI (the file cannot be written through them);
PostgreSQL sessions start with `SET default_transaction_read_only = on`, so any write fails
in the server. Both the eventsourcing recorder (entries, identities, checkpoints) and the
SQLAlchemy engine (the read models) get such connections. Tables are never created here
(`CREATE_TABLE=no`): `serve` opens the ledger once the ordinary way first, which checks its
format and catches the read models up, then only reads.

`ReadOnlyLedger` also has what `commands.view.resolve_known` asks of the command's `App`
(`store`, `known_seq`), so a page resolves `known_at` with the same function as a command.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from eventsourcing.persistence import InfrastructureFactory
from eventsourcing.utils import Environment
from sqlalchemy import Engine, event

from coopledger.ledger.database import Database, parse_database
from coopledger.ledger.provenance import format_recorded
from coopledger.ledger.recorders import LedgerRecorder
from coopledger.ledger.store import Store

T = TypeVar("T")
READ_ONLY = "SET default_transaction_read_only = on"


def read_only_database(database: Database) -> Database:
    """The same store, opened so that it cannot be written: `mode=ro` for an SQLite file."""
    env = {**database.eventsourcing_env, "CREATE_TABLE": "no"}
    if database.backend != "sqlite":
        return dataclasses.replace(database, eventsourcing_env=env)
    uri = env["SQLITE_DBNAME"]
    if "mode=memory" not in uri:
        uri = f"{uri}{'&' if '?' in uri else '?'}mode=ro"
    env["SQLITE_DBNAME"] = uri

    def connect() -> sqlite3.Connection:
        return sqlite3.connect(uri, uri=True, check_same_thread=False, timeout=30)

    return dataclasses.replace(database, eventsourcing_env=env, connect=connect)


class ReadOnlyStore(Store):
    """`Store`'s reads on read-only connections; nothing is created, checked or built on open."""

    def __init__(self, database: Database):  # Store's own would create tables, check and build
        self.database = database
        env = Environment(name="coopledger", env=database.eventsourcing_env)
        self.factory = InfrastructureFactory.construct(env)
        if database.backend == "postgresql":
            # Before the recorder opens the pool: every connection it makes is read-only.
            pool = self.factory.datastore.pool  # type: ignore[attr-defined]
            configure = pool._configure

            def read_only(conn: Any) -> None:
                configure(conn)  # eventsourcing's own: autocommit, timeouts
                conn.execute(READ_ONLY)

            pool._configure = read_only
            if not pool.closed:
                pool.drain()
            event.listen(self.engine, "connect", _read_only_session)
        recorder = self.factory.application_recorder()
        assert isinstance(recorder, LedgerRecorder)
        self.recorder = recorder


def _read_only_session(dbapi_connection: Any, _record: Any) -> None:
    """Every SQLAlchemy connection to PostgreSQL refuses writes from its first statement."""
    dbapi_connection.execute(READ_ONLY)
    dbapi_connection.commit()


class ReadOnlyLedger:
    """The store and the read models on read-only connections, and a cache of computed pages.

    The cache is keyed by the last entry's sequence number as well as the request: as soon
    as a clerk records an entry, nothing computed before it is served again.
    """

    def __init__(self, url: str, cache_size: int = 256):
        self.url = url
        self.database = read_only_database(parse_database(url))
        self.store = ReadOnlyStore(self.database)
        self._cache: OrderedDict[Hashable, Any] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()

    @property
    def engine(self) -> Engine:
        return self.store.engine

    def read_models(self) -> Engine:
        """The read models as they are (`App.read_models` would catch them up: a write)."""
        return self.store.engine

    def known_seq(self, known_at: dt.datetime | None) -> int | None:
        """The last sequence number known at a moment (None: everything), as `App.known_seq`."""
        if known_at is None:
            return None
        return self.store.seq_known_at(format_recorded(known_at))

    def head_seq(self) -> int:
        head = self.store.head()
        return head.seq if head else 0

    def cached(self, key: Hashable, compute: Callable[[], T]) -> T:
        """`compute()` once per key and ledger head; the least recently used results go first."""
        full = (self.head_seq(), key)
        with self._lock:
            if full in self._cache:
                self._cache.move_to_end(full)
                return self._cache[full]  # type: ignore[no-any-return]
        value = compute()
        with self._lock:
            self._cache[full] = value
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return value

    def close(self) -> None:
        self.store.close()
