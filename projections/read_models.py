"""The persisted read models, declared once: their tables, how they are kept up to date and checked.

Every read model is caught up on the caller's connection: inside the write
transaction of new entries (`project`), so an entry is never committed
without its rows, or in a transaction of its own for a reader that finds
them behind (`catch_up`), e.g. after `rebuild` or on a ledger written by an
earlier version.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import Connection, Engine, Table, delete
from sqlalchemy.exc import DBAPIError

from coopledger.ledger.database import Database
from coopledger.ledger.engine import engine_for
from coopledger.ledger.events import Entry
from coopledger.projections.governance.projector import GovernanceProjector
from coopledger.projections.projector import LostRace, Projector
from coopledger.projections.register import positions as register_positions
from coopledger.projections.register.projector import RegisterProjector
from coopledger.projections.source import EntrySource
from coopledger.projections.tables import metadata, tracking

if TYPE_CHECKING:
    from coopledger.ledger.audit import Finding
    from coopledger.ledger.store import Store

PROJECTORS: tuple[Projector[Any], ...] = (RegisterProjector(), GovernanceProjector())
TABLES: tuple[Table, ...] = tuple(table for p in PROJECTORS for table in p.tables)
# Sums the projectors keep beside their tables, checked against those tables' rows.
SUMMARIES: tuple[Table, ...] = (register_positions.positions,)
ATTEMPTS = 3
# Every table and index of the read models: a ledger holding them all opens without creating any.
RELATIONS: tuple[str, ...] = tuple(
    name
    for table in metadata.sorted_tables
    for name in (table.name, *(index.name for index in table.indexes))
    if name is not None
)


def create_tables(engine: Engine, indexes: bool = True) -> Engine:
    """Create the read-model tables, and with `indexes` their indexes, if missing; returns the engine.

    The indexes one by one: `create_all` makes a table's indexes only with the table, and a
    ledger of an earlier version lacks those added since (`Presence.PRESENT` until made). Not
    on a ledger of an older store format, whose tables may lack an index's columns: `rebuild`
    makes its tables anew."""
    for attempt in range(3):
        try:
            with engine.begin() as conn:
                metadata.create_all(conn)
                for table in metadata.sorted_tables if indexes else ():
                    for index in table.indexes:
                        index.create(conn, checkfirst=True)
            break
        except DBAPIError:
            # Two processes creating the tables at once can clash on the catalog;
            # create_all checks first, so another try finds them there.
            if attempt == 2:
                raise
            time.sleep(0.2 * (attempt + 1))
    return engine


def open_engine(database: Database) -> Engine:
    """An engine on the database, with the read-model tables created (e.g. a fresh replay)."""
    return create_tables(engine_for(database))


def project(conn: Connection, source: EntrySource, recent: Sequence[Entry] = ()) -> int:
    """Catch every read model up on `conn`; returns how many entries the first (the register) took in."""
    counts = [p.catch_up(conn, source, recent) for p in PROJECTORS]
    return counts[0]


def catch_up(engine: Engine, source: EntrySource, recent: Sequence[Entry] = ()) -> int:
    """Catch every read model up in a transaction of its own, retrying a lost race."""
    for attempt in range(ATTEMPTS):
        try:
            with engine.begin() as conn:
                return project(conn, source, recent)
        except LostRace:
            if attempt == ATTEMPTS - 1:
                raise
    return 0


def rebuild(conn: Connection, store: Store, remake: bool = False, page: int | None = None) -> int:
    """Throw every read model's rows away and write them again from the entries, on `conn`,
    subject by subject (`projections/rebuild.py`); the number of entries they took in.

    `remake`: drop the tables and create them again first, for a ledger whose read models an
    older store format laid out otherwise (`Store.upgrading`). `page`: entries decoded at
    once for the assembly rows (`rebuild.PAGE`). The register's positions are summed from its lines
    once they are all in (`register.positions.fill`)."""
    from coopledger.projections.rebuild import PAGE, write_all

    every = [*TABLES, *SUMMARIES, tracking]
    if remake:
        metadata.drop_all(conn, tables=every)
        metadata.create_all(conn, tables=every)
    else:
        for table in every:
            conn.execute(delete(table))
    head = write_all(conn, store, page or PAGE)
    register_positions.fill(conn)
    if head:
        for projector in PROJECTORS:
            projector.advance(conn, 0, head)
    return head


def positions(db: Engine | Connection) -> dict[str, int]:
    """Where each read model has got to in the ledger's sequence."""
    return {p.name: p.position(db) for p in PROJECTORS}


def audit(engine: Engine, source: EntrySource, head: int) -> list[Finding]:
    """Each persisted table against the pure folds of the entries, then each read model's position
    (`projections/audit.py`; `verify` runs the same check inside the ledger's single pass).

    Rows are compared as multisets of every column but the surrogate `id`
    (knowledge intervals included): many small catch-ups must equal one big one.
    """
    from coopledger.projections.audit import check

    return check(cast("Store", source))  # the check reads the store's own tables too
