"""Keep the persisted assemblies and bodies up to date from the store's sequence.

An assembly or statutes entry inserts its row, known from its own sequence number; its
retraction closes that row. A body is refolded at each sequence number that touched it
and only the difference is written, as the register does for a member. Rows and the
tracking position are written on the caller's connection, in its transaction; a
catch-up that lost the race to another process rolls back (`LostRace`). Position 0
means nothing is projected: a catch-up from there clears the tables first, so
`rebuild` resetting the tracking table is enough to rebuild these too.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, Engine, Table, bindparam, delete, select, update

from ledger import events as ev
from projections.governance import MandateSpell, SeatSpell, assembly_row, body_history
from projections.governance_schema import ASSEMBLY_TABLES, TABLES, mandate_spells, seat_spells
from projections.projector import RowChanges, bulk_insert
from projections.source import EntrySource, entries_after
from projections.tracking import advance
from projections.tracking import position as tracking_position

NAME = "governance"


def position(db: Engine | Connection) -> int:
    return tracking_position(db, NAME)


class _AssemblyChanges:
    """Rows of assembly and statutes entries to insert, and rows their retractions close."""

    def __init__(self) -> None:
        self.inserts: dict[Table, list[list[Any]]] = defaultdict(list)
        self.closes: dict[Table, list[dict[str, int]]] = defaultdict(list)
        self.pending: dict[int, list[Any]] = {}  # seq -> a row inserted by this catch-up

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


def catch_up(conn: Connection, source: EntrySource, recent: Sequence[ev.Entry] = ()) -> int:
    """Project every entry recorded since the last catch-up; returns how many.

    `recent` are entries the caller has just recorded, to spare reading them back.
    """
    start = position(conn)
    new = entries_after(source, start, recent)
    if not new:
        return 0
    by_id = {e.id: e for e in new}
    assemblies = _AssemblyChanges()
    touched: dict[str, list[int]] = defaultdict(list)  # body -> seqs that touched it
    targets: dict[int, ev.Entry] = {}  # retraction seq -> the entry it withdraws
    for entry in new:
        seq = entry.seq or 0
        target = entry
        if isinstance(entry, ev.EntryRetracted):
            found = by_id.get(str(entry.entry)) or source.entry_by_id(str(entry.entry))
            if found is None:
                continue
            target = targets[seq] = found
            assemblies.withdraw(target, seq)
        else:
            assemblies.add(entry)
        for body in _bodies(target):
            touched[body].append(seq)
    seats, mandates = _bodies_changes(conn, source, touched, new if start == 0 else None, targets)
    _write(conn, start, new[-1].seq or 0, assemblies, seats, mandates)
    return len(new)


def _bodies(entry: ev.Entry) -> list[str]:
    return [s[len(ev.BODY) :] for s in entry.subjects() if s.startswith(ev.BODY)]


def _bodies_changes(
    conn: Connection,
    source: EntrySource,
    touched: dict[str, list[int]],
    everything: list[ev.Entry] | None,
    targets: dict[int, ev.Entry],
) -> tuple[RowChanges, RowChanges]:
    """Refold each touched body at each sequence number that touched it; keep the differences."""
    incremental = everything is None
    seats = RowChanges(_open_rows(conn, seat_spells, touched, SeatSpell._fields, incremental))
    mandates = RowChanges(_open_rows(conn, mandate_spells, touched, MandateSpell._fields, incremental))
    timelines: dict[str, list[ev.Entry]] = defaultdict(list)
    if everything is not None:  # the first catch-up: one pass over the entries already read
        for entry in everything:
            for body in _bodies(targets.get(entry.seq or 0, entry)):
                timelines[body].append(entry)
    for body, seqs in touched.items():
        timeline = timelines[body] if everything is not None else source.timelines([ev.BODY + body])
        for seq in seqs:
            body_seats, body_mandates = body_history(body, timeline, seq)
            seats.move_to(body, body_seats, seq)
            mandates.move_to(body, body_mandates, seq)
    return seats, mandates


def _open_rows(
    conn: Connection, table: Table, touched: Iterable[str], fields: tuple[str, ...], incremental: bool
) -> dict[str, dict[tuple[Any, ...], int | None]]:
    """The rows currently known for each touched body (none before the first catch-up)."""
    found: dict[str, dict[tuple[Any, ...], int | None]] = defaultdict(dict)
    if not incremental:
        return found
    columns = [table.c[name] for name in fields]
    query = select(table.c.id, *columns).where(table.c.known_to.is_(None), table.c.body.in_(list(touched)))
    for row in conn.execute(query):
        found[row[1]][tuple(row[1:])] = row[0]
    return found


def _write(
    conn: Connection,
    start: int,
    end: int,
    assemblies: _AssemblyChanges,
    seats: RowChanges,
    mandates: RowChanges,
) -> None:
    advance(conn, NAME, start, end)
    if start == 0:
        for table in TABLES:
            conn.execute(delete(table))
    for table, closes in assemblies.closes.items():
        conn.execute(
            update(table)
            .where(table.c.known_from == bindparam("b_entry"), table.c.known_to.is_(None))
            .values(known_to=bindparam("b_known_to")),
            closes,
        )
    for table, changes in ((seat_spells, seats), (mandate_spells, mandates)):
        if changes.closes:
            conn.execute(
                update(table)
                .where(table.c.id == bindparam("b_row"))
                .values(known_to=bindparam("b_known_to")),
                changes.closes,
            )
        if changes.inserts:
            bulk_insert(conn, table, changes.inserts)
    for table, rows in assemblies.inserts.items():
        bulk_insert(conn, table, rows)
