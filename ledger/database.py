"""Where the ledger lives: one SQLAlchemy-style URL for the store and the read models.

`sqlite:///path.db` (or a bare path), `sqlite://` for a private in-memory
database, `postgresql+psycopg://user@host:port/dbname`. A `schema=NAME`
query parameter on a PostgreSQL URL keeps a ledger in its own schema (our
extension; the tests use it to isolate runs).
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from ledger.errors import StoreError

DEFAULT_URL = "sqlite:///coopledger.db"


@dataclass(frozen=True)
class Database:
    """A parsed store location, ready for eventsourcing and for SQLAlchemy."""

    url: str
    backend: str  # "sqlite" or "postgresql"
    eventsourcing_env: dict[str, str]
    sqlalchemy_url: str
    schema: str | None = None
    connect: Callable[[], sqlite3.Connection] | None = field(default=None, compare=False)


def parse_database(url: str) -> Database:
    """Parse a store URL; raises StoreError naming what is wrong."""
    if "://" not in url:
        url = f"sqlite:///{url}"
    parts = urlsplit(url)
    scheme = parts.scheme.split("+")[0]
    if scheme == "sqlite":
        return _sqlite(url, parts.path)
    if scheme in ("postgresql", "postgres"):
        return _postgres(url)
    raise StoreError(f"unsupported database URL {url!r}: use sqlite:///FILE or postgresql+psycopg://...")


def _sqlite(url: str, path: str) -> Database:
    name = path[1:] if path.startswith("/") else path
    if name in ("", ":memory:"):
        uri = f"file:coopledger-{uuid.uuid4().hex}?mode=memory&cache=shared"
    else:
        uri = f"file:{Path(name).resolve()}"

    def connect() -> sqlite3.Connection:
        return sqlite3.connect(uri, uri=True, check_same_thread=False, timeout=30)

    return Database(
        url=url,
        backend="sqlite",
        eventsourcing_env={
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "SQLITE_DBNAME": uri,
            "SQLITE_LOCK_TIMEOUT": "30",
            "APPLICATION_RECORDER_TOPIC": "ledger.sqlite_recorder:SQLiteLedgerRecorder",
        },
        sqlalchemy_url="sqlite://",
        connect=connect,
    )


def _postgres(url: str) -> Database:
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    schema = query.pop("schema", [""])[0] or None
    rest = "&".join(f"{k}={v}" for k, values in query.items() for v in values)
    dbname = parts.path.lstrip("/") or "postgres"
    env = {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": dbname,
        "POSTGRES_HOST": parts.hostname or "127.0.0.1",
        "POSTGRES_PORT": str(parts.port or 5432),
        "POSTGRES_USER": unquote(parts.username or "postgres"),
        "POSTGRES_PASSWORD": unquote(parts.password or ""),
        "POSTGRES_LOCK_TIMEOUT": "30",
        "POSTGRES_CONNECT_TIMEOUT": "5",
        "APPLICATION_RECORDER_TOPIC": "ledger.postgres_recorder:PostgresLedgerRecorder",
    }
    if schema:
        env["POSTGRES_SCHEMA"] = schema
    base = f"postgresql+psycopg://{parts.netloc}/{dbname}"
    return Database(
        url=url,
        backend="postgresql",
        eventsourcing_env=env,
        sqlalchemy_url=f"{base}?{rest}" if rest else base,
        schema=schema,
    )
