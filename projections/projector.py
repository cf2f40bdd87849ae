"""Keep the persisted register up to date from the store's sequence.

`catch_up` reads the entries recorded since the tracking position, refolds
the timeline of every member they touch at each sequence number that touched
them, and writes only the difference: rows that stopped being true get
`known_to`, new rows get `known_from`. Rows and the new tracking position are
written on the caller's connection, in its transaction (the write transaction
of the entries themselves, or a catch-up of its own); a concurrent catch-up
that lost the race rolls back, so the read model never holds the same
knowledge twice.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine, Table, bindparam, select, update

from ledger import events as ev
from projections.register import Movement, Spell, member_history
from projections.schema import movements, spells
from projections.source import EntrySource, entries_after
from projections.tracking import advance
from projections.tracking import position as tracking_position

NAME = "register"
WIDE = 2_000
CHUNK = 500


@dataclass
class RowChanges:
    """Rows to insert and rows to close, for one table."""

    open_rows: dict[str, dict[tuple[Any, ...], int | None]] = field(default_factory=dict)
    inserts: list[list[Any]] = field(default_factory=list)
    pending: dict[tuple[Any, ...], list[Any]] = field(default_factory=dict)
    closes: list[dict[str, Any]] = field(default_factory=list)

    def move_to(self, member: str, rows: Iterable[tuple[Any, ...]], seq: int) -> None:
        """Make `rows` the member's known rows from `seq` on."""
        open_rows = self.open_rows.setdefault(member, {})
        if not open_rows:  # a member new to the read model: everything is an insert
            for row in rows:
                record = [*row, seq, None]
                self.inserts.append(record)
                self.pending[row] = record
                open_rows[row] = None
            return
        wanted = set(rows)
        for row in [r for r in open_rows if r not in wanted]:
            row_id = open_rows.pop(row)
            if row_id is None:
                self.pending.pop(row)[-1] = seq
            else:
                self.closes.append({"b_row": row_id, "b_known_to": seq})
        for row in wanted - open_rows.keys():
            record = [*row, seq, None]
            self.inserts.append(record)
            self.pending[row] = record
            open_rows[row] = None


def position(db: Engine | Connection) -> int:
    return tracking_position(db, NAME)


def catch_up(conn: Connection, source: EntrySource, recent: Sequence[ev.Entry] = ()) -> int:
    """Project every entry recorded since the last catch-up; returns how many.

    `recent` are entries the caller has just recorded, to spare reading them back.
    """
    start = position(conn)
    new = entries_after(source, start, recent)
    if not new:
        return 0
    touched = _members_touched(new, source)
    # From scratch (a rebuild, a fresh replay) every timeline comes from one scan of the
    # entries, independent of the store's subject index; so does a catch-up touching many.
    wide = start == 0 or len(touched) > WIDE
    timelines = _timelines(touched, new if start == 0 else source.entries(), source) if wide else None
    spell_changes = RowChanges(_open_rows(conn, spells, touched, wide, Spell._fields))
    movement_changes = RowChanges(_open_rows(conn, movements, touched, wide, Movement._fields))
    for member, seqs in touched.items():
        timeline = timelines[member] if timelines is not None else source.timelines([ev.MEMBER + member])
        for seq in seqs:
            member_spells, member_movements = member_history(member, timeline, seq)
            spell_changes.move_to(member, member_spells, seq)
            movement_changes.move_to(member, member_movements, seq)
    _write(conn, start, new[-1].seq or 0, spell_changes, movement_changes)
    return len(new)


def _members_touched(new: list[ev.Entry], source: EntrySource) -> dict[str, list[int]]:
    """Member id -> the new sequence numbers that change their register line, ascending.

    Votes and mandates concern members too, but never their line: they are left out.
    """
    touched: dict[str, list[int]] = defaultdict(list)
    by_id = {e.id: e for e in new}
    for entry in new:
        target = entry
        if isinstance(entry, ev.EntryRetracted):
            target = by_id.get(str(entry.entry)) or source.entry_by_id(str(entry.entry)) or entry
        if isinstance(target, ev.MemberEntry):
            for member in target.members():
                touched[member].append(entry.seq or 0)
    return touched


def _timelines(
    touched: dict[str, list[int]], everything: Iterable[ev.Entry], source: EntrySource
) -> dict[str, list[ev.Entry]]:
    """Every member's timeline from one scan of the ledger (cheaper when most are touched)."""
    timelines: dict[str, list[ev.Entry]] = defaultdict(list)
    entries = list(everything)
    by_id = {e.id: e for e in entries}
    for entry in entries:
        target = by_id.get(str(entry.entry), entry) if isinstance(entry, ev.EntryRetracted) else entry
        for member in target.members():
            if member in touched:
                timelines[member].append(entry)
    return timelines


def _open_rows(
    conn: Connection, table: Any, touched: dict[str, list[int]], wide: bool, fields: Sequence[str]
) -> dict[str, dict[tuple[Any, ...], int | None]]:
    """The rows currently known for each touched member, keyed by their values."""
    columns = [table.c[name] for name in fields]
    query = select(table.c.id, *columns).where(table.c.known_to.is_(None))
    found: dict[str, dict[tuple[Any, ...], int | None]] = defaultdict(dict)
    members = sorted(touched)
    batches = [None] if wide else [members[i : i + CHUNK] for i in range(0, len(members), CHUNK)]
    for batch in batches:
        chunk_query = query if batch is None else query.where(table.c.member.in_(batch))
        for row in conn.execute(chunk_query):
            if row[1] in touched:
                found[row[1]][tuple(row[1:])] = row[0]
    return found


def _write(conn: Connection, start: int, end: int, *changes_by_table: RowChanges) -> None:
    advance(conn, NAME, start, end)
    for table, changes in zip((spells, movements), changes_by_table, strict=True):
        if changes.closes:
            conn.execute(
                update(table)
                .where(table.c.id == bindparam("b_row"))
                .values(known_to=bindparam("b_known_to")),
                changes.closes,
            )
        if changes.inserts:
            bulk_insert(conn, table, changes.inserts)


def bulk_insert(conn: Connection, table: Table, rows: list[list[Any]]) -> None:
    """Insert many rows straight through the driver: the hot path of a large import.

    Rows hold the table's columns in order, `id` left out (the database numbers them).
    SQLite takes an executemany; PostgreSQL a COPY, several times faster than inserts.
    """
    names = [column.name for column in table.c if column.name != "id"]
    quoted = ", ".join(f'"{name}"' for name in names)
    if conn.dialect.name == "sqlite":
        sql = f"INSERT INTO {table.name} ({quoted}) VALUES ({', '.join(['?'] * len(names))})"
        conn.exec_driver_sql(sql, [tuple(row) for row in rows])
        return
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    with cursor.copy(f"COPY {table.name} ({quoted}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
