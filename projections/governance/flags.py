"""What needs the secretary's attention on a date: one named flag each, in one registry.

A flag is not a broken rule (the entries are valid, and recorded) but a state
someone should act on. `FLAGS` maps each flag's name to the function that
finds it on the read models: `find(engine, day, known_seq)` yields
(body, person, detail). `coopledger check` shows them in this order, and
docs/governance.md describes each under its name.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import NamedTuple

from sqlalchemy import Engine

from coopledger.projections.governance.queries import board_as_of, bodies, cooptations_overdue
from coopledger.projections.register.queries import register_columns

Find = Callable[[Engine, dt.date, int | None], Iterator[tuple[str, str, str]]]
FLAGS: dict[str, Find] = {}


class Flag(NamedTuple):
    """One flag raised: which, on whose seat of which body, and why."""

    flag: str
    body: str
    person: str
    detail: str


def flag(name: str) -> Callable[[Find], Find]:
    """Register `find` as flag `name`."""

    def register(find: Find) -> Find:
        FLAGS[name] = find
        return find

    return register


@flag("cooptation-overdue")
def cooptation_overdue(engine: Engine, day: dt.date, known: int | None) -> Iterator[tuple[str, str, str]]:
    """A cooptation still unconfirmed after the assembly that should have confirmed it."""
    for body, holder in cooptations_overdue(engine, day, known):
        detail = f"coopted {holder.since}, not confirmed at {holder.overdue}, the next assembly"
        yield body, holder.person, detail


@flag("holder-not-member")
def holder_not_member(engine: Engine, day: dt.date, known: int | None) -> Iterator[tuple[str, str, str]]:
    """Someone holds a seat but is no longer a member (an exit does not end a mandate)."""
    members = {row[0] for row in register_columns(engine, ["member"], day, known)}
    for body in bodies(engine, known):
        for holder in board_as_of(engine, day, known, body).holders:
            if holder.person not in members:
                yield body, holder.person, f"holds a seat since {holder.since} but is not a member on {day}"


def flags(engine: Engine, day: dt.date, known_seq: int | None) -> list[Flag]:
    """Every flag raised on `day` as known after `known_seq`, flag by flag."""
    return [Flag(name, *found) for name, find in FLAGS.items() for found in find(engine, day, known_seq)]
