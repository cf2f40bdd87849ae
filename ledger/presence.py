"""Is there a ledger at a URL? Asked without creating anything.

Only `init` (and `import`) create a store; every other command first asks
`ledger_present`, so a mistyped `--db` is an error rather than a new, empty
ledger. A server that refuses the connection (a wrong database name, a wrong
user) is said at once, in the server's words, instead of after the pool's
retries.
"""

from __future__ import annotations

import enum
import re
import sqlite3
from collections.abc import Collection
from pathlib import Path
from typing import NamedTuple
from urllib.parse import unquote

from coopledger.ledger.database import Database
from coopledger.ledger.errors import StoreError

# The table every ledger has from its first `init`: the entry index.
MARK = "coop_entries"
# What the store's recorders create (ledger/recorders.py and the two backends'), by backend:
# eventsourcing's events table (and on PostgreSQL its index and row type), then the ledger's
# own tables and indexes. tests/test_presence.py checks these against a new ledger's catalog.
_OURS = (
    MARK,
    "coop_entries_recorded",
    "coop_entries_digest",
    "coop_subjects",
    "coop_identities",
    "coop_meta",
    "coop_tree",
    "coop_checkpoints",
)
STORE_RELATIONS = {
    "sqlite": ("stored_events", *_OURS),
    "postgresql": ("coopledger_events", "coopledger_events_notification_id_idx", "stored_event_uuid", *_OURS),
}


class Presence(enum.Enum):
    """What a store location holds, as far as opening it is concerned."""

    ABSENT = "absent"  # no ledger: only `init` and `import` may make one
    PRESENT = "present"  # a ledger, but some table or index of this version is missing (made now)
    READY = "ready"  # a ledger with everything this version makes: nothing to create


def _sqlite_found(database: Database, names: list[str]) -> set[str] | None:
    """Which of `names` the file holds; None for a private in-memory store (always new)."""
    uri = database.eventsourcing_env["SQLITE_DBNAME"]
    if "mode=memory" in uri:
        return None
    path = Path(unquote(uri.removeprefix("file:")))
    if not path.exists():
        return set()
    marks = ", ".join("?" * len(names))
    try:
        conn = sqlite3.connect(f"{uri}?mode=ro", uri=True)
        try:
            rows = conn.execute(f"SELECT name FROM sqlite_master WHERE name IN ({marks})", names).fetchall()
        finally:
            conn.close()
    except sqlite3.DatabaseError as e:
        raise StoreError(f"cannot open the store at {database.url}: {e}") from None
    return {name for (name,) in rows}


# The relations another client holds in ACCESS EXCLUSIVE mode, granted: what `DROP INDEX` takes
# on its table until the transaction ends, so that every read of the table waits for it.
_HELD = (
    "SELECT l.relation FROM pg_catalog.pg_locks l JOIN pg_catalog.pg_stat_activity a ON a.pid = l.pid "
    "WHERE l.mode = 'AccessExclusiveLock' AND l.granted AND l.pid <> pg_backend_pid() "
    "AND a.backend_type = 'client backend'"
)


def _postgres_found(database: Database, names: list[str]) -> tuple[set[str], bool]:
    """Which of `names` the ledger's schema holds (tables, indexes and row types alike), and
    whether another session holds one of them exclusively (in the same query: no extra trip)."""
    import psycopg

    from coopledger.ledger.postgres_recorder import connect

    env = database.eventsourcing_env
    try:
        with connect(env) as conn:
            rows = conn.execute(
                f"SELECT c.relname, c.oid IN ({_HELD}) FROM pg_catalog.pg_class c "
                "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = %s AND c.relname = ANY(%s)",
                (env.get("POSTGRES_SCHEMA") or "public", names),
            ).fetchall()
    except psycopg.OperationalError as e:
        text = str(e).strip()
        reason = text.rpartition("FATAL:")[2].strip() or type(e).__name__
        reason = reason.splitlines()[0]
        raise StoreError(f"cannot open the store at {database.url}: {reason}") from None
    return {name for name, _ in rows}, any(held for _, held in rows)


class Opening(NamedTuple):
    """What opening a ledger finds: what the store holds, and whether another session holds
    its tables until it commits (a first import or a `rebuild` on PostgreSQL, which make
    their indexes again after their rows: every read of those tables waits for it)."""

    presence: Presence
    held: bool


def ledger_opening(database: Database, read_models: Collection[str] = ()) -> Opening:
    """What the store at `database` holds, `read_models` (the names of the read models' tables
    and indexes) counted in, and whether it is held; StoreError if it cannot be asked."""
    names = sorted({*STORE_RELATIONS[database.backend], *read_models})
    held = False  # SQLite's readers never wait for its writer
    if database.backend == "sqlite":
        found = _sqlite_found(database, names)
        if found is None:
            return Opening(Presence.PRESENT, held)  # in memory: there, and made afresh by whoever opens it
    else:
        found, held = _postgres_found(database, names)
    if MARK not in found:
        return Opening(Presence.ABSENT, held)
    return Opening(Presence.READY if found.issuperset(names) else Presence.PRESENT, held)


def ledger_state(database: Database, read_models: Collection[str] = ()) -> Presence:
    """What the store at `database` holds (`ledger_opening`)."""
    return ledger_opening(database, read_models).presence


def ledger_present(database: Database) -> bool:
    """True if the store at `database` holds a ledger (made by `init`); StoreError if it cannot be asked."""
    return ledger_state(database) is not Presence.ABSENT


def no_ledger(url: str) -> StoreError:
    """The error of a command that needs a ledger where there is none (the URL as given, no password)."""
    shown = re.sub(r"(://[^/?#@]*?:)[^/?#]*@", r"\1***@", url)
    return StoreError(f"no ledger at {shown} (run `coopledger init` to create one)")
