"""What every read model's tables share: the metadata, the knowledge columns, the row helpers.

Rows are never updated except to close them: a row is true as known from
sequence number `known_from` until `known_to` (exclusive; NULL = still known),
so an as-of, known-at query is a plain indexed SELECT and past states of
knowledge stay queryable. A projector computes `RowChanges` per table (rows to
close, rows to insert) and writes them with `write_changes`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    ColumnElement,
    Connection,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    and_,
    bindparam,
    cast,
    func,
    or_,
    select,
    update,
)

from coopledger.ledger.events import Entry

metadata = MetaData()

Money = Numeric(14, 2)
Id = String(200)
CHUNK = 500  # subjects per `IN (...)` when reading open rows
FIRST_LOAD = 1_000  # rows from which a read model built from scratch makes its indexes after them

# A subject's (member's, body's) open rows: their values -> row id (None: inserted by this catch-up).
OpenRows = dict[str, dict[tuple[Any, ...], int | None]]


def cents(amount: Decimal) -> int:
    """An amount in euros as whole cents (amounts have at most two decimals)."""
    return int(amount * 100)


def in_cents(expr: Any) -> Any:
    """A euro amount as whole cents, in SQL: exact on SQLite (REAL) and PostgreSQL alike."""
    return cast(func.round(expr * 100), BigInteger)


def key() -> Column[int]:
    """The surrogate key every read-model row has (left out when rows are compared)."""
    return Column("id", Integer, primary_key=True, autoincrement=True)


def knowledge() -> list[Column[int]]:
    """The knowledge interval of a row, in sequence numbers."""
    return [Column("known_from", BigInteger, nullable=False), Column("known_to", BigInteger)]


tracking = Table(
    "projection_tracking",
    metadata,
    Column("name", String(100), primary_key=True),
    Column("position", BigInteger, nullable=False),
)


def known_at(table: Table, known_seq: int | None) -> ColumnElement[bool]:
    """Rows as the ledger knew them after entry `known_seq` (None: now)."""
    if known_seq is None:
        return table.c.known_to.is_(None)
    return and_(
        table.c.known_from <= known_seq,
        or_(table.c.known_to.is_(None), table.c.known_to > known_seq),
    )


@dataclass
class RowChanges:
    """Rows to insert and rows to close, for one table."""

    open_rows: OpenRows = field(default_factory=dict)
    inserts: list[list[Any]] = field(default_factory=list)
    pending: dict[tuple[Any, ...], list[Any]] = field(default_factory=dict)
    closes: list[dict[str, Any]] = field(default_factory=list)
    closed: list[tuple[Any, ...]] = field(default_factory=list)  # the values of the rows in `closes`

    def move_to(self, subject: str, rows: Iterable[tuple[Any, ...]], seq: int) -> None:
        """Make `rows` the subject's known rows from `seq` on."""
        open_rows = self.open_rows.setdefault(subject, {})
        if not open_rows:  # a subject new to the read model: everything is an insert
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
                self.closed.append(row)
        for row in wanted - open_rows.keys():
            record = [*row, seq, None]
            self.inserts.append(record)
            self.pending[row] = record
            open_rows[row] = None


Rows = Sequence[tuple[Any, ...]]


def refold(
    touched: Mapping[str, list[int]],
    timeline: Callable[[str], Sequence[Entry]],
    fold: Callable[[str, Sequence[Entry], int], tuple[Rows, Rows]],
    changes: tuple[RowChanges, RowChanges],
) -> None:
    """Refold each touched subject's timeline at each sequence number that touched it.

    `fold` gives the rows of two tables (spells and movements, seats and
    mandates) as known at that sequence number; only the differences are kept.
    """
    for subject, seqs in touched.items():
        entries = timeline(subject)
        for seq in seqs:
            first, second = fold(subject, entries, seq)
            changes[0].move_to(subject, first, seq)
            changes[1].move_to(subject, second, seq)


def open_rows(
    conn: Connection, table: Table, touched: Collection[str], fields: Sequence[str], scan: bool
) -> OpenRows:
    """The rows currently known for each touched subject, keyed by their values.

    The subject is the first of `fields`. `scan` reads every open row once
    instead of the touched subjects' (cheaper when most of them are touched).
    """
    columns = [table.c[name] for name in fields]
    query = select(table.c.id, *columns).where(table.c.known_to.is_(None))
    found: OpenRows = defaultdict(dict)
    subjects = sorted(touched)
    batches = [None] if scan else [subjects[i : i + CHUNK] for i in range(0, len(subjects), CHUNK)]
    for batch in batches:
        chunk_query = query if batch is None else query.where(columns[0].in_(batch))
        for row in conn.execute(chunk_query):
            if row[1] in touched:
                found[row[1]][tuple(row[1:])] = row[0]
    return found


def write_changes(conn: Connection, table: Table, changes: RowChanges, first: bool = False) -> None:
    """Close the rows that stopped being true, then insert the new ones (`first`: into a read
    model built from scratch)."""
    if changes.closes:
        conn.execute(
            update(table).where(table.c.id == bindparam("b_row")).values(known_to=bindparam("b_known_to")),
            changes.closes,
        )
    if changes.inserts:
        bulk_insert(conn, table, changes.inserts, first)


def bulk_insert(conn: Connection, table: Table, rows: Sequence[Sequence[Any]], first: bool = False) -> None:
    """Insert many rows straight through the driver: the hot path of a large import.

    Rows hold the table's columns in order, `id` left out (the database numbers them).
    SQLite takes an executemany; PostgreSQL a COPY, several times faster than inserts.
    `first`: the table was empty; many rows then go in before the table's indexes are made.
    """
    with indexes_after(conn, [table] if first and len(rows) >= FIRST_LOAD else []):
        _insert(conn, table, rows)


@contextmanager
def indexes_after(conn: Connection, tables: Sequence[Table]) -> Iterator[None]:
    """Drop the tables' indexes, and make them again once the rows written inside are in: one
    sort each instead of as many inserts in them (PostgreSQL's "Populating a Database")."""
    later = [index for table in tables for index in sorted(table.indexes, key=lambda index: str(index.name))]
    for index in later:
        index.drop(conn)
    yield
    for index in later:
        index.create(conn)


def _insert(conn: Connection, table: Table, rows: Sequence[Sequence[Any]]) -> None:
    names = [column.name for column in table.c if column.name != "id"]
    quoted = ", ".join(f'"{name}"' for name in names)
    driver = conn.connection.driver_connection
    if conn.dialect.name == "sqlite":
        sql = f"INSERT INTO {table.name} ({quoted}) VALUES ({', '.join(['?'] * len(names))})"
        driver.executemany(sql, rows)  # type: ignore[union-attr]  # sqlite3 binds lists as they are
        return
    cursor = driver.cursor()  # type: ignore[union-attr]
    with cursor.copy(f"COPY {table.name} ({quoted}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
