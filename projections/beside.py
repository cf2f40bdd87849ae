"""`verify`'s second half in a second process: the read models, on the second core.

The ledger's own checks (chain, indexes, tree, identities, the rules' fold) and
the second half (the read models against the folds) each read every entry; they
share nothing but the snapshot, so on a long ledger `verify` runs the second
half in a worker process started at once (its start-up overlaps the
catch-up of the read models) and told, once the main pass has begun its read
transaction, to take its own. The two transactions must see one ledger state:
the worker compares the ledger's `mark` in both, and if a write landed between
them it reports nothing and the main process runs the second half itself, in its
own snapshot. The worker sends back its findings (pickled, through its standard
output); what `verify` prints is the same either way.

    python -m coopledger.projections.beside URL   # started by `Worker`, reads its orders on stdin
"""

from __future__ import annotations

import pickle
import subprocess
import sys
from typing import Any

from sqlalchemy import Connection

from coopledger.ledger import scan
from coopledger.ledger.audit import Finding, Pass, second_half
from coopledger.ledger.database import Database, parse_database
from coopledger.ledger.store import Store
from coopledger.projections.audit import ReadModels

# Entries from which the read models are checked in a worker: it costs about 1 s of CPU (its
# start-up, its own read of the entries), which a shorter ledger does not win back.
BESIDE = 100_000


def mark(conn: Connection, store: Store) -> tuple[Any, ...]:
    """What tells two snapshots of one ledger apart: its last stored entry, its last index row,
    and where each read model has got to. Every write that changes what the second half reads
    moves one of them (an erasure comes with its entry; a rebuild writes the same rows again)."""
    events = store.recorder.events_table_name  # type: ignore[attr-defined]
    found = [
        *scan.rows(conn, f"SELECT max(originator_version) FROM {events}"),
        *scan.rows(conn, "SELECT seq, hash FROM coop_entries ORDER BY seq DESC LIMIT 1"),
        *scan.rows(conn, "SELECT name, position FROM projection_tracking ORDER BY name"),
    ]
    return tuple(tuple(row) for row in found)


def worthwhile(database: Database, size: int) -> bool:
    """Whether a worker would shorten `verify`: a ledger of `BESIDE` entries or more that another
    process can open (not a private in-memory SQLite one)."""
    return size >= BESIDE and "mode=memory" not in database.eventsourcing_env.get("SQLITE_DBNAME", "")


class Worker:
    """The worker process, as the main process sees it (`ledger.audit.Beside`)."""

    def __init__(self, database: Database) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "coopledger.projections.beside", database.url],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )

    def start(self, shared: Pass) -> None:
        assert self.process.stdin is not None
        pickle.dump((mark(shared.conn, shared.store), shared.limit), self.process.stdin)
        self.process.stdin.close()

    def findings(self) -> list[Finding] | None:
        """The worker's findings; None if its snapshot was another, or it failed (its error
        is on standard error): the main process then runs the second half itself."""
        assert self.process.stdout is not None
        try:
            found: list[Finding] | None = pickle.load(self.process.stdout)
        except EOFError:
            found = None
        self.process.wait()
        return found

    def close(self) -> None:
        """End the worker if it is still at work (the main pass failed), and wait for it."""
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None and not stream.closed:
                stream.close()


def main() -> None:
    """The worker: open the ledger, wait for the main pass's mark, check beside it."""
    store = Store(parse_database(sys.argv[1]))
    try:
        order = sys.stdin.buffer.read()
        if not order:  # the main process ended without starting its pass
            return
        expected, limit = pickle.loads(order)
        with scan.snapshot(store) as conn:
            shared = Pass(conn, store, lambda _: None, limit)
            same = mark(conn, store) == expected
            found = second_half(shared, lambda shared: [ReadModels(shared)]) if same else None
    finally:
        store.close()
    pickle.dump(found, sys.stdout.buffer)
    sys.stdout.buffer.flush()


if __name__ == "__main__":
    main()
