"""What needs the secretary's attention on a date: one named flag each, in one registry.

A flag is not a broken rule (the entries are valid, and recorded) but a state
someone should act on. `FLAGS` maps each flag's name to the function that
finds it on the read models: `find(engine, day, known_seq)` yields `Raised`,
which says where the entry that raised it lies (a timeline, its types, its
date) so that `check` can name it (`projections/problems.py`). `check` shows
them in this order, and docs/governance.md describes each under its name.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import NamedTuple

from sqlalchemy import Engine

from coopledger.ledger import events as ev
from coopledger.projections.governance.queries import board_as_of, bodies, cooptations_overdue
from coopledger.projections.register.queries import lines_of


class Raised(NamedTuple):
    """One flag raised on a person's seat of a body, and where its entry lies: in `timeline`,
    of one of `types`, about the person, dated `date`."""

    body: str
    person: str
    detail: str
    date: dt.date
    timeline: str
    types: tuple[type[ev.Entry], ...]


Find = Callable[[Engine, dt.date, int | None], Iterator[Raised]]
FLAGS: dict[str, Find] = {}


def flag(name: str) -> Callable[[Find], Find]:
    """Register `find` as flag `name`."""

    def register(find: Find) -> Find:
        FLAGS[name] = find
        return find

    return register


MANDATES = (ev.MandateElected, ev.MandateRenewed, ev.MandateCoopted)


@flag("cooptation-overdue")
def cooptation_overdue(engine: Engine, day: dt.date, known: int | None) -> Iterator[Raised]:
    """A cooptation still unconfirmed after the assembly that should have confirmed it."""
    for body, holder in cooptations_overdue(engine, day, known):
        detail = f"coopted {holder.since}, not confirmed at {holder.overdue}, the next assembly"
        yield Raised(body, holder.person, detail, holder.since, ev.BODY + body, (ev.MandateCoopted,))


@flag("holder-not-member")
def holder_not_member(engine: Engine, day: dt.date, known: int | None) -> Iterator[Raised]:
    """Someone holds a seat but is no longer a member (an exit does not end a mandate)."""
    boards = [board_as_of(engine, day, known, body) for body in bodies(engine, known)]
    holders = {holder.person for board in boards for holder in board.holders}
    register = {
        member: (status, exit_date)
        for member, status, exit_date in lines_of(
            engine, holders, ["member", "status", "exit_date"], day, known
        )
    }
    for board in boards:
        body = board.body
        for holder in board.holders:
            status, exit_date = register.get(holder.person, (None, None))
            if status == "member":
                continue
            detail = f"holds a seat since {holder.since} but is not a member on {day}"
            if exit_date is not None:  # the exit is the entry to look at
                yield Raised(body, holder.person, detail, exit_date, ev.MEMBER + holder.person, (ev.Exit,))
            else:  # never a member: the mandate is
                yield Raised(body, holder.person, detail, holder.since, ev.BODY + body, MANDATES)


def flags(engine: Engine, day: dt.date, known_seq: int | None) -> list[tuple[str, Raised]]:
    """Every flag raised on `day` as known after `known_seq`, flag by flag, with its name."""
    return [(name, raised) for name, find in FLAGS.items() for raised in find(engine, day, known_seq)]
