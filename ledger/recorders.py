"""eventsourcing's own SQLite and PostgreSQL recorders, extended with the ledger's index.

The ledger keeps every entry as one stored event of a single stream, so the
stream version is the entry's sequence number and the store's primary key
serialises writers: two processes appending the same next sequence cannot
both commit. Beside the events, in the same transaction (through the
recorders' `_insert_events` hook, the one eventsourcing gives process
recorders for tracking records), we write two small tables:

* `coop_entries`: sequence, entry id (unique), recorded time, content digest
  and chain hash, for idempotent imports, `--known-at` and the hash chain;
* `coop_subjects`: (subject, sequence), so that the timeline of one member,
  assembly or body is an indexed read, not a scan of the whole ledger.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple
from uuid import NAMESPACE_URL, uuid5

from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteCursor
from psycopg.sql import SQL, Identifier

LEDGER_STREAM = uuid5(NAMESPACE_URL, "https://coopledger/ledger")


class IndexRow(NamedTuple):
    """What the ledger indexes about one entry."""

    seq: int
    entry_id: str
    recorded: str
    digest: str
    hash: str
    subjects: tuple[str, ...]


class HeadRow(NamedTuple):
    """The last recorded entry: where the next one chains on."""

    seq: int
    recorded: str
    hash: str


class KnownEntry(NamedTuple):
    """An entry id already in the ledger, with what it was."""

    seq: int
    digest: str


class LedgerRecorder:
    """The read queries the ledger adds to an application recorder."""

    def head(self) -> HeadRow | None:
        raise NotImplementedError

    def known_ids(self, entry_ids: Sequence[str]) -> dict[str, KnownEntry]:
        raise NotImplementedError

    def seq_of(self, entry_id: str) -> int | None:
        raise NotImplementedError

    def seq_known_at(self, recorded: str) -> int:
        raise NotImplementedError

    def states_for_subjects(self, subjects: Sequence[str], upto: int | None) -> list[bytes]:
        raise NotImplementedError

    def states_between(self, after: int, upto: int | None) -> list[bytes]:
        raise NotImplementedError


def _chunks(items: Sequence[str], size: int = 500) -> Iterable[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class SQLiteLedgerRecorder(SQLiteApplicationRecorder, LedgerRecorder):
    """SQLite application recorder with the ledger's index tables."""

    def construct_create_table_statements(self) -> list[str]:
        return [
            *super().construct_create_table_statements(),
            "CREATE TABLE IF NOT EXISTS coop_entries (seq INTEGER PRIMARY KEY, "
            "entry_id TEXT NOT NULL UNIQUE, recorded TEXT NOT NULL, digest TEXT NOT NULL, "
            "hash TEXT NOT NULL)",
            "CREATE INDEX IF NOT EXISTS coop_entries_recorded ON coop_entries (recorded)",
            "CREATE TABLE IF NOT EXISTS coop_subjects (subject TEXT NOT NULL, "
            "seq INTEGER NOT NULL, PRIMARY KEY (subject, seq)) WITHOUT ROWID",
        ]

    def _insert_events(
        self, c: SQLiteCursor, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        rows: list[IndexRow] = kwargs.get("index", [])
        c.executemany(
            self.insert_events_statement,
            [(s.originator_id.hex, s.originator_version, s.topic, s.state) for s in stored_events],  # type: ignore[union-attr]
        )
        c.executemany(
            "INSERT INTO coop_entries VALUES (?,?,?,?,?)",
            [(r.seq, r.entry_id, r.recorded, r.digest, r.hash) for r in rows],
        )
        c.executemany(
            "INSERT INTO coop_subjects VALUES (?,?)",
            [(subject, r.seq) for r in rows for subject in r.subjects],
        )
        return None

    def _fetch(self, statement: str, params: Sequence[Any] = ()) -> list[Any]:
        with self.datastore.transaction(commit=False) as c:
            c.execute(statement, params)
            return list(c.fetchall())

    def head(self) -> HeadRow | None:
        rows = self._fetch("SELECT seq, recorded, hash FROM coop_entries ORDER BY seq DESC LIMIT 1")
        return HeadRow(*rows[0]) if rows else None

    def known_ids(self, entry_ids: Sequence[str]) -> dict[str, KnownEntry]:
        found: dict[str, KnownEntry] = {}
        for chunk in _chunks(entry_ids):
            marks = ",".join("?" * len(chunk))
            for row in self._fetch(
                f"SELECT entry_id, seq, digest FROM coop_entries WHERE entry_id IN ({marks})", chunk
            ):
                found[row[0]] = KnownEntry(row[1], row[2])
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
        for chunk in _chunks(list(subjects)):
            marks = ",".join("?" * len(chunk))
            for seq, state in self._fetch(
                "SELECT e.originator_version, e.state FROM coop_subjects s "
                f"JOIN {self.events_table_name} e ON e.originator_id = ? "
                "AND e.originator_version = s.seq "
                f"WHERE s.subject IN ({marks}) AND s.seq <= ?",
                (LEDGER_STREAM.hex, *chunk, limit),
            ):
                states[seq] = state
        return [states[seq] for seq in sorted(states)]

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


class PostgresLedgerRecorder(PostgresApplicationRecorder, LedgerRecorder):
    """PostgreSQL application recorder with the ledger's index tables."""

    def __init__(self, datastore: Any, **kwargs: Any):
        super().__init__(datastore, **kwargs)
        schema = Identifier(self.datastore.schema)
        self.entries_table = SQL("{0}.coop_entries").format(schema)
        self.subjects_table = SQL("{0}.coop_subjects").format(schema)
        self.events_table = SQL("{0}.{1}").format(schema, Identifier(self.events_table_name))
        self.sql_create_statements.extend(
            [
                SQL(
                    "CREATE TABLE IF NOT EXISTS {0} (seq bigint PRIMARY KEY, "
                    "entry_id text NOT NULL UNIQUE, recorded text NOT NULL, "
                    "digest text NOT NULL, hash text NOT NULL)"
                ).format(self.entries_table),
                SQL("CREATE INDEX IF NOT EXISTS coop_entries_recorded ON {0} (recorded)").format(
                    self.entries_table
                ),
                SQL(
                    "CREATE TABLE IF NOT EXISTS {0} (subject text NOT NULL, seq bigint NOT NULL, "
                    "PRIMARY KEY (subject, seq))"
                ).format(self.subjects_table),
            ]
        )

    def _insert_events(self, curs: Any, stored_events: Sequence[StoredEvent], **kwargs: Any) -> None:
        rows: list[IndexRow] = kwargs.get("index", [])
        curs.executemany(
            SQL("INSERT INTO {0} VALUES (%s,%s,%s,%s,%s)").format(self.entries_table),
            [(r.seq, r.entry_id, r.recorded, r.digest, r.hash) for r in rows],
        )
        curs.executemany(
            SQL("INSERT INTO {0} VALUES (%s,%s)").format(self.subjects_table),
            [(subject, r.seq) for r in rows for subject in r.subjects],
        )

    def _fetch(self, statement: Any, params: Sequence[Any] = ()) -> list[Any]:
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(statement, params)
            return [tuple(row.values()) for row in curs.fetchall()]

    def head(self) -> HeadRow | None:
        rows = self._fetch(
            SQL("SELECT seq, recorded, hash FROM {0} ORDER BY seq DESC LIMIT 1").format(self.entries_table)
        )
        return HeadRow(*rows[0]) if rows else None

    def known_ids(self, entry_ids: Sequence[str]) -> dict[str, KnownEntry]:
        rows = self._fetch(
            SQL("SELECT entry_id, seq, digest FROM {0} WHERE entry_id = ANY(%s)").format(self.entries_table),
            (list(entry_ids),),
        )
        return {row[0]: KnownEntry(row[1], row[2]) for row in rows}

    def seq_of(self, entry_id: str) -> int | None:
        rows = self._fetch(SQL("SELECT seq FROM {0} WHERE entry_id = %s").format(self.entries_table), (entry_id,))
        return rows[0][0] if rows else None

    def seq_known_at(self, recorded: str) -> int:
        rows = self._fetch(
            SQL("SELECT MAX(seq) FROM {0} WHERE recorded <= %s").format(self.entries_table), (recorded,)
        )
        return rows[0][0] or 0

    def states_for_subjects(self, subjects: Sequence[str], upto: int | None) -> list[bytes]:
        rows = self._fetch(
            SQL(
                "SELECT DISTINCT e.originator_version, e.state FROM {0} s JOIN {1} e "
                "ON e.originator_id = %s AND e.originator_version = s.seq "
                "WHERE s.subject = ANY(%s) AND s.seq <= %s ORDER BY e.originator_version"
            ).format(self.subjects_table, self.events_table),
            (LEDGER_STREAM, list(subjects), upto if upto is not None else 1 << 62),
        )
        return [bytes(row[1]) for row in rows]

    def states_between(self, after: int, upto: int | None) -> list[bytes]:
        rows = self._fetch(
            SQL(
                "SELECT state FROM {0} WHERE originator_id = %s AND originator_version > %s "
                "AND originator_version <= %s ORDER BY originator_version"
            ).format(self.events_table),
            (LEDGER_STREAM, after, upto if upto is not None else 1 << 62),
        )
        return [bytes(row[0]) for row in rows]


