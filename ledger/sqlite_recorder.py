"""The SQLite recorder of the ledger: eventsourcing's, plus the ledger's index tables."""

from __future__ import annotations

import sqlite3
from collections.abc import Collection, Sequence
from typing import Any

from eventsourcing.persistence import IntegrityError, StoredEvent
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteCursor

from coopledger.ledger.events import MEMBER
from coopledger.ledger.identity import IdentityRecord
from coopledger.ledger.recorders import (
    DATE_KEY,
    ERASURE,
    FIRST_LOAD_ROWS,
    FORMAT,
    LEDGER_STREAM,
    TRANSACTION,
    EventRow,
    HeadRow,
    IndexRow,
    KnownEntry,
    LedgerRecorder,
    after,
    chunks,
    event_rows,
    stored_bytes,
    type_keys,
)

# A person's identity records, found through the subject index (the store has no index on its
# subject: inserts stay cheap, and an erasure or `member show` reads a few rows, not the store).
_SEQS_OF = "SELECT seq FROM coop_subjects WHERE subject = ?"
_ERASE = f"DELETE FROM coop_identities WHERE seq IN ({_SEQS_OF} AND seq < ?) AND subject = ?"
DIGEST_INDEX = "coop_entries_digest"
CREATE_DIGEST_INDEX = f"CREATE INDEX IF NOT EXISTS {DIGEST_INDEX} ON coop_entries (digest)"


class SQLiteLedgerRecorder(SQLiteApplicationRecorder, LedgerRecorder):
    """SQLite application recorder with the ledger's index tables."""

    driver_errors = (sqlite3.Error,)
    data_errors = (sqlite3.DataError,)

    def __init__(self, datastore: Any, **kwargs: Any):
        super().__init__(datastore, **kwargs)
        # Deleted identity records are overwritten with zeros, on every connection.
        pool = self.datastore.pool
        create = pool._create_connection

        def secure() -> Any:
            connection = create()
            connection._sqlite_conn.execute("PRAGMA secure_delete=ON")
            return connection

        pool._create_connection = secure  # type: ignore[method-assign]

    def construct_create_table_statements(self) -> list[str]:
        return [
            *super().construct_create_table_statements(),
            "CREATE TABLE IF NOT EXISTS coop_entries (seq INTEGER PRIMARY KEY, "
            "entry_id TEXT NOT NULL UNIQUE, recorded TEXT NOT NULL, digest TEXT NOT NULL, "
            "hash TEXT NOT NULL)",
            "CREATE INDEX IF NOT EXISTS coop_entries_recorded ON coop_entries (recorded)",
            # Entries given without id are found again by content (`Ledger._drop_matched`).
            CREATE_DIGEST_INDEX,
            "CREATE TABLE IF NOT EXISTS coop_subjects (subject TEXT NOT NULL, "
            "seq INTEGER NOT NULL, PRIMARY KEY (subject, seq)) WITHOUT ROWID",
            # One record per entry at most: the sequence number is the rowid (inserts append), and
            # the only key: views look records up by it, erasures and `member show` through the
            # subject index.
            "CREATE TABLE IF NOT EXISTS coop_identities (commitment TEXT NOT NULL, "
            "subject TEXT NOT NULL, seq INTEGER PRIMARY KEY, salt TEXT NOT NULL, fields TEXT NOT NULL)",
            "CREATE TABLE IF NOT EXISTS coop_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
            # The Merkle tree's stored subtree hashes (ledger/tree.py) and the checkpoints taken.
            "CREATE TABLE IF NOT EXISTS coop_tree (level INTEGER NOT NULL, start INTEGER NOT NULL, "
            "hash BLOB NOT NULL, PRIMARY KEY (level, start)) WITHOUT ROWID",
            "CREATE TABLE IF NOT EXISTS coop_checkpoints (id INTEGER PRIMARY KEY, taken TEXT NOT NULL, "
            "size INTEGER NOT NULL, note TEXT NOT NULL)",
        ]

    def _insert_events(
        self, c: SQLiteCursor, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        self._insert(c, event_rows(stored_events), **kwargs)  # type: ignore[arg-type]
        return None

    def _insert(
        self,
        c: sqlite3.Cursor,
        events: Sequence[EventRow],
        index: Sequence[IndexRow] = (),
        identities: Sequence[IdentityRecord] = (),
        erasures: Sequence[tuple[str, int]] = (),
        tree: Sequence[tuple[int, int, bytes]] = (),
    ) -> None:
        """Every row of a batch, one executemany per table (the driver takes the tuples as they are)."""
        stream = LEDGER_STREAM.hex
        c.executemany(self.insert_events_statement, [(stream, *event) for event in events])
        # A first import's content digests, like its identity records below, are indexed once
        # they are all in: one sort instead of as many inserts at random places (0.17 s of the
        # 45k bench journal's import).
        first = (
            len(index) >= FIRST_LOAD_ROWS
            and c.execute("SELECT 1 FROM coop_entries LIMIT 1").fetchone() is None
        )
        if first:
            c.execute(f"DROP INDEX IF EXISTS {DIGEST_INDEX}")
        c.executemany(
            "INSERT INTO coop_entries VALUES (?,?,?,?,?)",
            [r[:5] for r in index],  # seq, entry_id, recorded, digest, hash
        )
        if first:
            c.execute(CREATE_DIGEST_INDEX)
        c.executemany(
            "INSERT INTO coop_subjects VALUES (?,?)",
            [(subject, r.seq) for r in index for subject in r.subjects],
        )
        if identities:
            c.executemany("INSERT INTO coop_identities VALUES (?,?,?,?,?)", identities)
        if erasures:
            c.executemany(_ERASE, [(MEMBER + subject, seq, subject) for subject, seq in erasures])
        if tree:
            c.executemany("INSERT INTO coop_tree VALUES (?,?,?)", tree)

    def write(
        self,
        connection: sqlite3.Connection,
        events: Sequence[EventRow],
        index: Sequence[IndexRow],
        identities: Sequence[IdentityRecord] = (),
        erasures: Sequence[tuple[str, int]] = (),
        tree: Sequence[tuple[int, int, bytes]] = (),
    ) -> None:
        cursor = connection.cursor()
        try:
            self._insert(cursor, events, index, identities, erasures, tree)
        except sqlite3.IntegrityError as e:
            raise IntegrityError(e) from e
        finally:
            cursor.close()

    def _fetch(self, statement: str, params: Sequence[Any] = ()) -> list[Any]:
        connection = TRANSACTION.get()
        if connection is not None:
            return list(connection.execute(statement, params).fetchall())
        with self.datastore.transaction(commit=False) as c:
            c.execute(statement, params)
            return list(c.fetchall())

    def head(self) -> HeadRow | None:
        rows = self._fetch("SELECT seq, recorded, hash FROM coop_entries ORDER BY seq DESC LIMIT 1")
        return HeadRow(*rows[0]) if rows else None

    def known_ids(self, entry_ids: Sequence[str]) -> dict[str, KnownEntry]:
        found: dict[str, KnownEntry] = {}
        for chunk in chunks(entry_ids):
            marks = ",".join("?" * len(chunk))
            for row in self._fetch(
                f"SELECT entry_id, seq, digest FROM coop_entries WHERE entry_id IN ({marks})", chunk
            ):
                found[row[0]] = KnownEntry(row[1], row[2])
        return found

    def digest_seqs(self, digests: Sequence[str]) -> dict[str, list[int]]:
        found: dict[str, list[int]] = {}
        for chunk in chunks(digests):
            marks = ",".join("?" * len(chunk))
            for row in self._fetch(
                f"SELECT digest, seq FROM coop_entries WHERE digest IN ({marks}) ORDER BY seq", chunk
            ):
                found.setdefault(row[0], []).append(row[1])
        return found

    def seq_of(self, entry_id: str) -> int | None:
        rows = self._fetch("SELECT seq FROM coop_entries WHERE entry_id = ?", (entry_id,))
        return rows[0][0] if rows else None

    def seq_known_at(self, recorded: str) -> int:
        rows = self._fetch("SELECT MAX(seq) FROM coop_entries WHERE recorded <= ?", (recorded,))
        return rows[0][0] or 0

    def states_for_subjects(self, subjects: Sequence[str], upto: int | None) -> list[bytes]:
        states: dict[int, bytes] = {}
        limit = upto if upto is not None else 1 << 62
        for chunk in chunks(list(subjects)):
            marks = ",".join("?" * len(chunk))
            # CROSS JOIN fixes the join order (SQLite keeps no statistics unless ANALYZEd):
            # from the subject index to the events, not a scan of every event.
            for seq, state in self._fetch(
                "SELECT e.originator_version, e.state FROM coop_subjects s "
                f"CROSS JOIN {self.events_table_name} e ON e.originator_id = ? "
                "AND e.originator_version = s.seq "
                f"WHERE s.subject IN ({marks}) AND s.seq <= ?",
                (LEDGER_STREAM.hex, *chunk, limit),
            ):
                states[seq] = state
        return [states[seq] for seq in sorted(states)]

    def states_dated_from(self, day: str, types: Collection[str], limit: int | None = None) -> list[bytes]:
        keys = type_keys(types)
        if not keys:
            return []
        at = f"instr(state, X'{DATE_KEY.hex()}') + {len(DATE_KEY)}"
        typed = " OR ".join(f"substr(state, 1, {len(key)}) = ?" for key in keys)
        rows = self._fetch(
            f"SELECT state FROM {self.events_table_name} WHERE originator_id = ? "
            f"AND CAST(substr(state, {at}, 10) AS TEXT) >= ? AND ({typed}) ORDER BY originator_version "
            "LIMIT ?",
            (LEDGER_STREAM.hex, day, *keys, -1 if limit is None else limit),
        )
        return [bytes(row[0]) for row in rows]

    def subjects_named(self, prefix: str) -> set[str]:
        rows = self._fetch(
            "SELECT DISTINCT subject FROM coop_subjects WHERE subject >= ? AND subject < ?",
            (prefix, after(prefix)),
        )
        return {row[0] for row in rows}

    def erased_subjects(self, subjects: Sequence[str]) -> set[str]:
        found: set[str] = set()
        for chunk in chunks([MEMBER + subject for subject in subjects]):
            marks = ",".join("?" * len(chunk))
            for (subject,) in self._fetch(
                "SELECT DISTINCT s.subject FROM coop_subjects s "
                f"CROSS JOIN {self.events_table_name} e ON e.originator_id = ? "
                "AND e.originator_version = s.seq "
                f"WHERE s.subject IN ({marks}) AND e.topic = ?",
                (LEDGER_STREAM.hex, *chunk, ERASURE),
            ):
                found.add(subject[len(MEMBER) :])
        return found

    def states_between(self, after: int, upto: int | None) -> list[bytes]:
        return [
            row[0]
            for row in self._fetch(
                f"SELECT state FROM {self.events_table_name} WHERE originator_id = ? "
                "AND originator_version > ? AND originator_version <= ? "
                "ORDER BY originator_version",
                (LEDGER_STREAM.hex, after, upto if upto is not None else 1 << 62),
            )
        ]

    def index_rows(self) -> list[tuple[int, str, str, str, str]]:
        return [tuple(row) for row in self._fetch("SELECT * FROM coop_entries ORDER BY seq")]

    def subject_pairs(self) -> set[tuple[str, int]]:
        return {(row[0], row[1]) for row in self._fetch("SELECT subject, seq FROM coop_subjects")}

    def format_version(self) -> str | None:
        rows = self._fetch("SELECT value FROM coop_meta WHERE key = 'format'")
        return str(rows[0][0]) if rows else None

    def set_format(self) -> None:
        with self.datastore.transaction(commit=True) as c:
            c.execute("INSERT OR IGNORE INTO coop_meta VALUES ('format', ?)", (FORMAT,))

    def tree_hash(self, level: int, start: int) -> bytes | None:
        rows = self._fetch("SELECT hash FROM coop_tree WHERE level = ? AND start = ?", (level, start))
        return stored_bytes(rows[0][0]) if rows else None

    def tree_rows(self) -> list[tuple[int, int, bytes]]:
        rows = self._fetch("SELECT level, start, hash FROM coop_tree ORDER BY level, start")
        return [(r[0], r[1], stored_bytes(r[2])) for r in rows]

    def replace_tree(self, rows: Sequence[tuple[int, int, bytes]]) -> None:
        with self.datastore.transaction(commit=True) as c:
            c.execute("DELETE FROM coop_tree")
            c.executemany("INSERT INTO coop_tree VALUES (?,?,?)", rows)

    def meta(self, key: str) -> str | None:
        rows = self._fetch("SELECT value FROM coop_meta WHERE key = ?", (key,))
        return str(rows[0][0]) if rows else None

    def meta_values(self, prefix: str) -> list[str]:
        rows = self._fetch("SELECT key, value FROM coop_meta ORDER BY key")
        return [str(v) for k, v in rows if str(k).startswith(prefix)]

    def set_meta(self, key: str, value: str) -> None:
        with self.datastore.transaction(commit=True) as c:
            c.execute("INSERT OR IGNORE INTO coop_meta VALUES (?, ?)", (key, value))

    def add_checkpoint(self, taken: str, size: int, note: str) -> None:
        with self.datastore.transaction(commit=True) as c:
            c.execute("INSERT INTO coop_checkpoints (taken, size, note) VALUES (?,?,?)", (taken, size, note))

    def checkpoint_rows(self) -> list[tuple[str, int, str]]:
        return [tuple(r) for r in self._fetch("SELECT taken, size, note FROM coop_checkpoints ORDER BY id")]

    _IDENTITY = "SELECT commitment, subject, seq, salt, fields FROM coop_identities"

    def identities(self, seqs: Sequence[int] | None) -> dict[int, IdentityRecord]:
        if seqs is None:
            return {row[2]: IdentityRecord(*row) for row in self._fetch(self._IDENTITY)}
        found: dict[int, IdentityRecord] = {}
        for chunk in chunks(list(seqs)):
            marks = ",".join("?" * len(chunk))
            for row in self._fetch(f"{self._IDENTITY} WHERE seq IN ({marks})", chunk):
                found[row[2]] = IdentityRecord(*row)
        return found

    def identities_of(self, subject: str) -> list[IdentityRecord]:
        where = f"WHERE seq IN ({_SEQS_OF}) AND subject = ? ORDER BY seq"
        rows = self._fetch(f"{self._IDENTITY} {where}", (MEMBER + subject, subject))
        return [IdentityRecord(*row) for row in rows]
