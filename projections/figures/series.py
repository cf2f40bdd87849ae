"""The chart's data: members by category over the period, admissions and exits per month."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import Engine, and_, func, select

from coopledger.projections.figures.compute import EXITS, Scope, new_tally, tallies
from coopledger.projections.register.schema import movements, spells
from coopledger.projections.tables import known_at


@dataclass(frozen=True)
class Series:
    """Members by category at the end of each month, and admissions and exits per month.

    `days` starts with the eve of the period (the opening position); `months`
    are the first days of the months the movements are counted in.
    """

    days: tuple[dt.date, ...]
    members: dict[str, tuple[int, ...]]
    months: tuple[dt.date, ...]
    admitted: tuple[int, ...]
    exits: dict[str, tuple[int, ...]]


def month_ends(start: dt.date, end: dt.date) -> list[dt.date]:
    """The eve of `start`, the last day of every month in the period, and `end`."""
    days = [start - dt.timedelta(days=1)]
    first = start.replace(day=1)
    while first <= end:
        following = (first + dt.timedelta(days=32)).replace(day=1)
        days.append(min(end, following - dt.timedelta(days=1)))
        first = following
    return days


def series(engine: Engine, start: dt.date, end: dt.date, seq: int) -> Series:
    """Members over time by category and the movements per month, as known after `seq`.

    Three grouped queries: the opening position, then the spells that begin
    and end in the period by date, summed up month by month.
    """
    days = month_ends(start, end)
    eve = days[0]
    known = known_at(spells, seq)
    member = and_(known, spells.c.status == "member")
    steps: dict[str, dict[dt.date, int]] = defaultdict(lambda: defaultdict(int))
    with engine.connect() as conn:
        opening = tallies(conn, start, start, (eve,), Scope(seq)).get(seq, new_tally()).positions
        for column, sign in ((spells.c.valid_from, 1), (spells.c.valid_to, -1)):
            query = (
                select(spells.c.category, column, func.count())
                .where(member, column > eve, column <= end)
                .group_by(spells.c.category, column)
            )
            for category, day, count in conn.execute(query):
                steps[category][day] += sign * count
        kinds = ("admitted", *EXITS)
        query = (
            select(movements.c.kind, movements.c.date, func.count())
            .where(
                known_at(movements, seq), movements.c.kind.in_(kinds), movements.c.date.between(start, end)
            )
            .group_by(movements.c.kind, movements.c.date)
        )
        moved = [(kind, day, count) for kind, day, count in conn.execute(query)]
    categories = sorted({c for (_, c) in opening} | steps.keys())
    members = {}
    for category in categories:
        level, counts, at = opening.get((eve, category), [0])[0], [], 0
        changes = sorted(steps[category].items())
        for day in days:
            while at < len(changes) and changes[at][0] <= day:
                level += changes[at][1]
                at += 1
            counts.append(level)
        members[category] = tuple(counts)
    months = tuple(day.replace(day=1) for day in days[1:])
    index = {month: i for i, month in enumerate(months)}
    per_month: dict[str, list[int]] = {kind: [0] * len(months) for kind in kinds}
    for kind, day, count in moved:
        per_month[kind][index[day.replace(day=1)]] += count
    return Series(
        days=tuple(days),
        members=members,
        months=months,
        admitted=tuple(per_month["admitted"]),
        exits={kind: tuple(per_month[kind]) for kind in EXITS},
    )
