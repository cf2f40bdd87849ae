"""What the floor scripts share: opening the database of a `--db` URL, and the rows of an entry.

Each floor is a process of its own, started like `coopledger` is, so that interpreter
start-up counts on both sides of a ratio. They take the ledger's own URL form
(`sqlite:///FILE`, `postgresql+psycopg://...?schema=S`) and need only the standard
library, plus psycopg for PostgreSQL (imported only then, so a SQLite floor starts as
fast as any stdlib script).
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from typing import Any
from urllib.parse import parse_qs, urlsplit

# The least a ledger keeps per entry: the entry, two index rows (its id and hash in the chain,
# the subject it is about) and a register row, each table with the key it is looked up by.
TABLES = (
    "CREATE TABLE events (seq BIGINT PRIMARY KEY, type TEXT NOT NULL, date TEXT NOT NULL, "
    "body TEXT NOT NULL)",
    "CREATE TABLE entries (seq BIGINT PRIMARY KEY, entry_id TEXT NOT NULL UNIQUE, hash TEXT NOT NULL)",
    "CREATE TABLE subjects (subject TEXT NOT NULL, seq BIGINT NOT NULL, PRIMARY KEY (subject, seq))",
    "CREATE TABLE register (member TEXT NOT NULL, valid_from TEXT NOT NULL, known_from BIGINT NOT NULL)",
    "CREATE INDEX register_member ON register (member)",
)
NAMES = ("events", "entries", "subjects", "register")
Rows = tuple[tuple[Any, ...], ...]  # one row per table of NAMES


class Db:
    """A connection and its driver's placeholder: the scripts write `?` and run on both."""

    def __init__(self, url: str):
        parts = urlsplit(url)
        self.pg = parts.scheme.startswith("postgresql")
        if self.pg:
            import psycopg

            schema = parse_qs(parts.query).get("schema", ["public"])[0]
            plain = parts._replace(scheme="postgresql", query="").geturl()
            self.schema = schema
            self.conn: Any = psycopg.connect(plain, options=f"-csearch_path={schema}")
        else:
            # No implicit transactions: `begin` opens the one a write needs.
            self.conn = sqlite3.connect(parts.path, isolation_level=None)

    def create(self) -> None:
        """Make the floor's tables in a new database, in the write transaction: in WAL mode on
        SQLite (as the ledger's files are), in the URL's schema on PostgreSQL."""
        if self.pg:
            self.execute(f'CREATE SCHEMA "{self.schema}"')
        else:
            self.execute("PRAGMA journal_mode=WAL")
            self.begin()
        for statement in TABLES:
            self.execute(statement)

    def execute(self, sql: str, params: tuple[Any, ...] = ()) -> Any:
        return self.conn.execute(sql.replace("?", "%s") if self.pg else sql, params)

    def begin(self) -> None:
        """Start the write transaction (psycopg has one open already)."""
        if not self.pg:
            self.conn.execute("BEGIN IMMEDIATE")

    def insert(self, table: str, rows: list[tuple[Any, ...]]) -> None:
        marks = ",".join(["%s" if self.pg else "?"] * len(rows[0]))
        self.conn.cursor().executemany(f"INSERT INTO {table} VALUES ({marks})", rows)

    def load(self, table: str, rows: list[tuple[Any, ...]]) -> None:
        """Each backend's bulk path: COPY on PostgreSQL, executemany on SQLite."""
        if not self.pg:
            self.insert(table, rows)
            return
        with self.conn.cursor().copy(f"COPY {table} FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)


def entry_rows(seq: int, line: bytes, previous: bytes) -> tuple[Rows, bytes]:
    """An entry's rows in the tables of NAMES, and its hash: sha256(previous hash + line)."""
    data = json.loads(line)
    chained = hashlib.sha256(previous + line).digest()
    subject = data.get("member") or data.get("assembly") or data["type"]
    rows = (
        (seq, data["type"], data["date"], line.decode()),
        (seq, data.get("id") or str(seq), chained.hex()),
        (subject, seq),
        (subject, data["date"], seq),
    )
    return rows, chained
