"""Keep the persisted assemblies and bodies up to date from the store's sequence.

An assembly or statutes entry inserts its row, known from its own sequence number; its
retraction closes that row. A body is refolded at each sequence number that touched it
and only the difference is written, as the register does for a member. Position 0
means nothing is projected: a catch-up from there clears the tables first, so
`rebuild` resetting the tracking table is enough to rebuild these too.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, ClassVar

from sqlalchemy import Connection, Table, bindparam, delete, update

from coopledger.ledger import events as ev
from coopledger.ledger.timeline import stands_for, subject_timelines
from coopledger.projections.governance.fold import MandateSpell, SeatSpell, assembly_row, body_history
from coopledger.projections.governance.schema import ASSEMBLY_TABLES, TABLES, mandate_spells, seat_spells
from coopledger.projections.projector import Projector
from coopledger.projections.source import EntrySource, find_in
from coopledger.projections.tables import RowChanges, bulk_insert, open_rows, refold, write_changes


@dataclass
class AssemblyChanges:
    """Rows of assembly and statutes entries to insert, and rows their retractions close."""

    inserts: dict[Table, list[list[Any]]] = field(default_factory=lambda: defaultdict(list))
    closes: dict[Table, list[dict[str, int]]] = field(default_factory=lambda: defaultdict(list))
    pending: dict[int, list[Any]] = field(default_factory=dict)  # seq -> a row inserted by this catch-up

    def add(self, entry: ev.Entry) -> None:
        row = assembly_row(entry)
        if row is not None:
            record = [*row, entry.seq, None]
            self.inserts[ASSEMBLY_TABLES[type(row)]].append(record)
            self.pending[entry.seq or 0] = record

    def withdraw(self, target: ev.Entry, seq: int) -> None:
        row = assembly_row(target)
        if row is None:
            return
        if (target.seq or 0) in self.pending:
            self.pending[target.seq or 0][-1] = seq
        else:
            self.closes[ASSEMBLY_TABLES[type(row)]].append({"b_entry": target.seq or 0, "b_known_to": seq})

    def see(self, entry: ev.Entry, target: ev.Entry) -> None:
        """An entry the governance read model follows, or its retraction (`target`: what it stands for)."""
        if isinstance(entry, ev.EntryRetracted):
            self.withdraw(target, entry.seq or 0)
        else:
            self.add(entry)

    def write(self, conn: Connection, first: bool = False) -> None:
        """Close the rows the retractions withdrew, then insert the new rows."""
        for table, closes in self.closes.items():
            conn.execute(
                update(table)
                .where(table.c.known_from == bindparam("b_entry"), table.c.known_to.is_(None))
                .values(known_to=bindparam("b_known_to")),
                closes,
            )
        for table, rows in self.inserts.items():
            bulk_insert(conn, table, rows, first)


FOLLOWS: tuple[type[ev.Entry], ...] = (ev.AssemblyEntry, ev.StatutesAmended, ev.BodyEntry)


def followed(
    entries: Iterable[ev.Entry], find: Callable[[str], ev.Entry | None]
) -> Iterator[tuple[ev.Entry, ev.Entry]]:
    """The entries the governance read model follows, or that retract one: (entry, what it stands for)."""
    for entry in entries:
        target = stands_for(entry, find)
        if isinstance(target, FOLLOWS):
            yield entry, target


@dataclass
class GovernanceChanges:
    assemblies: AssemblyChanges
    seats: RowChanges
    mandates: RowChanges


class GovernanceProjector(Projector[GovernanceChanges]):
    """Assemblies (one row per entry) and bodies (seats and mandates folded over time)."""

    name: ClassVar[str] = "governance"
    follows: ClassVar[tuple[type[ev.Entry], ...]] = FOLLOWS
    tables: ClassVar[tuple[Table, ...]] = TABLES

    def changes(
        self, conn: Connection, source: EntrySource, start: int, new: list[ev.Entry]
    ) -> GovernanceChanges:
        find = find_in(new, source)
        assemblies = AssemblyChanges()
        touched: dict[str, list[int]] = defaultdict(list)  # body -> seqs that touched it
        for entry, target in followed(new, find):
            assemblies.see(entry, target)
            if isinstance(target, ev.BodyEntry):
                touched[target.body].append(entry.seq or 0)
        seats, mandates = self.bodies_changes(conn, source, touched, new if start == 0 else None)
        return GovernanceChanges(assemblies, seats, mandates)

    def bodies_changes(
        self,
        conn: Connection,
        source: EntrySource,
        touched: dict[str, list[int]],
        everything: list[ev.Entry] | None,
    ) -> tuple[RowChanges, RowChanges]:
        """Refold each touched body at each sequence number that touched it; keep the differences."""
        # The first catch-up: nothing is open yet, and one pass over the entries already read.
        timelines = subject_timelines(everything, ev.BODY) if everything is not None else None
        seats, mandates = RowChanges(), RowChanges()
        if timelines is None:
            seats = RowChanges(open_rows(conn, seat_spells, touched, SeatSpell._fields, scan=False))
            mandates = RowChanges(open_rows(conn, mandate_spells, touched, MandateSpell._fields, scan=False))
        if timelines is not None:
            refold(touched, timelines.__getitem__, body_history, (seats, mandates))
        else:
            refold(touched, lambda body: source.timelines([ev.BODY + body]), body_history, (seats, mandates))
        return seats, mandates

    def write(self, conn: Connection, start: int, changes: GovernanceChanges) -> None:
        if start == 0:
            for table in TABLES:
                conn.execute(delete(table))
        write_changes(conn, seat_spells, changes.seats, first=start == 0)
        write_changes(conn, mandate_spells, changes.mandates, first=start == 0)
        changes.assemblies.write(conn, first=start == 0)
