"""Where the ledger lives: one SQLAlchemy-style URL for the store and the read models.

`sqlite:///path.db` (or a bare path), `sqlite://` for a private in-memory
database, `postgresql+psycopg://user@host:port/dbname`. A `schema=NAME`
query parameter on a PostgreSQL URL keeps a ledger in its own schema (our
extension; the tests use it to isolate runs).
"""

from __future__ import annotations

import re
import sqlite3
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import SplitResult, parse_qsl, quote, unquote, urlsplit

from coopledger.ledger.errors import StoreError

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


_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_HOST = re.compile(r"[A-Za-z0-9._-]{1,253}|\[[0-9A-Fa-f:.]+\]")
_SCHEMA = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")
_DRIVERS = {"sqlite": ("", "pysqlite"), "postgresql": ("", "psycopg"), "postgres": ("", "psycopg")}
# libpq parameters a URL may carry besides `schema`, with the values each accepts.
_PARAMETERS: dict[str, re.Pattern[str]] = {
    "sslmode": re.compile(r"disable|allow|prefer|require|verify-ca|verify-full"),
    "connect_timeout": re.compile(r"[0-9]{1,4}"),
    "application_name": re.compile(r"[\w .-]{0,63}"),
    "target_session_attrs": re.compile(r"any|read-write|read-only|primary|standby|prefer-standby"),
}


def _shown(url: str) -> str:
    """The URL as an error shows it: quoted, on one line, short, with no password."""
    url = re.sub(r"(://[^/?#@]*?:)[^/?#]*@", r"\1***@", url)
    return repr(url) if len(url) <= 80 else f"{url[:60]!r}... ({len(url)} characters)"


def parse_database(url: str) -> Database:
    """Parse a store URL; raises StoreError naming what is wrong (nothing is opened here)."""
    if not url:
        raise StoreError("the store URL is empty")
    found = _CONTROL.search(url)
    if found is not None:
        raise StoreError(
            f"the store URL {_shown(url)} holds a control character or an undecodable byte "
            f"at character {found.start() + 1}"
        )
    if "://" not in url:
        return _sqlite(f"sqlite:///{url}", url)  # a bare path, taken as it is
    try:
        parts = urlsplit(url)
    except ValueError as e:
        raise StoreError(f"the store URL {_shown(url)} cannot be read: {e}") from None
    scheme, _, driver = parts.scheme.partition("+")
    if scheme not in _DRIVERS or driver not in _DRIVERS[scheme]:
        raise StoreError(
            f"unsupported database URL {_shown(url)}: use sqlite:///FILE or postgresql+psycopg://..."
        )
    if scheme == "sqlite":
        if parts.netloc:
            raise StoreError(
                f"the SQLite URL {_shown(url)} names a host: write sqlite:///FILE (three slashes), "
                "or sqlite:////FILE for an absolute path"
            )
        if parts.query or parts.fragment:
            raise StoreError(f"the SQLite URL {_shown(url)} has a '?' or '#': give the file's path alone")
        return _sqlite(url, parts.path[1:])
    return _postgres(url)


def _sqlite(url: str, name: str) -> Database:
    if name in ("", ":memory:"):
        uri = f"file:coopledger-{uuid.uuid4().hex}?mode=memory&cache=shared"
    else:
        try:
            path = Path(name).resolve()
            folder = path.is_dir()
        except OSError as e:  # e.g. a name too long
            raise StoreError(f"cannot open the store at {_shown(url)}: {e.strerror}") from None
        if folder:
            raise StoreError(f"cannot open the store at {_shown(url)}: {name} is a folder, not a file")
        uri = f"file:{quote(str(path))}"  # quoted: '?', '#' and '%' are the file's own

    def connect() -> sqlite3.Connection:
        return sqlite3.connect(uri, uri=True, check_same_thread=False, timeout=30)

    return Database(
        url=url,
        backend="sqlite",
        eventsourcing_env={
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "SQLITE_DBNAME": uri,
            "SQLITE_LOCK_TIMEOUT": "30",
            "APPLICATION_RECORDER_TOPIC": "coopledger.ledger.sqlite_recorder:SQLiteLedgerRecorder",
        },
        sqlalchemy_url="sqlite://",
        connect=connect,
    )


def _port(url: str, parts: SplitResult) -> int:
    try:
        port = parts.port
    except ValueError:
        port = -1
    if port is None:
        return 5432
    if not 1 <= port <= 65535:
        text = parts.netloc.rpartition(":")[2]
        raise StoreError(f"the store URL {_shown(url)} has a bad port {text!r}: a number from 1 to 65535")
    return port


def _query(url: str, query: str) -> tuple[str | None, list[tuple[str, str]]]:
    """The `schema` and the other libpq parameters, each checked."""
    try:
        pairs = parse_qsl(query, keep_blank_values=True, strict_parsing=bool(query))
    except ValueError as e:
        raise StoreError(f"the store URL {_shown(url)} has a bad query: {e}") from None
    schema: str | None = None
    rest: list[tuple[str, str]] = []
    for key, value in pairs:
        if key == "schema" and schema is None:
            if not _SCHEMA.fullmatch(value):
                raise StoreError(
                    f"the store URL {_shown(url)} has a bad schema {value!r}: "
                    "letters, digits and _ (not first a digit), at most 63"
                )
            schema = value
        elif key in _PARAMETERS and not any(k == key for k, _ in rest):
            if not _PARAMETERS[key].fullmatch(value):
                raise StoreError(f"the store URL {_shown(url)} has a bad {key} {value!r}")
            rest.append((key, value))
        else:
            known = ", ".join(["schema", *_PARAMETERS])
            raise StoreError(f"the store URL {_shown(url)} has an unknown or repeated {key!r}: use {known}")
    return schema, rest


def _postgres(url: str) -> Database:
    parts = urlsplit(url)
    port = _port(url, parts)
    host = parts.netloc.rpartition("@")[2]
    host = host[: host.find("]") + 1] if host.startswith("[") else host.partition(":")[0]
    if host and not _HOST.fullmatch(host):
        raise StoreError(f"the store URL {_shown(url)} has a bad host {host!r}")
    if parts.fragment:
        raise StoreError(f"the store URL {_shown(url)} has a '#': percent-encode it (%23) in a password")
    schema, params = _query(url, parts.query)
    rest = "&".join(f"{k}={v}" for k, v in params)
    dbname = unquote(parts.path.lstrip("/")) or "postgres"
    if "/" in dbname or len(dbname) > 63:
        raise StoreError(f"the store URL {_shown(url)} has a bad database name {dbname!r}")
    env = {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": dbname,
        "POSTGRES_HOST": parts.hostname or "127.0.0.1",
        "POSTGRES_PORT": str(port),
        "POSTGRES_USER": unquote(parts.username or "postgres"),
        "POSTGRES_PASSWORD": unquote(parts.password or ""),
        "POSTGRES_LOCK_TIMEOUT": "30",
        "POSTGRES_CONNECT_TIMEOUT": "5",
        "POSTGRES_POOL_SIZE": "1",
        "APPLICATION_RECORDER_TOPIC": "coopledger.ledger.postgres_recorder:PostgresLedgerRecorder",
    }
    if schema:
        env["POSTGRES_SCHEMA"] = schema
    base = f"postgresql+psycopg://{parts.netloc}/{parts.path.lstrip('/') or 'postgres'}"
    return Database(
        url=url,
        backend="postgresql",
        eventsourcing_env=env,
        sqlalchemy_url=f"{base}?{rest}" if rest else base,
        schema=schema,
    )
