"""As-of queries on the persisted register: one indexed SELECT each."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterator, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Connection, Engine, Select, column, func, or_, select, table

from coopledger.ledger import scan
from coopledger.projections.register.fold import Movement, Spell
from coopledger.projections.register.schema import movements, spells
from coopledger.projections.tables import known_at


def in_force_on(day: dt.date) -> ColumnElement[bool]:
    """Register lines in force at the end of `day`."""
    return (spells.c.valid_from <= day) & or_(spells.c.valid_to.is_(None), spells.c.valid_to > day)


def register_as_of(
    engine: Engine, as_of: dt.date, known_seq: int | None = None, include_former: bool = False
) -> list[Spell]:
    """Members on `as_of` (end of day), ordered by member id; former members too if asked."""
    return [
        Spell._make(row) for row in register_columns(engine, Spell._fields, as_of, known_seq, include_former)
    ]


def register_columns(
    engine: Engine,
    columns: Sequence[str],
    as_of: dt.date,
    known_seq: int | None = None,
    include_former: bool = False,
) -> list[tuple[Any, ...]]:
    """Some columns of the register on `as_of`: the printed register reads only what it shows."""
    return [
        row for chunk in register_chunks(engine, columns, as_of, known_seq, include_former) for row in chunk
    ]


CHUNK = 2_000  # rows per chunk: a register of millions streams in bounded memory
IDENTITY_COLUMNS = ("name", "address", "email")  # columns naming an identity record, not the value
# The identity store (ledger/recorders.py), in the same database: the fields an entry gave.
identity_store = table("coop_identities", column("seq"), column("fields"))


def register_chunks(
    engine: Engine,
    columns: Sequence[str],
    as_of: dt.date,
    known_seq: int | None = None,
    include_former: bool = False,
    identities: bool = False,
) -> Iterator[list[tuple[Any, ...]]]:
    """The register's rows in member order, a chunk at a time, read with a server-side cursor.

    With `identities`, each identity column present is followed at the end of the row by the
    identity store's fields of the record it names (JSON text, None once erased), joined in the
    same query so that a register of millions needs no second round trip per chunk.
    """
    query = register_select(columns, identities).where(known_at(spells, known_seq), in_force_on(as_of))
    if not include_former:
        query = query.where(spells.c.status == "member")
    return streamed(engine, query.order_by(spells.c.member))


def lines_of(
    engine: Engine, persons: Collection[str], columns: Sequence[str], as_of: dt.date, known_seq: int | None
) -> list[tuple[Any, ...]]:
    """Some columns of these persons' register lines on `as_of`, former members' too."""
    if not persons:
        return []
    query = register_select(columns, False).where(
        known_at(spells, known_seq), in_force_on(as_of), spells.c.member.in_(sorted(persons))
    )
    with engine.connect() as conn:
        return [tuple(row) for row in conn.execute(query)]


def register_select(columns: Sequence[str], identities: bool) -> Select[Any]:
    """Register columns, each identity column followed at the row's end by its identity fields."""
    query = select(*[spells.c[name] for name in columns])
    if identities:
        for name in (c for c in columns if c in IDENTITY_COLUMNS):
            held = identity_store.alias(f"held_{name}")
            query = query.outerjoin_from(spells, held, held.c.seq == spells.c[name])
            query = query.add_columns(held.c.fields)
    return query


def streamed(engine: Engine, query: Select[Any]) -> Iterator[list[tuple[Any, ...]]]:
    """A query's rows a chunk at a time, through a server-side cursor: bounded memory
    (`scan.pages`: straight from the driver, typed a column at a time)."""
    with engine.connect() as conn:
        yield from scan.pages(conn, query, CHUNK)


def movements_between(
    engine: Engine, start: dt.date, end: dt.date, known_seq: int | None = None
) -> list[Movement]:
    """Every counted movement dated in [start, end], in date, sequence, then member order."""
    chunks = movement_chunks_between(engine, Movement._fields, start, end, known_seq)
    return [Movement._make(row) for chunk in chunks for row in chunk]


def movement_chunks_between(
    engine: Engine,
    columns: Sequence[str],
    start: dt.date,
    end: dt.date,
    known_seq: int | None = None,
    kinds: Collection[str] = (),
) -> Iterator[list[tuple[Any, ...]]]:
    """Some columns of the counted movements dated in [start, end] (of these kinds, if given), in
    date, sequence, then member order (a transfer's two sides share the first two), a chunk at a
    time: twenty years of a large cooperative's movements stream in bounded memory."""
    query = select(*[movements.c[name] for name in columns]).where(
        known_at(movements, known_seq),
        movements.c.date >= start,
        movements.c.date <= end,
    )
    if kinds:
        query = query.where(movements.c.kind.in_(sorted(kinds)))
    return streamed(engine, query.order_by(movements.c.date, movements.c.seq, movements.c.member))


def members_on(
    conn: Connection, day: dt.date, known_seq: int | None, category: str | None = None, shares: bool = False
) -> int:
    """How many members the register holds on `day` (of `category`), or with `shares`, how many
    shares they hold in all."""
    figure = func.coalesce(func.sum(spells.c.shares), 0) if shares else func.count()
    query = select(figure).where(known_at(spells, known_seq), spells.c.status == "member", in_force_on(day))
    if category is not None:
        query = query.where(spells.c.category == category)
    return int(conn.execute(query).scalar() or 0)


def names_of(
    conn: Connection, persons: Collection[str], as_of: dt.date, known_seq: int | None
) -> dict[str, int | None]:
    """Each person's name in the register on `as_of`, or when they were last a member before it
    (the sequence number of the entry whose identity record holds it)."""
    query = (
        select(spells.c.member, spells.c.name)
        .where(known_at(spells, known_seq), spells.c.valid_from <= as_of)
        .where(spells.c.member.in_(sorted(persons)))
        .order_by(spells.c.valid_from)
    )
    return {member: name for member, name in conn.execute(query)}
