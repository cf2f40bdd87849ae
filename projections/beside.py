"""`verify`'s second half in a second process: the rules and the read models, on the second core.

The ledger's own checks (chain, indexes, tree, identities) and the second half
(the rules' fold, the read models against the folds; past `IN_MEMORY` entries,
the members' and bodies' read models and the Merkle tree) each read every entry;
they share nothing but the snapshot, so on a long ledger `verify` forks a worker
as soon as its main pass has begun its read transaction. A fork, not a new
interpreter: the worker starts at once with every module imported (a new
interpreter spent about 0.5 s of CPU importing them). It opens its own
connection and takes its own snapshot; the two must see one ledger state, so the
worker compares the ledger's `mark` in both, and if a write landed between them
it reports nothing and the main process runs the second half itself, in its own
snapshot. The worker sends back its findings (pickled, through a pipe); what
`verify` prints is the same either way.

The worker never touches what it inherited (the main process's connections; its
open transaction, which the store's reads would otherwise go through; its output
streams) and ends with `os._exit`, so that nothing of the main process is used,
closed, flushed or finalised twice.
"""

from __future__ import annotations

import os
import pickle
import signal
import traceback
from typing import Any, BinaryIO, NoReturn

from sqlalchemy import Connection

from coopledger.ledger import scan
from coopledger.ledger.audit import ALL, SUBJECTS_PART, Check, Finding, Pass, second_half
from coopledger.ledger.database import Database
from coopledger.ledger.recorders import TRANSACTION
from coopledger.ledger.store import Store
from coopledger.projections.audit import ReadModels

# Entries from which the second half runs in a worker. It costs its own read of the entries
# (about 0.5 s of CPU at 45k, 8 % of the one-process run), which a shorter ledger does not win back.
BESIDE = 20_000


def mark(conn: Connection, store: Store) -> tuple[Any, ...]:
    """What tells two snapshots of one ledger apart: its last stored entry, its last index row,
    and where each read model has got to. Every write that changes what the second half reads
    moves one of them (an erasure comes with its entry; a rebuild writes the same rows again)."""
    events = store.recorder.events_table_name  # type: ignore[attr-defined]
    last = f"SELECT max(originator_version) FROM {events} WHERE originator_id = ?"  # by the key:
    found = [  # without the stream, the last entry was found by a scan of every entry
        *scan.rows(conn, last, scan.stream(conn)),
        *scan.rows(conn, "SELECT seq, hash FROM coop_entries ORDER BY seq DESC LIMIT 1"),
        *scan.rows(conn, "SELECT name, position FROM projection_tracking ORDER BY name"),
    ]
    return tuple(tuple(row) for row in found)


def worthwhile(database: Database, size: int) -> bool:
    """Whether a worker would shorten `verify`: a ledger of `BESIDE` entries or more that another
    process can open (not a private in-memory SQLite one), on a system that forks."""
    private = "mode=memory" in database.eventsourcing_env.get("SQLITE_DBNAME", "")
    return size >= BESIDE and not private and hasattr(os, "fork")


def read_models(shared: Pass) -> list[Check]:
    return [ReadModels(shared)]


class Worker:
    """The worker process, as the main process sees it (`ledger.audit.Beside`)."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self.pid: int | None = None
        self.status: int | None = None  # its exit status, once ended
        self.reader: BinaryIO | None = None

    def start(self, shared: Pass) -> None:
        expected = mark(shared.conn, shared.store)
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(read)
            _work(self.database, expected, shared.limit, write)
        os.close(write)
        self.pid, self.reader = pid, os.fdopen(read, "rb")

    def findings(self) -> list[Finding] | None:
        """The worker's findings; None if its snapshot was another, or it failed (its error
        is on standard error): the main process then runs the second half itself."""
        assert self.reader is not None
        try:
            found: list[Finding] | None = pickle.load(self.reader)
        except EOFError:
            found = None
        self._wait()
        return found

    def close(self) -> None:
        """End the worker if it is still at work (the main pass failed), and wait for it."""
        if self.pid is not None and self.status is None:
            os.kill(self.pid, signal.SIGKILL)
            self._wait()
        if self.reader is not None:
            self.reader.close()

    def _wait(self) -> None:
        if self.pid is not None and self.status is None:
            self.status = os.waitstatus_to_exitcode(os.waitpid(self.pid, 0)[1])


def _work(database: Database, expected: tuple[Any, ...], limit: int, write: int) -> NoReturn:
    """The worker: open the ledger, take a snapshot, check beside the main pass if it is the
    same, write the findings (None if not) to `write`, and end."""
    status = 1
    # Ctrl-C at a terminal reaches the whole process group: the main process says it was
    # interrupted and kills this one (`Worker.close`), which must not print a traceback first.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        TRANSACTION.set(None)  # the main process's open transaction is not the worker's to read
        store = Store(database)
        try:
            with scan.snapshot(store) as conn:
                shared = Pass(conn, store, lambda _: None, limit)
                # as `audit` divides the read models' work on a ledger this long
                shared.part = SUBJECTS_PART if shared.rules_first else ALL
                same = mark(conn, store) == expected
                found = second_half(shared, read_models) if same else None
        finally:
            store.close()
        with os.fdopen(write, "wb") as out:
            pickle.dump(found, out)
        status = 0
    except BaseException:
        os.write(2, traceback.format_exc().encode())
    finally:
        os._exit(status)
