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
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from functools import cached_property
from typing import Any, ClassVar, TypeVar

from eventsourcing.persistence import InfrastructureFactory
from eventsourcing.utils import Environment
from sqlalchemy import Engine, QueuePool, create_engine, event

from coopledger.ledger.database import Database, parse_database
from coopledger.ledger.provenance import format_recorded
from coopledger.ledger.recorders import LedgerRecorder
from coopledger.ledger.store import Store

T = TypeVar("T")
READ_ONLY = "SET default_transaction_read_only = on"
HEAD_TTL = 0.5  # seconds: an entry recorded by a clerk shows (and renews the caches) within this


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
            event.listen(super().engine, "connect", _read_only_session)
        recorder = self.factory.application_recorder()
        assert isinstance(recorder, LedgerRecorder)
        self.recorder = recorder  # type: ignore[assignment]  # the same recorder class as Store's

    @cached_property
    def engine(self) -> Engine:
        """A pool of connections shared by the request threads (for SQLite, SQLAlchemy would keep
        one connection per thread, closing another thread's when more than five ask)."""
        if self.database.backend != "sqlite":
            return super().engine
        assert self.database.connect is not None
        return create_engine("sqlite://", creator=self.database.connect, poolclass=QueuePool, pool_size=8)


def _read_only_session(dbapi_connection: Any, _record: Any) -> None:
    """Every SQLAlchemy connection to PostgreSQL refuses writes from its first statement."""
    dbapi_connection.execute(READ_ONLY)
    dbapi_connection.commit()


class ReadOnlyLedger:
    """The store and the read models on read-only connections, and a cache of computed pages.

    The cache is keyed by the last entry's sequence number as well as the request: as soon
    as a clerk records an entry, nothing computed before it is served again.
    """

    # Results kept per bucket: pages and figures are small; a register's order holds one id per
    # member (3.6 MB at 450,000), so only a few orders are kept.
    SIZES: ClassVar[dict[str, int]] = {"pages": 256, "orders": 12}

    def __init__(self, url: str):
        self.url = url
        self.database = read_only_database(parse_database(url))
        self.store = ReadOnlyStore(self.database)
        self._cache: dict[str, OrderedDict[Hashable, Any]] = {name: OrderedDict() for name in self.SIZES}
        self._lock = threading.Lock()
        self._head = (0, -HEAD_TTL - 1.0)

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
        """The last entry's sequence number, read at most once per HEAD_TTL seconds."""
        now = time.monotonic()
        if now - self._head[1] > HEAD_TTL:
            head = self.store.head()
            self._head = (head.seq if head else 0, now)
        return self._head[0]

    def cached(self, key: Hashable, compute: Callable[[], T], bucket: str = "pages") -> T:
        """`compute()` once per key and ledger head; the least recently used results go first."""
        full = (self.head_seq(), key)
        cache = self._cache[bucket]
        with self._lock:
            if full in cache:
                cache.move_to_end(full)
                return cache[full]  # type: ignore[no-any-return]
        value = compute()
        with self._lock:
            cache[full] = value
            while len(cache) > self.SIZES[bucket]:
                cache.popitem(last=False)
        return value

    def close(self) -> None:
        self.store.close()
