"""The auditor's streamed reads: each of the ledger's tables in one stated order, a page at a time.

`verify` reads every table once, in key order, beside the entries in sequence
order, and compares as it goes (merge joins), so it holds a page of rows, never
a table: a ledger of millions of entries is checked in bounded memory. Rows come
through a server-side cursor on PostgreSQL and SQLite's own lazy cursor.

Everything is read in one transaction (`snapshot`): a repeatable read on
PostgreSQL, one read transaction on SQLite, so an append committed meanwhile is
seen whole or not at all. The store's own reads made inside (`Store.states`,
`Store.entry_by_id`) go through the same connection.

Text keys are ordered byte by byte (PostgreSQL's "C" collation, SQLite's
default), which is the order of Python's `str` comparison, so a merge join in
Python sees them in the order the database gives them.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import partial
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import msgspec
from sqlalchemy import ColumnElement, Connection, Date, Numeric, Select, Table
from sqlalchemy.types import NullType, TypeEngine

from coopledger.ledger.errors import ReadModelDamaged
from coopledger.ledger.events import Entry, decode
from coopledger.ledger.prefetch import prefetched
from coopledger.ledger.recorders import LEDGER_STREAM, TRANSACTION, after, stored_bytes

if TYPE_CHECKING:
    from coopledger.ledger.store import Store

PAGE = 5_000  # rows fetched at a time from a server-side cursor
MEMO = 100_000  # typed values remembered per column of `pages`
_cursors = itertools.count(1)
T = TypeVar("T")
Row = tuple[Any, ...]
# What SQLAlchemy's result processors raise on a value not of their column's type.
MISTYPED = (TypeError, ValueError, ArithmeticError)


@contextmanager
def snapshot(store: Store) -> Iterator[Connection]:
    """One read transaction on the store's database; store reads inside go through it."""
    with store.engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn.execution_options(isolation_level="REPEATABLE READ")
            conn.exec_driver_sql("SELECT 1")  # begins it: one snapshot for every statement after
        else:
            conn.exec_driver_sql("BEGIN")  # pysqlite opens no transaction for a SELECT by itself
        token = TRANSACTION.set(conn.connection.driver_connection)
        try:
            yield conn
        finally:
            TRANSACTION.reset(token)
            conn.rollback()


def bytewise(conn: Connection, column: str) -> str:
    """A text column compared byte by byte, as Python compares `str`."""
    return f'{column} COLLATE "C"' if conn.dialect.name == "postgresql" else column


def stream(conn: Connection) -> Any:
    """The ledger's stream id as its events table holds it (a UUID on PostgreSQL, hex on SQLite)."""
    return LEDGER_STREAM if conn.dialect.name == "postgresql" else LEDGER_STREAM.hex


def rows(conn: Connection, sql: str, *params: Any) -> Iterator[tuple[Any, ...]]:
    """The rows of a query (`?` for each parameter), streamed straight from the driver: a
    server-side cursor on PostgreSQL, SQLite's lazy cursor (no SQLAlchemy row per row)."""
    return _fetched(conn, sql.replace("?", "%s") if conn.dialect.name == "postgresql" else sql, params)


def _fetched(conn: Connection, sql: str, params: Sequence[Any] | Mapping[str, Any]) -> Iterator[Row]:
    """A query in the driver's own parameter style, its rows streamed (`rows`)."""
    driver = conn.connection.driver_connection
    if conn.dialect.name != "postgresql":
        yield from driver.execute(sql, params)  # type: ignore[union-attr]
        return
    cursor = driver.cursor(name=f"coop_scan_{next(_cursors)}")  # type: ignore[union-attr]
    try:
        cursor.execute(sql, params, binary=True)  # bytes as bytes, not hex
        # A page at a time (iterating the cursor itself costs psycopg's bookkeeping on every
        # row: a third of a scan), the next one fetched while this one is worked on.
        yield from prefetched(iter(partial(cursor.fetchmany, PAGE), []), PAGE)
    finally:
        cursor.close()


def table_rows(conn: Connection, table: Table, order: str, raw: bool = False) -> Iterator[tuple[Any, ...]]:
    """Every row of a read-model table but its surrogate `id`, typed as SQLAlchemy reads them
    (`typing`; `raw`: as the driver gives them), ordered by `order` (SQL; a text column through
    `bytewise`) and streamed."""
    names = ", ".join(f'"{column.name}"' for column in table.c if column.name != "id")
    found = rows(conn, f"SELECT {names} FROM {table.name} ORDER BY {order}")
    typed = None if raw else typing(conn, table)
    return found if typed is None else map(typed, found)


def typing(conn: Connection, table: Table) -> Callable[[tuple[Any, ...]], tuple[Any, ...]] | None:
    """What types a row of `table_rows` as SQLAlchemy reads it; None if the driver's values are
    typed already.

    psycopg gives dates, decimals and booleans as Python's; SQLite's values go through
    SQLAlchemy's own result processors of the column types (ISO text to dates, numbers to
    two-decimal `Decimal`s, integers to booleans). For `verify`, which reads rows so, a value
    stays as stored unless typing it is exact (`_Exact`).
    """
    dialect = conn.dialect
    columns = [column.type.dialect_impl(dialect) for column in table.c if column.name != "id"]
    typed = [
        (i, _Exact(process, columns[i].bind_processor(dialect))) for i, process in _processors(conn, columns)
    ]
    if not typed:
        return None

    def row_typed(row: tuple[Any, ...]) -> tuple[Any, ...]:
        values = list(row)
        for i, exact in typed:
            value = values[i]
            values[i] = exact[type(value), value]
        return tuple(values)

    return row_typed


class _Exact(dict[tuple[type, Any], Any]):
    """A stored value as its column's processor types it, if that is exactly what is stored,
    else as stored: a text edited into an amount (which the processor cannot read), 100.001
    (which it rounds to 100.00), 'maybe' in a boolean (which it reads as true). So `verify`
    names such a value as one that differs, where the typed one would pass or fail. Typed
    once per distinct value and type (1, 1.0 and True are one key to a dict), the first `MEMO`."""

    def __init__(self, process: Callable[[Any], Any], back: Callable[[Any], Any] | None) -> None:
        super().__init__()
        self.process, self.back = process, back

    def __missing__(self, key: tuple[type, Any]) -> Any:
        value = key[1]
        try:
            typed = self.process(value)
        except MISTYPED:
            typed = value
        else:
            if self.back is not None and self.back(typed) != value:
                typed = value
        if len(self) < MEMO:
            self[key] = typed
        return typed


def page_typing(conn: Connection, columns: Sequence[ColumnElement[Any]]) -> Callable[[list[Row]], list[Row]]:
    """What types a page of rows of these columns, as SQLAlchemy reads them (`typing`), a column
    at a time: each processor mapped over its column, in C, not called row by row (a register
    of 450,000 lines took 2.0 s through SQLAlchemy's rows, 0.9 s so). A value no processor can
    read is a damaged store (`unreadable`)."""
    types = [column.type for column in columns]
    typed = [
        (i, _Memo(process).__getitem__ if isinstance(types[i], Date | Numeric) else process)
        for i, process in _processors(conn, types)
    ]

    def page_typed(page: list[Row]) -> list[Row]:
        if not typed or not page:
            return page
        values: list[Iterable[Any]] = list(zip(*page, strict=True))
        for i, process in typed:
            try:
                values[i] = list(map(process, values[i]))
            except MISTYPED as e:
                raise unreadable(columns[i], process, values[i]) from e
        return list(zip(*values, strict=True))

    return page_typed


def unreadable(
    column: ColumnElement[Any], process: Callable[[Any], Any], values: Iterable[Any]
) -> ReadModelDamaged:
    """The first of a column's values its processor cannot read, named with its table and column."""
    return _mistyped(column, next(value for value in values if _fails(process, value)))


def of_their_types(conn: Connection, columns: Sequence[ColumnElement[Any]], rows: Sequence[Row]) -> None:
    """Raise `ReadModelDamaged` for the first value of these rows that is not of its column's
    Python type, as SQLAlchemy read it: on SQLite, which keeps what it is given, a text where a
    number or a date goes, or bytes for a text, written outside coopledger (PostgreSQL refuses
    them). A column at a time, the values' types gathered in C."""
    if conn.dialect.name != "sqlite" or not rows:
        return
    for i, column in enumerate(columns):
        if isinstance(column.type, NullType):  # an expression of no declared type: not the read model's
            continue
        kind = column.type.python_type
        values = [row[i] for row in rows]
        if set(map(type, values)) - {kind, type(None)}:
            raise _mistyped(column, next(v for v in values if v is not None and type(v) is not kind))


def _mistyped(column: ColumnElement[Any], value: Any) -> ReadModelDamaged:
    """A read model's value not of its column's type, named with its table and column."""
    table = getattr(getattr(column, "table", None), "name", None)
    name = f"{table}.{column.name}" if table else str(column.name)
    return ReadModelDamaged(f"the read model's {name} holds {value!r}, not of its type {column.type}")


def _fails(process: Callable[[Any], Any], value: Any) -> bool:
    try:
        process(value)
    except MISTYPED:
        return True
    return False


class _Memo(dict[Any, Any]):
    """A processor's results by the value it is given, the first `MEMO` of them: dates and
    amounts repeat (a register's 450,000 lines hold a few thousand of each), and a `Decimal`
    made once is shared (it cannot change). 0.32 s of a 450,000-line page's typing, 0.03 s so."""

    def __init__(self, process: Callable[[Any], Any]) -> None:
        super().__init__()
        self.process = process

    def __missing__(self, value: Any) -> Any:
        typed = self.process(value)
        if len(self) < MEMO:
            self[value] = typed
        return typed


def _processors(conn: Connection, types: Sequence[TypeEngine[Any]]) -> list[tuple[int, Callable[[Any], Any]]]:
    """The result processors SQLAlchemy applies to columns of these types on SQLite (none on
    PostgreSQL, whose driver types the values itself), by column number."""
    dialect = conn.dialect
    if dialect.name != "sqlite":
        return []
    return [
        (i, process)
        for i, kind in enumerate(types)
        if (process := kind.dialect_impl(dialect).result_processor(dialect, None)) is not None
    ]


def pages(conn: Connection, query: Select[Any], size: int = PAGE) -> Iterator[list[Row]]:
    """A query's rows a page at a time, straight from the driver (`rows`) and typed as
    SQLAlchemy types them (`page_typing`): bounded memory, without SQLAlchemy's work on each row.
    Its values are bound as SQLAlchemy binds them, a list given to `in_` one parameter a value."""
    compiled = query.compile(dialect=conn.dialect, compile_kwargs={"render_postcompile": True})
    names = compiled.positiontup  # SQLite's `?`; PostgreSQL's named parameters take the mapping
    params = compiled.params if names is None else [compiled.params[name] for name in names]
    typed = page_typing(conn, list(query.selected_columns))
    found = _fetched(conn, compiled.string, params)
    while page := list(itertools.islice(found, size)):
        yield typed(page)


def entry_index(conn: Connection) -> Iterator[tuple[Any, ...]]:
    """`coop_entries` by sequence number: (seq, entry id, recorded, digest, hash)."""
    return rows(conn, "SELECT seq, entry_id, recorded, digest, hash FROM coop_entries ORDER BY seq")


def subject_index(conn: Connection) -> Iterator[tuple[Any, ...]]:
    """`coop_subjects` by sequence number: (seq, subject)."""
    return rows(conn, "SELECT seq, subject FROM coop_subjects ORDER BY seq")


def tree_rows(conn: Connection) -> Iterator[tuple[int, int, bytes]]:
    """`coop_tree` in the order appends complete its subtrees: by end, then level."""
    one = "CAST(1 AS BIGINT)" if conn.dialect.name == "postgresql" else "1"
    sql = f"SELECT level, start, hash FROM coop_tree ORDER BY start + ({one} << level), level"
    return ((level, start, stored_bytes(digest)) for level, start, digest in rows(conn, sql))


def identity_rows(conn: Connection) -> Iterator[tuple[Any, ...]]:
    """`coop_identities` by sequence number: (commitment, subject, seq, salt, fields)."""
    sql = "SELECT commitment, subject, seq, salt, fields FROM coop_identities ORDER BY seq"
    return rows(conn, sql)


def timelines(conn: Connection, store: Store, prefix: str) -> Iterator[tuple[str, list[Entry]]]:
    """Every timeline of one kind of subject (`member:`, `body:`) through `coop_subjects`:
    (the subject's id without the prefix, its entries in sequence order), ordered by id byte by byte.

    A subject row naming no entry is skipped here (the index check reports it)."""
    events = store.recorder.events_table_name  # type: ignore[attr-defined]
    subject = bytewise(conn, "s.subject")
    sql = (
        f"SELECT s.subject, e.state FROM coop_subjects s LEFT JOIN {events} e "
        "ON e.originator_id = ? AND e.originator_version = s.seq "
        f"WHERE {subject} >= ? AND {subject} < ? ORDER BY {subject}, s.seq"
    )
    found = rows(conn, sql, stream(conn), prefix, after(prefix))
    for key, group in itertools.groupby(found, key=lambda row: str(row[0])):
        states = [state for _, state in group if state is not None]
        try:
            entries = [decode(state) for state in states]
        except msgspec.MsgspecError:  # stored bytes that are no entry: the chain's finding
            entries = list(decodable(states))
        yield key[len(prefix) :], entries


def decodable(states: Iterable[bytes]) -> Iterator[Entry]:
    """The stored entries that decode (those that do not are the chain's finding)."""
    for state in states:
        try:
            yield decode(state)
        except msgspec.MsgspecError:
            continue


class Ahead(Generic[T]):
    """Rows in ascending key order, taken a key at a time beside another stream (a merge join)."""

    def __init__(self, rows: Iterable[T], key: Callable[[T], Any]) -> None:
        self.rows = iter(rows)
        self.key = key
        self.head: T | None = next(self.rows, None)

    def before(self, key: Any) -> Sequence[T]:
        """The rows with a key below `key` (none of the other stream's): strays."""
        head = self.head
        if head is None or not self.key(head) < key:
            return ()  # the common case, without a list
        found = []
        while head is not None and self.key(head) < key:
            found.append(head)
            head = next(self.rows, None)
        self.head = head
        return found

    def at(self, key: Any) -> Sequence[T]:
        """The rows with exactly this key (after `before`)."""
        first = self.head
        if first is None or self.key(first) != key:
            return ()
        head = next(self.rows, None)
        if head is None or self.key(head) != key:  # the common case: one row
            self.head = head
            return (first,)
        found = [first, head]
        head = next(self.rows, None)
        while head is not None and self.key(head) == key:
            found.append(head)
            head = next(self.rows, None)
        self.head = head
        return found

    def take(self, key: Any) -> tuple[Sequence[T], Sequence[T]]:
        """`before` and `at` in one call: the strays below `key`, and the rows at it."""
        head = self.head
        if head is None or self.key(head) != key:
            return self.before(key), self.at(key)
        found = [head]  # the common case: no strays, the rows of this key next
        head = next(self.rows, None)
        while head is not None and self.key(head) == key:
            found.append(head)
            head = next(self.rows, None)
        self.head = head
        return (), found

    def rest(self) -> Iterator[T]:
        while self.head is not None:
            row, self.head = self.head, next(self.rows, None)
            yield row
