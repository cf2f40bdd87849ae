"""The one shape of a persisted read model's projector, and where each has got to.

A projector has a name (its tracking row), follows some entry types (and the
retractions of such entries) and owns some tables. `catch_up` reads the
entries recorded since its tracking position, works out the row changes, then
moves the position and writes the rows on the caller's connection, in its
transaction: the write transaction of the entries themselves, or a catch-up of
its own. The position moves only from where the catch-up started, so a
concurrent catch-up that got there first makes the other one roll back
(`LostRace`) and read again: a read model never holds the same knowledge twice.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import ClassVar, Generic, TypeVar

from sqlalchemy import Connection, Engine, Table, insert, select, update
from sqlalchemy.exc import IntegrityError

from coopledger.ledger.errors import ConcurrentWrite, ReadModelDamaged
from coopledger.ledger.events import Entry
from coopledger.projections.source import EntrySource, entries_after
from coopledger.projections.tables import tracking

Changes = TypeVar("Changes")


class LostRace(ConcurrentWrite):
    """Another process caught up the projection first; read again (a writer starts over)."""


class Projector(ABC, Generic[Changes]):
    """A persisted read model kept up to date from the store's sequence."""

    name: ClassVar[str]
    follows: ClassVar[tuple[type[Entry], ...]]
    tables: ClassVar[tuple[Table, ...]]

    def position(self, db: Engine | Connection) -> int:
        """The last sequence number this read model has taken in (0: none)."""
        query = select(tracking.c.position).where(tracking.c.name == self.name)
        if isinstance(db, Connection):
            return self._number(db.execute(query).scalar())
        with db.connect() as conn:
            return self._number(conn.execute(query).scalar())

    def _number(self, value: object) -> int:
        """The position as stored: an entry's number, or none (0); anything else was written
        outside coopledger (SQLite keeps a text in an integer column)."""
        if value is None or isinstance(value, int):
            return value or 0
        raise ReadModelDamaged(f"read model {self.name}'s position is {value!r}, not an entry's number")

    def catch_up(self, conn: Connection, source: EntrySource, recent: Sequence[Entry] = ()) -> int:
        """Project every entry recorded since the last catch-up; returns how many.

        `recent` are entries the caller has just recorded, to spare reading them back.
        """
        start = self.position(conn)
        new = entries_after(source, start, recent)
        if not new:
            return 0
        changes = self.changes(conn, source, start, new)
        self.advance(conn, start, new[-1].seq or 0)
        self.write(conn, start, changes)
        return len(new)

    def advance(self, conn: Connection, start: int, end: int) -> None:
        """Move the position from `start` to `end`, or lose the race to whoever moved it."""
        moved = conn.execute(
            update(tracking)
            .where(tracking.c.name == self.name, tracking.c.position == start)
            .values(position=end)
        ).rowcount
        if moved:
            return
        if start:
            raise LostRace
        try:
            conn.execute(insert(tracking).values(name=self.name, position=end))
        except IntegrityError as e:
            raise LostRace from e

    @abstractmethod
    def changes(self, conn: Connection, source: EntrySource, start: int, new: list[Entry]) -> Changes:
        """The row changes the entries recorded after `start` make."""

    @abstractmethod
    def write(self, conn: Connection, start: int, changes: Changes) -> None:
        """Write the row changes (after the position has moved)."""
