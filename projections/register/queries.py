"""As-of queries on the persisted register: one indexed SELECT each."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Connection, Engine, Row, func, or_, select

from coopledger.projections.register.fold import Movement, Spell
from coopledger.projections.register.schema import movements, spells
from coopledger.projections.tables import known_at


def _on(day: dt.date) -> ColumnElement[bool]:
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
) -> Sequence[Row[Any]]:
    """Some columns of the register on `as_of`: the printed register reads only what it shows."""
    query = select(*[spells.c[name] for name in columns]).where(known_at(spells, known_seq), _on(as_of))
    if not include_former:
        query = query.where(spells.c.status == "member")
    with engine.connect() as conn:
        return conn.execute(query.order_by(spells.c.member)).all()


def movements_between(
    engine: Engine, start: dt.date, end: dt.date, known_seq: int | None = None
) -> list[Movement]:
    """Every counted movement dated in [start, end], in date then sequence order."""
    query = select(*[movements.c[name] for name in Movement._fields]).where(
        known_at(movements, known_seq),
        movements.c.date >= start,
        movements.c.date <= end,
    )
    with engine.connect() as conn:
        return [Movement(*row) for row in conn.execute(query.order_by(movements.c.date, movements.c.seq))]


def members_on(conn: Connection, day: dt.date, known_seq: int | None) -> int:
    """How many members the register holds on `day`."""
    query = select(func.count()).where(known_at(spells, known_seq), spells.c.status == "member", _on(day))
    return int(conn.execute(query).scalar() or 0)


def names_of(
    conn: Connection, persons: Collection[str], as_of: dt.date, known_seq: int | None
) -> dict[str, str]:
    """Each person's name in the register on `as_of`, or when they were last a member before it."""
    query = (
        select(spells.c.member, spells.c.name)
        .where(known_at(spells, known_seq), spells.c.valid_from <= as_of)
        .where(spells.c.member.in_(sorted(persons)))
        .order_by(spells.c.valid_from)
    )
    return {member: name for member, name in conn.execute(query)}
