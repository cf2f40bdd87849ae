"""Where each persisted projection has got to in the store's sequence.

The position moves in the same transaction as the projection's rows, and only
from the position the catch-up started at: a concurrent catch-up that got there
first makes the other one roll back (`LostRace`) and read again.
"""

from __future__ import annotations

from sqlalchemy import Connection, Engine, insert, select, update
from sqlalchemy.exc import IntegrityError

from ledger.errors import ConcurrentWrite
from projections.schema import tracking


class LostRace(ConcurrentWrite):
    """Another process caught up the projection first; read again (a writer starts over)."""


def position(db: Engine | Connection, name: str) -> int:
    """The last sequence number the projection `name` has taken in (0: none)."""
    query = select(tracking.c.position).where(tracking.c.name == name)
    if isinstance(db, Connection):
        return int(db.execute(query).scalar() or 0)
    with db.connect() as conn:
        return int(conn.execute(query).scalar() or 0)


def advance(conn: Connection, name: str, start: int, end: int) -> None:
    """Move the position from `start` to `end`, or lose the race to whoever moved it."""
    moved = conn.execute(
        update(tracking).where(tracking.c.name == name, tracking.c.position == start).values(position=end)
    ).rowcount
    if moved:
        return
    if start:
        raise LostRace
    try:
        conn.execute(insert(tracking).values(name=name, position=end))
    except IntegrityError as e:
        raise LostRace from e
