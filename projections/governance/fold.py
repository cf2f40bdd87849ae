"""Governance as pure folds: assembly entries -> their rows; a body's timeline -> seats and mandates.

An assembly's facts are one row per entry (the convening, each participation, each
resolution, the allocation, each statutes amendment): a row stands for as long as its
entry is live, so knowledge intervals come straight from the entry and its retraction.
A body's seats and mandates depend on several entries each (an election, then a
resignation), so they are folded from the body's timeline into intervals of effective
dates [valid_from, valid_to), as the register folds a member's.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import NamedTuple

from coopledger.ledger import events as ev
from coopledger.ledger.timeline import Amendment, coopted_until, live_entries


class Convened(NamedTuple):
    """An assembly met on `date`."""

    assembly: str
    date: dt.date
    kind: str


class Participation(NamedTuple):
    """A member took part in an assembly's votes, in person (`proxy` None) or by proxy."""

    assembly: str
    member: str
    proxy: str | None
    date: dt.date


class Decision(NamedTuple):
    """A resolution's counts and the majority it needed."""

    assembly: str
    resolution: str
    title: str
    votes_for: int
    against: int
    abstain: int
    majority: str
    date: dt.date


class Allocation(NamedTuple):
    """The result of fiscal year `year`, as the assembly allocated it."""

    assembly: str
    year: int
    reserves: Decimal | None
    dividend_rate: Decimal | None
    date: dt.date


class SeatSpell(NamedTuple):
    """A body's statutory number of seats over [valid_from, valid_to)."""

    body: str
    seats: int
    valid_from: dt.date
    valid_to: dt.date | None


class MandateSpell(NamedTuple):
    """One person's seat over [valid_from, valid_to): a term (`term_start` to `until`) or part of one.

    `how` is elected, renewed or coopted; a cooptation's `cooptation` is "pending" until an
    assembly confirms it, then "confirmed" (a new spell from that day), else None. `name` is
    the sequence number of the mandate entry that gave the holder's name, whose identity record
    holds it (`ledger/identity.py`), never the name.
    """

    body: str
    person: str
    name: int | None
    how: str
    term_start: dt.date
    until: dt.date
    assembly: str | None
    replaces: str | None
    cooptation: str | None
    valid_from: dt.date
    valid_to: dt.date


AssemblyRow = Convened | Participation | Decision | Allocation | Amendment


def assembly_row(entry: ev.Entry) -> AssemblyRow | None:
    """The one row an assembly or statutes entry stands for (None for other entries)."""
    match entry:
        case ev.AssemblyConvened():
            return Convened(entry.assembly, entry.date, entry.kind)
        case ev.AssemblyVoted():
            return Participation(entry.assembly, entry.member, entry.proxy, entry.date)
        case ev.ResolutionDecided():
            return Decision(
                entry.assembly,
                entry.resolution,
                entry.title,
                entry.for_,
                entry.against,
                entry.abstain,
                entry.majority,
                entry.date,
            )
        case ev.ResultAllocated():
            return Allocation(entry.assembly, entry.year, entry.reserves, entry.dividend_rate, entry.date)
        case ev.StatutesAmended():
            return Amendment(entry.parameter, str(entry.value), entry.date, entry.seq or 0)
    return None


def assembly_rows(entries: Iterable[ev.Entry], known_seq: int | None = None) -> list[AssemblyRow]:
    """The rows of every entry live at `known_seq` (all of them if None)."""
    return [row for entry in live_entries(entries, known_seq) if (row := assembly_row(entry)) is not None]


def body_history(
    body: str, timeline: Sequence[ev.Entry], known_seq: int | None = None
) -> tuple[list[SeatSpell], list[MandateSpell]]:
    """Fold one body's timeline into its seat spells and mandate spells."""
    seats: list[SeatSpell] = []
    spells: list[MandateSpell] = []
    current: dict[str, int] = {}  # person -> index of their latest spell
    names: dict[str, int] = {}
    for entry in live_entries(timeline, known_seq):
        if isinstance(entry, ev.BodySeats):
            if seats and seats[-1].valid_to is None:
                seats[-1] = seats[-1]._replace(valid_to=entry.date)
            seats.append(SeatSpell(body, entry.count, entry.date, None))
            continue
        if not isinstance(entry, ev.MandateEntry):
            continue
        person, day = entry.person, entry.date
        if getattr(entry, "identity", None) and "name" in getattr(entry, "identity_fields", ()):
            names[person] = entry.seq or 0  # the entry whose identity record holds the name
        latest = spells[current[person]] if person in current else None
        held = latest if latest is not None and latest.valid_from <= day < latest.valid_to else None
        if isinstance(entry, ev.MandateElected | ev.MandateRenewed | ev.MandateCoopted):
            if held is not None:
                spells[current[person]] = held._replace(valid_to=day)
            how, until, cooptation = entry.type.split(".")[1], getattr(entry, "until", None), None
            if isinstance(entry, ev.MandateCoopted):
                replaced = current.get(entry.replaces) if entry.replaces is not None else None
                term_end = spells[replaced].until if replaced is not None else None
                until, cooptation = coopted_until(entry, term_end), "pending"
            if until is None:
                continue
            current[person] = len(spells)
            spells.append(
                MandateSpell(
                    body,
                    person,
                    names.get(person),
                    how,
                    day,
                    until,
                    getattr(entry, "assembly", None),
                    getattr(entry, "replaces", None),
                    cooptation,
                    day,
                    until,
                )
            )
        elif held is None:
            continue
        elif isinstance(entry, ev.MandateConfirmed):
            spells[current[person]] = held._replace(valid_to=day)
            current[person] = len(spells)
            spells.append(held._replace(assembly=entry.assembly, cooptation="confirmed", valid_from=day))
        else:  # resigned, revoked, cooptation rejected: the seat is left that day
            spells[current[person]] = held._replace(valid_to=day)
    return seats, spells
