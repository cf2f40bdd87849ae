"""The register's positions as a running sum: what `report` reads instead of every line.

The year's figures need the members, shares and capital of each category at the end of a
few days (the eve of the year, its end, each assembly's day). Summed from the register's
lines that takes one scan of millions of rows at 5,000,000 members (4.4 s of `report`'s
15.6 s on PostgreSQL). This table holds, for the register as known now, how the position of
each category changes on each effective day: a line in force from `valid_from` to
`valid_to` adds itself on the first day and takes itself off on the second. The position at
the end of a day is the sum of the changes up to it: a few thousand rows (categories times
days on which something happened), whatever the number of members.

Only the knowledge of now is summed (rows with `known_to` NULL); a report known at an
earlier moment scans the lines as before. The projector adds each catch-up's changes
(`changes_of`, `add`); `rebuild` sums the lines in one statement (`fill`), which is also
what `verify` compares the table with (`problems`).
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Date,
    PrimaryKeyConstraint,
    Table,
    func,
    select,
    text,
)

from coopledger.ledger import scan
from coopledger.projections.register.schema import spells
from coopledger.projections.tables import Id, RowChanges, bulk_insert, cents, in_cents, metadata

positions = Table(
    "register_positions",
    metadata,
    Column("category", Id, nullable=False),
    Column("day", Date, nullable=False),
    Column("members", BigInteger, nullable=False),
    Column("shares", BigInteger, nullable=False),
    Column("subscribed", BigInteger, nullable=False),  # cents: shares times their price
    Column("paid_up", BigInteger, nullable=False),  # cents
    PrimaryKeyConstraint("category", "day"),
)

# (category, day) -> [members, shares, subscribed cents, paid-up cents]
Changes = dict[tuple[str, dt.date], list[int]]
MEASURES = ("members", "shares", "subscribed", "paid_up")

# Where each measure of a line (`register.fold.Spell`, the table's column order) is.
_CATEGORY, _SHARES, _PAID_UP, _PRICE, _STATUS, _FROM, _TO = 2, 3, 4, 5, 10, 14, 15


def changes_of(spell_changes: RowChanges) -> Changes:
    """What one catch-up of the register changes in the positions: each line it makes known
    (and does not close again in the same catch-up) adds itself, each line it closes takes
    itself off. (On the hot path of an import: each line's measures are worked out once per
    distinct holding, and added without a loop per measure.)"""
    found: Changes = {}
    measured: dict[tuple[Any, ...], tuple[int, int, int]] = {}
    made = ((1, r) for r in spell_changes.inserts if r[-1] is None)
    for sign, line in itertools.chain(made, ((-1, row) for row in spell_changes.closed)):
        if line[_STATUS] != "member":
            continue
        holding = (line[_SHARES], line[_PAID_UP], line[_PRICE])
        measures = measured.get(holding)
        if measures is None:
            shares, paid_up, price = holding
            measures = measured[holding] = (shares, cents(shares * price), cents(paid_up))
        shares, subscribed, paid = measures
        for day, way in ((line[_FROM], sign), (line[_TO], -sign)):
            if day is None:
                continue
            totals = found.get((line[_CATEGORY], day))
            if totals is None:
                found[(line[_CATEGORY], day)] = [way, way * shares, way * subscribed, way * paid]
            else:
                totals[0] += way
                totals[1] += way * shares
                totals[2] += way * subscribed
                totals[3] += way * paid
    return found


_ADD = text(
    "INSERT INTO register_positions (category, day, members, shares, subscribed, paid_up) "
    "VALUES (:category, :day, :members, :shares, :subscribed, :paid_up) "
    "ON CONFLICT (category, day) DO UPDATE SET "
    + ", ".join(f"{m} = register_positions.{m} + excluded.{m}" for m in MEASURES)
)


def add(conn: Connection, changes: Mapping[tuple[str, dt.date], Sequence[int]], first: bool = False) -> None:
    """Add a catch-up's changes to the running sums: an upsert per category and day, or for
    the first catch-up (`first`: the table is empty) the rows themselves, in bulk."""
    if first:
        bulk_insert(conn, positions, [(*key, *values) for key, values in changes.items() if any(values)])
        return
    rows = [
        {"category": category, "day": day, **dict(zip(MEASURES, values, strict=True))}
        for (category, day), values in changes.items()
        if any(values)
    ]
    if rows:
        conn.execute(_ADD, rows)


def summed(conn: Connection) -> Changes:
    """The changes summed from the register's lines known now, in one statement: what the
    table must hold (all-zero days left out)."""
    s = spells.c
    member = (s.known_to.is_(None)) & (s.status == "member")
    measures = (func.count(), func.sum(s.shares), func.sum(in_cents(s.shares * s.share_price)))
    found: Changes = defaultdict(lambda: [0, 0, 0, 0])
    for sign, day in ((1, s.valid_from), (-1, s.valid_to)):
        query = (
            select(s.category, day, *measures, func.sum(in_cents(s.paid_up)))
            .where(member, day.is_not(None))
            .group_by(s.category, day)
        )
        for category, when, *values in conn.execute(query):
            totals = found[(category, when)]
            for i, value in enumerate(values):
                totals[i] += sign * int(value or 0)
    return {key: values for key, values in found.items() if any(values)}


def held(conn: Connection) -> Changes:
    """The table's rows, all-zero days left out."""
    query = select(positions.c.category, positions.c.day, *(positions.c[m] for m in MEASURES))
    return {(row[0], row[1]): list(row[2:]) for row in conn.execute(query) if any(row[2:])}


def fill(conn: Connection) -> None:
    """Sum the register's lines into the (empty) table: `rebuild`'s way."""
    add(conn, summed(conn), first=True)


def problems(conn: Connection) -> list[str]:
    """How the table differs from the sums of the register's lines, a line per day."""
    try:
        expected, found = summed(conn), held(conn)
    except scan.MISTYPED as e:  # typing a value written outside coopledger
        return [
            f"not summed: a value in the register's lines or in this table is not of its column's type ({e})"
        ]
    return [
        f"category {category}, {day}: {_words(found.get((category, day)))} in the table, "
        f"{_words(expected.get((category, day)))} summed from the register's lines"
        for category, day in sorted(expected.keys() | found.keys(), key=_as_text)
        if expected.get((category, day)) != found.get((category, day))
    ]


def _as_text(key: tuple[Any, ...]) -> tuple[str, ...]:
    """A (category, day) as text, in the order of the values (an ISO date's text sorts as the
    date): a key written outside coopledger may be bytes, which do not compare with text."""
    return tuple(map(str, key))


def _words(values: Sequence[int] | None) -> str:
    if values is None:
        return "no change"
    return ", ".join(  # a value not a number was written outside coopledger
        f"{m} {v:+d}" if isinstance(v, int) else f"{m} {v!r}" for m, v in zip(MEASURES, values, strict=True)
    )


def at(conn: Connection, days: Iterable[dt.date]) -> dict[tuple[dt.date, str], list[int]]:
    """(day, category) -> [members, shares, subscribed cents, paid-up cents] at the end of each
    day, for the categories with members in force that day."""
    found: dict[tuple[dt.date, str], list[int]] = {}
    p = positions.c
    sums = [func.coalesce(func.sum(p[m]), 0) for m in MEASURES]
    for day in sorted(set(days)):
        for category, *values in conn.execute(
            select(p.category, *sums).where(p.day <= day).group_by(p.category)
        ):
            if values[0]:  # a category none of whose members is in force that day has no line
                found[(day, category)] = [int(v) for v in values]
    return found
