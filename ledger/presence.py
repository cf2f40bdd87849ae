"""Is there a ledger at a URL? Asked without creating anything.

Only `init` (and `import`) create a store; every other command first asks
`ledger_present`, so a mistyped `--db` is an error rather than a new, empty
ledger. A server that refuses the connection (a wrong database name, a wrong
user) is said at once, in the server's words, instead of after the pool's
retries.
"""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path
from urllib.parse import unquote

from coopledger.ledger.database import Database
from coopledger.ledger.errors import StoreError

# The table every ledger has from its first `init`: the entry index.
MARK = "coop_entries"


def _sqlite_present(database: Database) -> bool:
    uri = database.eventsourcing_env["SQLITE_DBNAME"]
    if "mode=memory" in uri:
        return True  # a private in-memory store: always new, nothing to mistype
    path = Path(unquote(uri.removeprefix("file:")))
    if not path.exists():
        return False
    try:
        conn = sqlite3.connect(f"{uri}?mode=ro", uri=True)
        try:
            found = conn.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (MARK,)).fetchone()
        finally:
            conn.close()
    except sqlite3.DatabaseError as e:
        raise StoreError(f"cannot open the store at {database.url}: {e}") from None
    return found is not None


def _postgres_present(database: Database) -> bool:
    import psycopg

    from coopledger.ledger.postgres_recorder import connect

    env = database.eventsourcing_env
    try:
        with connect(env) as conn:
            schema = env.get("POSTGRES_SCHEMA") or "public"
            row = conn.execute(
                "SELECT 1 FROM information_schema.tables WHERE table_schema = %s AND table_name = %s",
                (schema, MARK),
            ).fetchone()
    except psycopg.OperationalError as e:
        text = str(e).strip()
        reason = text.rpartition("FATAL:")[2].strip() or type(e).__name__
        reason = reason.splitlines()[0]
        raise StoreError(f"cannot open the store at {database.url}: {reason}") from None
    return row is not None


def ledger_present(database: Database) -> bool:
    """True if the store at `database` holds a ledger (made by `init`); StoreError if it cannot be asked."""
    if database.backend == "sqlite":
        return _sqlite_present(database)
    return _postgres_present(database)


def no_ledger(url: str) -> StoreError:
    """The error of a command that needs a ledger where there is none (the URL as given, no password)."""
    shown = re.sub(r"(://[^/?#@]*?:)[^/?#]*@", r"\1***@", url)
    return StoreError(f"no ledger at {shown} (run `coopledger init` to create one)")
