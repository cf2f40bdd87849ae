"""The event store: eventsourcing's recorders holding the ledger's entries.

Every entry is one stored event (topic: its journal type; state: its canonical
msgspec bytes) in a single stream whose version is the entry's sequence
number. `transaction` opens the one write transaction: `append` writes a
batch in it, the caller writes the read models in it too, and everything
commits together or not at all, so an entry is never recorded without its
read-model rows. A clash with another writer surfaces as `ConcurrentWrite`
(`Clash`, a row already there), and the caller re-validates against the new head.
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
import time
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from contextvars import ContextVar
from functools import cached_property, partial
from typing import TypeVar
from urllib.parse import unquote

from eventsourcing.persistence import (
    InfrastructureFactory,
    IntegrityError,
    InterfaceError,
    OperationalError,
    PersistenceError,
)
from eventsourcing.utils import Environment
from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DataError, DBAPIError, StatementError

from coopledger.ledger import tree
from coopledger.ledger.database import Database
from coopledger.ledger.engine import engine_for
from coopledger.ledger.errors import (
    Clash,
    CommitUncertain,
    StoreError,
    StoreFailed,
    UnstorableValue,
    WriteFailed,
)
from coopledger.ledger.events import Entry, decode, encode
from coopledger.ledger.identity import IdentityRecord
from coopledger.ledger.prefetch import prefetched
from coopledger.ledger.provenance import Chained
from coopledger.ledger.recorders import (
    FORMAT,
    LAST_FORMAT_1,
    READ_MODELS_ONLY,
    TRANSACTION,
    HeadRow,
    IndexRow,
    KnownEntry,
    LedgerRecorder,
)
from coopledger.ledger.timeline import joins

PAGE = 20_000
# A write of at least this many entries, and a tenth of the ledger or more, refreshes the
# planner's statistics once committed (`analyze`): a large first import or file. Below it a
# plan guessed without statistics costs milliseconds, and ANALYZE itself about 1 s (on the
# 45k bench journal: a sixth of its import).
ANALYZE_AFTER = 100_000
T = TypeVar("T")
# The store whose write transaction is open in this context, and its connection (`transaction`).
_WRITING: ContextVar[tuple[Store, Connection] | None] = ContextVar("coopledger_writing", default=None)


class Store:
    """Append and read ledger entries; translate storage faults to `StoreError`."""

    def __init__(self, database: Database, upgrade: bool = False, ready: bool = False):
        """`upgrade`: open a ledger whose entries this version reads but whose read models it
        does not (`READ_MODELS_ONLY`), for `rebuild` to rebuild them (`upgrading` says so).
        `ready`: every table is known to be there (`Presence.READY`): create nothing."""
        self.database = database
        self.ready = ready
        self.upgrading: str | None = None  # the older store format of a ledger opened to upgrade
        env = Environment(
            name="coopledger", env={**database.eventsourcing_env, "CREATE_TABLE": "no" if ready else "yes"}
        )
        _owner_only(database)
        for attempt in range(3):
            try:
                with self.creating():
                    if database.schema and not ready:
                        from coopledger.ledger.postgres_recorder import create_schema

                        create_schema(database.eventsourcing_env)
                    self.factory = InfrastructureFactory.construct(env)
                    recorder = self.factory.application_recorder()
                break
            except (OperationalError, InterfaceError, OSError) as e:
                # The server is unreachable or the file cannot be opened: say so at once.
                raise StoreError(f"cannot open the store at {database.url}: {e}") from e
            except Exception as e:  # psycopg, sqlite3 and eventsourcing errors alike
                # Two processes creating the tables at once can clash on PostgreSQL's
                # catalog; everything is "IF NOT EXISTS", so the second try succeeds.
                if attempt == 2:
                    raise StoreError(f"cannot open the store at {database.url}: {e}") from e
                time.sleep(0.2 * (attempt + 1))
        assert isinstance(recorder, LedgerRecorder)
        self.recorder = recorder
        self._appended = 0  # entries appended by the open write transaction
        self._check_format(upgrade)
        self._ensure_tree()

    def _ensure_tree(self) -> None:
        """A ledger written before the Merkle tree existed gets it now, in one transaction, once
        however many processes open it at the same moment (`tree.ensure`)."""
        tree.ensure(self)

    def build_tree(self) -> int:
        """Recompute the stored Merkle tree from the entries; the number of rows written."""
        return tree.build(self) or 0

    def _check_format(self, upgrade: bool) -> None:
        """Refuse a ledger of another store format; mark a new one with this version's."""
        version = self._guard(self.recorder.format_version)
        if version is None and self.head() is None:
            self._guard(self.recorder.set_format)
            version = self._guard(self.recorder.format_version)
        if version == FORMAT:
            return
        if version in READ_MODELS_ONLY:
            if upgrade:
                self.upgrading = version
                return
            raise StoreError(
                f"the ledger at {self.database.url} is of store format {version}: this version reads "
                f"its entries as they are, but not its read models. To migrate, run `coopledger --db "
                f"{self.database.url} rebuild` once: it rebuilds the read models and marks the ledger "
                f'format {FORMAT} (see docs/user-guide.md, "Store format")'
            )
        if version is None:
            raise StoreError(
                f"the ledger at {self.database.url} is of store format 1 (personal data inside the "
                f"entries), which this version of coopledger no longer reads. To migrate: with "
                f"coopledger at commit {LAST_FORMAT_1} or earlier, `coopledger export old.jsonl`; then with "
                f"this version, `coopledger --db NEW init` and `coopledger --db NEW import old.jsonl` "
                '(see docs/user-guide.md, "Store format")'
            )
        raise StoreError(
            f"the ledger at {self.database.url} is of store format {version}, written by a newer "
            f"coopledger; this version reads format {FORMAT}"
        )

    def mark_format(self, conn: Connection) -> None:
        """Mark an upgraded ledger with this version's store format, on the connection of the
        write transaction that rebuilt its read models: both commit, or neither does."""
        conn.execute(text("UPDATE coop_meta SET value = :format WHERE key = 'format'"), {"format": FORMAT})
        self.upgrading = None

    def creating(self) -> AbstractContextManager[None]:
        """Hold while creating tables: one process at a time on a PostgreSQL server (nothing to
        hold on a ledger opened `ready`)."""
        if self.database.backend != "postgresql" or self.ready:
            return nullcontext()
        from coopledger.ledger.postgres_recorder import creation_lock

        return creation_lock(self.database.eventsourcing_env)

    def close(self) -> None:
        self.factory.close()
        if "engine" in self.__dict__:
            self.engine.dispose()

    @cached_property
    def engine(self) -> Engine:
        """The SQLAlchemy engine of the write transaction and the read models."""
        return engine_for(self.database)

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """One transaction for entries and read models: all of it commits, or none of it.

        Opened again inside itself (a long file recorded part by part), it is the same
        transaction: the inner writes commit with the outer, or roll back with it.

        Store reads inside go through it (they see what it has written so far). A fault
        of a value or of the infrastructure rolls everything back and is raised as
        `UnstorableValue` or `WriteFailed`; a failed commit as `CommitUncertain`.
        """
        writing = _WRITING.get()
        if writing is not None and writing[0] is self:  # a part of a longer write: it commits the whole
            yield writing[1]
            return
        errors: tuple[type[BaseException], ...] = (
            DBAPIError,
            StatementError,
            OverflowError,
            *self.recorder.driver_errors,
        )
        self._appended = 0
        with self.engine.connect() as conn:
            try:
                conn.begin()
                token = TRANSACTION.set(conn.connection.driver_connection)
                own = _WRITING.set((self, conn))
                try:
                    yield conn
                finally:
                    _WRITING.reset(own)
                    TRANSACTION.reset(token)
            except errors as e:
                conn.rollback()
                cause = getattr(e, "orig", None) or e
                if isinstance(cause, (DataError, OverflowError, *self.recorder.data_errors)):
                    raise UnstorableValue(f"a value does not fit the database ({_first_line(e)})") from e
                raise WriteFailed(_first_line(e)) from e
            try:
                conn.commit()
            except errors as e:
                raise CommitUncertain(_first_line(e)) from e
        if self._appended >= ANALYZE_AFTER and self._appended * 10 >= getattr(self.head(), "seq", 0):
            self.analyze()

    def analyze(self) -> None:
        """Refresh the query planner's statistics after a large write (on PostgreSQL; SQLite's
        queries fix their own plans)."""
        self._guard(self.recorder.analyze)

    def head(self) -> HeadRow | None:
        """The last recorded entry's sequence, recorded time and hash."""
        return self._guard(self.recorder.head)

    def known_ids(self, entry_ids: Sequence[str]) -> dict[str, KnownEntry]:
        return self._guard(lambda: self.recorder.known_ids(entry_ids)) if entry_ids else {}

    def digest_seqs(self, digests: Sequence[str]) -> dict[str, list[int]]:
        """The recorded entries with each of these content digests (sequence numbers, in order)."""
        return self._guard(lambda: self.recorder.digest_seqs(digests)) if digests else {}

    def seq_of(self, entry_id: str) -> int | None:
        return self._guard(lambda: self.recorder.seq_of(entry_id))

    def seq_known_at(self, recorded: str) -> int:
        """The last sequence number recorded at or before a UTC timestamp."""
        return self._guard(lambda: self.recorder.seq_known_at(recorded))

    def timelines(self, subjects: Sequence[str], upto: int | None = None) -> list[Entry]:
        """Every entry belonging to any of the subjects, in sequence order."""
        states = self._guard(lambda: self.recorder.states_for_subjects(subjects, upto))
        return [decode(state) for state in states]

    def subjects_dated_from(
        self, day: dt.date, types: Collection[str], most: int | None = None
    ) -> set[str] | None:
        """The subjects of every recorded entry of the given `types` (journal names) dated on or
        after `day`: what a statutes amendment from `day` on can change the checks of. None if
        there are more than `most` such entries (the amendment is checked on the whole ledger)."""
        limit = None if most is None else most + 1
        states = self._guard(lambda: self.recorder.states_dated_from(day.isoformat(), types, limit))
        if most is not None and len(states) > most:
            return None
        return {subject for state in states for subject in joins(decode(state), self.entry_by_id)}

    def subjects_named(self, prefix: str) -> set[str]:
        """Every subject of the index that starts with `prefix` (`body:`: every body)."""
        return self._guard(lambda: self.recorder.subjects_named(prefix))

    def entries(self, after: int = 0, upto: int | None = None) -> Iterator[Entry]:
        """Every entry after a sequence number, in sequence order, page by page."""
        return (decode(state) for state in self.states(after, upto))

    def states(self, after: int = 0, upto: int | None = None) -> Iterator[bytes]:
        """The stored bytes of every entry after a sequence number, exactly as stored (on
        PostgreSQL the next page read while this one is worked on: `prefetch`)."""
        pages = self._state_pages(after, upto)
        if self.database.backend == "postgresql":
            return prefetched(pages, PAGE)
        return itertools.chain.from_iterable(pages)

    def _state_pages(self, after: int, upto: int | None) -> Iterator[list[bytes]]:
        while True:
            stop = after + PAGE if upto is None else min(after + PAGE, upto)
            states = self._guard(partial(self.recorder.states_between, after, stop))
            yield states
            if not states or (upto is not None and stop >= upto):
                return
            after = stop

    def entry(self, seq: int) -> Entry | None:
        """The entry with this sequence number, if any."""
        return next(self.entries(seq - 1, seq), None)

    def index_rows(self) -> list[tuple[int, str, str, str, str]]:
        """The entry index (seq, id, recorded, digest, hash), as stored, for audits."""
        return self._guard(self.recorder.index_rows)

    def subject_pairs(self) -> set[tuple[str, int]]:
        """The subject index (subject, seq), as stored, for audits."""
        return self._guard(self.recorder.subject_pairs)

    def tree_hash(self, level: int, start: int) -> bytes | None:
        """The stored hash of a perfect subtree of the Merkle tree (level >= tree.STORED_LEVEL)."""
        return self._guard(lambda: self.recorder.tree_hash(level, start))

    def tree_rows(self) -> list[tuple[int, int, bytes]]:
        """The stored subtree hashes (level, start, hash), for audits."""
        return self._guard(self.recorder.tree_rows)

    def meta(self, key: str) -> str | None:
        return self._guard(lambda: self.recorder.meta(key))

    def set_meta(self, key: str, value: str) -> str:
        """Write a coop_meta value unless one is there; the value now stored."""
        self._guard(lambda: self.recorder.set_meta(key, value))
        return self.meta(key) or value

    def meta_values(self, prefix: str) -> list[str]:
        """The coop_meta values whose keys start with `prefix`, by key."""
        return self._guard(lambda: self.recorder.meta_values(prefix))

    def states_of(self, subjects: Sequence[str]) -> list[bytes]:
        """The stored bytes of every entry belonging to any of the subjects, in sequence order."""
        return self._guard(lambda: self.recorder.states_for_subjects(subjects, None))

    def add_checkpoint(self, taken: str, size: int, note: str) -> None:
        self._guard(lambda: self.recorder.add_checkpoint(taken, size, note))

    def checkpoint_rows(self) -> list[tuple[str, int, str]]:
        """The checkpoints taken: (recorded time, tree size, signed note), oldest first."""
        return self._guard(self.recorder.checkpoint_rows)

    def entry_by_id(self, entry_id: str) -> Entry | None:
        """The entry with this id, if any."""
        seq = self.seq_of(entry_id)
        return self.entry(seq) if seq is not None else None

    def identities(self, seqs: Sequence[int] | None = None) -> dict[int, IdentityRecord]:
        """The identity records written with the entries of these sequence numbers (all of them
        if None), by sequence number: the read models name a value's record so."""
        if seqs is not None and not seqs:
            return {}
        return self._guard(lambda: self.recorder.identities(seqs))

    def identities_of(self, subject: str) -> list[IdentityRecord]:
        """Every identity record held about one member or person."""
        return self._guard(lambda: self.recorder.identities_of(subject))

    def erased_subjects(self, subjects: Sequence[str]) -> set[str]:
        """Those of these member or person ids whose identity an erasure erased (views then show
        `[erased]` where no value is held; otherwise `[not held]`)."""
        return self._guard(lambda: self.recorder.erased_subjects(subjects)) if subjects else set()

    def checkpoint(self) -> bool:
        """After an erasure on SQLite: copy the write-ahead log into the file and empty it, so
        that no erased byte stays in the log. False if a reader kept it from finishing."""
        if self.database.connect is None:
            return True
        connection = self.database.connect()
        try:
            busy = connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        finally:
            connection.close()
        return busy is None or busy[0] == 0

    def append(
        self,
        conn: Connection,
        entries: Sequence[Entry] | Chained,
        index: Sequence[IndexRow],
        identities: Sequence[IdentityRecord] = (),
        erasures: Sequence[tuple[str, int]] = (),
    ) -> None:
        """Write a batch in the transaction `conn`; `Clash` if a row is already there.

        The entries come chained (`provenance.chain`: with their stored bytes and leaf
        hashes, so nothing is encoded twice) or as entries, encoded here. With them: their
        identity records, and the erasures (subject, seq) they record (the subject's identity
        records before seq are deleted).
        """
        if isinstance(entries, Chained):
            states, leaf_hashes = entries.states, entries.leaves
            entries = entries.entries
        else:
            states = [encode(entry) for entry in entries]
            leaf_hashes = tree.leaves(states)
        if not entries:
            return
        events = [(entry.seq or 0, entry.type, state) for entry, state in zip(entries, states, strict=True)]
        subtrees = tree.extended(self, entries[0].seq or 0, leaf_hashes)
        try:
            self.recorder.write(
                conn.connection.driver_connection, events, index, identities, erasures, subtrees
            )
        except IntegrityError as e:
            raise Clash(str(e)) from e
        self._appended += len(entries)

    def _guard(self, read: Callable[[], T]) -> T:
        try:
            return read()
        except (PersistenceError, *self.recorder.driver_errors) as e:  # type: ignore[misc]
            raise StoreFailed(_first_line(e)) from e


def _owner_only(database: Database) -> None:
    """A new SQLite file is made readable and writable by its owner only (0600): it holds
    personal data. SQLite gives its -wal and -shm files the database file's permissions."""
    uri = database.eventsourcing_env.get("SQLITE_DBNAME", "")
    if database.backend != "sqlite" or "mode=memory" in uri:
        return
    path = unquote(uri.removeprefix("file:"))
    try:
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    except FileExistsError:
        pass
    except OSError:
        pass  # opening it will say what is wrong


def _first_line(error: BaseException) -> str:
    """A driver's message without SQLAlchemy's statement dump and background link."""
    cause = getattr(error, "orig", None) or error
    return (str(cause).strip().splitlines() or [type(cause).__name__])[0]
