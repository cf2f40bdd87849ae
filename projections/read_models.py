"""The persisted read models, declared once, and how they are kept up to date.

Every read model is caught up on the caller's connection: inside the write
transaction of new entries (`project`), so an entry is never committed
without its rows, or in a transaction of its own for a reader that finds
them behind (`catch_up`), e.g. after `rebuild` or on a ledger written by an
earlier version.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection, Engine

from ledger.events import Entry
from projections import governance_projector, projector
from projections.source import EntrySource
from projections.tracking import LostRace

PROJECTORS = (projector, governance_projector)
ATTEMPTS = 3


def project(conn: Connection, source: EntrySource, recent: Sequence[Entry] = ()) -> int:
    """Catch every read model up on `conn`; returns how many entries the register took in."""
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


def positions(db: Engine | Connection) -> dict[str, int]:
    """Where each read model has got to in the ledger's sequence."""
    return {p.NAME: p.position(db) for p in PROJECTORS}
