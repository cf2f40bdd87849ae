"""As-of queries on the persisted read models: one indexed SELECT each."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Engine, and_, or_, select

from projections.register import Movement, Spell
from projections.schema import movements, spells


def known_at(table: Any, known_seq: int | None) -> Any:
    """Rows as the ledger knew them after entry `known_seq` (None: now)."""
    if known_seq is None:
        return table.c.known_to.is_(None)
    return and_(
        table.c.known_from <= known_seq,
        or_(table.c.known_to.is_(None), table.c.known_to > known_seq),
    )


def register_as_of(
    engine: Engine, as_of: dt.date, known_seq: int | None = None, include_former: bool = False
) -> list[Spell]:
    """Members on `as_of` (end of day), ordered by member id; former members too if asked."""
    return [Spell(*row) for row in register_columns(engine, Spell._fields, as_of, known_seq, include_former)]


def register_columns(
    engine: Engine,
    columns: Sequence[str],
    as_of: dt.date,
    known_seq: int | None = None,
    include_former: bool = False,
) -> list[tuple[Any, ...]]:
    """Some columns of the register on `as_of`: the printed register reads only what it shows."""
    query = select(*[spells.c[name] for name in columns]).where(
        known_at(spells, known_seq),
        spells.c.valid_from <= as_of,
        or_(spells.c.valid_to.is_(None), spells.c.valid_to > as_of),
    )
    if not include_former:
        query = query.where(spells.c.status == "member")
    with engine.connect() as conn:
        return conn.execute(query.order_by(spells.c.member)).all()  # type: ignore[return-value]


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
