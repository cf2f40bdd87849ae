"""The PostgreSQL recorder of the ledger: eventsourcing's, plus the ledger's index tables."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from typing import Any

import psycopg
from eventsourcing.persistence import IntegrityError, OperationalError, StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder
from psycopg.rows import tuple_row
from psycopg.sql import SQL, Identifier

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


def _answer(curs: Any) -> bool:
    """The one boolean a query answered (rows come as tuples or, on eventsourcing's cursors, dicts)."""
    row = curs.fetchone()
    return bool(row[0] if not isinstance(row, dict) else next(iter(row.values())))


class PostgresLedgerRecorder(PostgresApplicationRecorder, LedgerRecorder):
    """PostgreSQL application recorder with the ledger's index tables."""

    driver_errors = (psycopg.Error,)
    data_errors = (psycopg.DataError,)

    def __init__(self, datastore: Any, **kwargs: Any):
        super().__init__(datastore, **kwargs)
        schema = Identifier(self.datastore.schema)
        self.entries_table = SQL("{0}.coop_entries").format(schema)
        self.subjects_table = SQL("{0}.coop_subjects").format(schema)
        self.identities_table = SQL("{0}.coop_identities").format(schema)
        self.meta_table = SQL("{0}.coop_meta").format(schema)
        self.tree_table = SQL("{0}.coop_tree").format(schema)
        self.checkpoints_table = SQL("{0}.coop_checkpoints").format(schema)
        self.digest_index = SQL("{0}.coop_entries_digest").format(schema)
        self.create_digest_index = SQL(
            "CREATE INDEX IF NOT EXISTS coop_entries_digest ON {0} (digest)"
        ).format(self.entries_table)
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
                # Entries given without id are found again by content (`Ledger._drop_matched`).
                self.create_digest_index,
                SQL(
                    "CREATE TABLE IF NOT EXISTS {0} (subject text NOT NULL, seq bigint NOT NULL, "
                    "PRIMARY KEY (subject, seq))"
                ).format(self.subjects_table),
                SQL(
                    "CREATE TABLE IF NOT EXISTS {0} (commitment text NOT NULL, subject text NOT NULL, "
                    "seq bigint PRIMARY KEY, salt text NOT NULL, fields text NOT NULL)"
                ).format(self.identities_table),
                SQL("CREATE TABLE IF NOT EXISTS {0} (key text PRIMARY KEY, value text NOT NULL)").format(
                    self.meta_table
                ),
                # The Merkle tree's stored subtree hashes (ledger/tree.py) and the checkpoints taken.
                SQL(
                    "CREATE TABLE IF NOT EXISTS {0} (level integer NOT NULL, start bigint NOT NULL, "
                    "hash bytea NOT NULL, PRIMARY KEY (level, start))"
                ).format(self.tree_table),
                SQL(
                    "CREATE TABLE IF NOT EXISTS {0} (id bigserial PRIMARY KEY, taken text NOT NULL, "
                    "size bigint NOT NULL, note text NOT NULL)"
                ).format(self.checkpoints_table),
            ]
        )

    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int] | None:
        """Append a batch in a transaction of its own (the ledger itself uses `write`)."""
        with self.datastore.get_connection() as conn, conn.transaction():
            self.write(conn, event_rows(stored_events), kwargs.get("index", []))
        return None

    def write(
        self,
        connection: psycopg.Connection[Any],
        events: Sequence[EventRow],
        index: Sequence[IndexRow],
        identities: Sequence[IdentityRecord] = (),
        erasures: Sequence[tuple[str, int]] = (),
        tree: Sequence[tuple[int, int, bytes]] = (),
    ) -> None:
        """Append a batch inside the connection's transaction, streamed with COPY.

        eventsourcing's own path sends a batch as one array of composite values
        inside a psycopg pipeline; for a whole journal (tens of thousands of
        events) client and server were seen waiting on each other, and adapting
        the composites costs seconds. We keep its table, its lock (so notification
        ids follow commit order; held until the transaction ends) and its NOTIFY,
        and stream the rows with COPY.
        """
        with connection.cursor() as curs:
            try:
                self._lock_table(curs)
                self._notify_channel(curs)
                stream = LEDGER_STREAM
                self._copy(
                    curs,
                    self.events_table,
                    "originator_id, originator_version, topic, state",
                    ((stream, *event) for event in events),
                )
                self._insert(curs, index, identities, erasures, tree)
            except psycopg.IntegrityError as e:
                raise IntegrityError(e) from e

    def _insert_events(self, curs: Any, stored_events: Sequence[StoredEvent], **kwargs: Any) -> None:
        """The ledger's index rows, in the same transaction as the events."""
        self._insert(curs, **kwargs)

    def _insert(
        self,
        curs: Any,
        index: Sequence[IndexRow] = (),
        identities: Sequence[IdentityRecord] = (),
        erasures: Sequence[tuple[str, int]] = (),
        tree: Sequence[tuple[int, int, bytes]] = (),
    ) -> None:
        # A first import's content digests are indexed once they are all in, as on SQLite.
        first = len(index) >= FIRST_LOAD_ROWS and self._empty(curs, self.entries_table)
        if first:
            curs.execute(SQL("DROP INDEX IF EXISTS {0}").format(self.digest_index))
        self._copy(
            curs,
            self.entries_table,
            "seq, entry_id, recorded, digest, hash",
            ((r.seq, r.entry_id, r.recorded, r.digest, r.hash) for r in index),
        )
        if first:
            curs.execute(self.create_digest_index)
        self._copy(
            curs,
            self.subjects_table,
            "subject, seq",
            ((subject, r.seq) for r in index for subject in r.subjects),
        )
        if identities:
            self._copy(curs, self.identities_table, "commitment, subject, seq, salt, fields", identities)
        for subject, seq in erasures:  # found through the subject index, not by scanning the store
            curs.execute(
                SQL(
                    "DELETE FROM {0} WHERE seq IN (SELECT seq FROM {1} WHERE subject = %s AND seq < %s) "
                    "AND subject = %s"
                ).format(self.identities_table, self.subjects_table),
                (MEMBER + subject, seq, subject),
            )
        if tree:
            self._copy(curs, self.tree_table, "level, start, hash", tree)

    @staticmethod
    def _empty(curs: Any, table: Any) -> bool:
        curs.execute(SQL("SELECT NOT EXISTS (SELECT 1 FROM {0})").format(table))
        return _answer(curs)

    @staticmethod
    def _copy(curs: Any, table: Any, columns: str, rows: Iterable[tuple[Any, ...]]) -> None:
        with curs.copy(SQL("COPY {0} ({1}) FROM STDIN").format(table, SQL(columns))) as copy:
            for row in rows:
                copy.write_row(row)

    def _fetch(self, statement: Any, params: Sequence[Any] = ()) -> list[Any]:
        # Tuples straight from the driver: the datastore's connections make a dict of every row.
        # Results in binary: a state comes as its bytes, not as hex text the server writes and
        # psycopg decodes (a read of every entry took 2.4 times the wall time, 3 times the CPU).
        connection = TRANSACTION.get()
        with ExitStack() as stack:
            if connection is None:
                connection = stack.enter_context(self.datastore.transaction(commit=False)).connection
            with connection.cursor(row_factory=tuple_row) as cursor:
                cursor.execute(statement, params, binary=True)
                rows: list[tuple[Any, ...]] = cursor.fetchall()
                return rows

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

    def digest_seqs(self, digests: Sequence[str]) -> dict[str, list[int]]:
        found: dict[str, list[int]] = {}
        for chunk in chunks(digests, 10_000):
            rows = self._fetch(
                SQL("SELECT digest, seq FROM {0} WHERE digest = ANY(%s) ORDER BY seq").format(
                    self.entries_table
                ),
                (list(chunk),),
            )
            for row in rows:
                found.setdefault(row[0], []).append(row[1])
        return found

    def seq_of(self, entry_id: str) -> int | None:
        rows = self._fetch(
            SQL("SELECT seq FROM {0} WHERE entry_id = %s").format(self.entries_table), (entry_id,)
        )
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

    def states_dated_from(self, day: str, types: Collection[str], limit: int | None = None) -> list[bytes]:
        keys = type_keys(types)
        if not keys:
            return []
        typed = SQL(" OR ").join(SQL("substring(state from 1 for {0}) = %s").format(len(key)) for key in keys)
        rows = self._fetch(
            SQL(
                "SELECT state FROM {0} WHERE originator_id = %s "
                "AND substring(state from position(%s::bytea in state) + %s for 10) >= %s::bytea "
                "AND ({1}) ORDER BY originator_version LIMIT %s"
            ).format(self.events_table, typed),
            (LEDGER_STREAM, DATE_KEY, len(DATE_KEY), day.encode(), *keys, limit),
        )
        return [bytes(row[0]) for row in rows]

    def subjects_named(self, prefix: str) -> set[str]:
        # Byte by byte, as `scan.bytewise`: in a linguistic collation `body:x` may sort after
        # `body;`, and the range would miss it.
        rows = self._fetch(
            SQL(
                'SELECT DISTINCT subject FROM {0} WHERE subject COLLATE "C" >= %s '
                'AND subject COLLATE "C" < %s'
            ).format(self.subjects_table),
            (prefix, after(prefix)),
        )
        return {row[0] for row in rows}

    def erased_subjects(self, subjects: Sequence[str]) -> set[str]:
        rows = self._fetch(
            SQL(
                "SELECT DISTINCT s.subject FROM {0} s JOIN {1} e "
                "ON e.originator_id = %s AND e.originator_version = s.seq "
                "WHERE s.subject = ANY(%s) AND e.topic = %s"
            ).format(self.subjects_table, self.events_table),
            (LEDGER_STREAM, [MEMBER + subject for subject in subjects], ERASURE),
        )
        return {row[0][len(MEMBER) :] for row in rows}

    def states_between(self, after: int, upto: int | None) -> list[bytes]:
        rows = self._fetch(
            SQL(
                "SELECT state FROM {0} WHERE originator_id = %s AND originator_version > %s "
                "AND originator_version <= %s ORDER BY originator_version"
            ).format(self.events_table),
            (LEDGER_STREAM, after, upto if upto is not None else 1 << 62),
        )
        return [bytes(row[0]) for row in rows]

    def index_rows(self) -> list[tuple[int, str, str, str, str]]:
        return self._fetch(
            SQL("SELECT seq, entry_id, recorded, digest, hash FROM {0} ORDER BY seq").format(
                self.entries_table
            )
        )

    def subject_pairs(self) -> set[tuple[str, int]]:
        return set(self._fetch(SQL("SELECT subject, seq FROM {0}").format(self.subjects_table)))

    def format_version(self) -> str | None:
        rows = self._fetch(SQL("SELECT value FROM {0} WHERE key = 'format'").format(self.meta_table))
        return str(rows[0][0]) if rows else None

    def analyze(self) -> None:
        """`ANALYZE` every table of the ledger's schema (its own: the entries, indexes, identity
        store and read models), as PostgreSQL advises after populating a database: without
        statistics the planner guesses, and at 5,000,000 members it guessed a scan of the
        identity store for `member show` (2.5 s instead of milliseconds). Autovacuum would get
        there in time, if it is on; an import should not leave the next command to chance."""
        rows = self._fetch(
            "SELECT quote_ident(schemaname) || '.' || quote_ident(tablename) FROM pg_tables "
            "WHERE schemaname = %s ORDER BY tablename",
            (self.datastore.schema or "public",),
        )
        with self.datastore.transaction(commit=True) as curs:
            curs.execute(SQL("ANALYZE {0}").format(SQL(", ").join(SQL(table) for (table,) in rows)))

    def set_format(self) -> None:
        with self.datastore.transaction(commit=True) as curs:
            curs.execute(
                SQL("INSERT INTO {0} VALUES ('format', %s) ON CONFLICT DO NOTHING").format(self.meta_table),
                (FORMAT,),
            )

    def tree_hash(self, level: int, start: int) -> bytes | None:
        rows = self._fetch(
            SQL("SELECT hash FROM {0} WHERE level = %s AND start = %s").format(self.tree_table),
            (level, start),
        )
        return stored_bytes(rows[0][0]) if rows else None

    def tree_rows(self) -> list[tuple[int, int, bytes]]:
        query = SQL("SELECT level, start, hash FROM {0} ORDER BY level, start").format(self.tree_table)
        rows = self._fetch(query)
        return [(r[0], r[1], stored_bytes(r[2])) for r in rows]

    def replace_tree(self, rows: Sequence[tuple[int, int, bytes]]) -> None:
        with self.datastore.transaction(commit=True) as curs:
            curs.execute(SQL("DELETE FROM {0}").format(self.tree_table))
            self._copy(curs, self.tree_table, "level, start, hash", rows)

    def meta(self, key: str) -> str | None:
        rows = self._fetch(SQL("SELECT value FROM {0} WHERE key = %s").format(self.meta_table), (key,))
        return str(rows[0][0]) if rows else None

    def meta_values(self, prefix: str) -> list[str]:
        rows = self._fetch(SQL("SELECT key, value FROM {0} ORDER BY key").format(self.meta_table))
        return [str(v) for k, v in rows if str(k).startswith(prefix)]

    def set_meta(self, key: str, value: str) -> None:
        with self.datastore.transaction(commit=True) as curs:
            curs.execute(
                SQL("INSERT INTO {0} VALUES (%s, %s) ON CONFLICT DO NOTHING").format(self.meta_table),
                (key, value),
            )

    def add_checkpoint(self, taken: str, size: int, note: str) -> None:
        with self.datastore.transaction(commit=True) as curs:
            curs.execute(
                SQL("INSERT INTO {0} (taken, size, note) VALUES (%s, %s, %s)").format(self.checkpoints_table),
                (taken, size, note),
            )

    def checkpoint_rows(self) -> list[tuple[str, int, str]]:
        return self._fetch(
            SQL("SELECT taken, size, note FROM {0} ORDER BY id").format(self.checkpoints_table)
        )

    def _identity_rows(self, where: Any, params: Sequence[Any]) -> list[IdentityRecord]:
        query = SQL("SELECT commitment, subject, seq, salt, fields FROM {0} ").format(self.identities_table)
        return [IdentityRecord(*row) for row in self._fetch(query + where, params)]

    def identities(self, seqs: Sequence[int] | None) -> dict[int, IdentityRecord]:
        if seqs is None:
            return {r.seq: r for r in self._identity_rows(SQL(""), ())}
        found: dict[int, IdentityRecord] = {}
        for chunk in chunks(list(seqs), 5000):
            found.update((r.seq, r) for r in self._identity_rows(SQL("WHERE seq = ANY(%s)"), (list(chunk),)))
        return found

    def identities_of(self, subject: str) -> list[IdentityRecord]:
        where = SQL("WHERE seq IN (SELECT seq FROM {0} WHERE subject = %s) AND subject = %s ORDER BY seq")
        return self._identity_rows(where.format(self.subjects_table), (MEMBER + subject, subject))


def connect(env: dict[str, str], timeout: int = 5) -> psycopg.Connection[Any]:
    """A plain autocommit connection to the server named by an eventsourcing environment."""
    return psycopg.connect(
        dbname=env["POSTGRES_DBNAME"],
        host=env["POSTGRES_HOST"],
        port=env["POSTGRES_PORT"],
        user=env["POSTGRES_USER"],
        password=env["POSTGRES_PASSWORD"],
        connect_timeout=timeout,
        autocommit=True,
    )


def create_schema(env: dict[str, str]) -> None:
    """Create the ledger's schema if the URL names one (eventsourcing expects it to exist)."""
    with connect(env) as conn:
        conn.execute(SQL("CREATE SCHEMA IF NOT EXISTS {0}").format(Identifier(env["POSTGRES_SCHEMA"])))


def transactions_older_than(env: dict[str, str], moment: dt.datetime) -> list[tuple[int, dt.datetime]]:
    """Other sessions of the database in a transaction begun before `moment` that holds a snapshot
    or has written, oldest first: (server process id, when it began). Until they end, VACUUM
    keeps every row version they may still see, an erased identity's included. Sessions of
    other roles are left out unless this role may read their activity (pg_read_all_stats)."""
    with connect(env) as conn:
        rows = conn.execute(
            "SELECT pid, xact_start FROM pg_catalog.pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid() AND xact_start < %s "
            "AND (backend_xmin IS NOT NULL OR backend_xid IS NOT NULL) ORDER BY xact_start",
            (moment,),
        ).fetchall()
    return [(pid, began) for pid, began in rows]


CREATION_LOCK = 0x636F6F70  # "coop": the advisory lock key held while creating tables


@contextmanager
def creation_lock(env: dict[str, str]) -> Iterator[None]:
    """Serialise creating the schema and tables across processes on one server.

    Concurrent `CREATE ... IF NOT EXISTS` can still clash on PostgreSQL's catalog
    ("tuple concurrently updated"); under this lock the second process finds the
    tables there. An unreachable server is eventsourcing's `OperationalError`.
    """
    try:
        conn = connect(env)
    except psycopg.OperationalError as e:
        raise OperationalError(e) from e
    with conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (CREATION_LOCK,))
        yield
