"""Governance as pure folds: assembly entries -> their rows; a body's timeline -> seats and mandates.

An assembly's facts are one row per entry (the convening, each participation, each
resolution, the allocation, each statutes amendment): a row stands for as long as its
entry is live, so knowledge intervals come straight from the entry and its retraction.
A body's seats and mandates depend on several entries each (an election, then a
resignation), so they are folded from the body's timeline into intervals of effective
dates [valid_from, valid_to), as the register folds a member's. Whether a resolution is
adopted is computed here too, from its counts, its majority and the quorum.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import NamedTuple

from ledger import events as ev
from ledger.statutes import Statutes
from ledger.timeline import years_later
from projections.register import live_entries


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


class Amendment(NamedTuple):
    """A statutes amendment (value as text), applied in (date, seq) order."""

    parameter: str
    value: str
    date: dt.date
    seq: int


class SeatSpell(NamedTuple):
    """A body's statutory number of seats over [valid_from, valid_to)."""

    body: str
    seats: int
    valid_from: dt.date
    valid_to: dt.date | None


class MandateSpell(NamedTuple):
    """One person's seat over [valid_from, valid_to): a term (`term_start` to `until`) or part of one.

    `how` is elected, renewed or coopted; a cooptation's `cooptation` is "pending" until an
    assembly confirms it, then "confirmed" (a new spell from that day), else None.
    """

    body: str
    person: str
    name: str | None
    how: str
    term_start: dt.date
    until: dt.date
    assembly: str | None
    replaces: str | None
    cooptation: str | None
    valid_from: dt.date
    valid_to: dt.date


AssemblyRow = Convened | Participation | Decision | Allocation | Amendment

CENT = Decimal("0.01")
MAJORITIES = {"simple": None, "two_thirds": (2, 3), "three_quarters": (3, 4), "four_fifths": (4, 5)}


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


def statutes_from(amendments: Iterable[Amendment]) -> Statutes:
    """The statutes in force over time, from the recorded amendments."""
    statutes = Statutes()
    for amendment in amendments:
        statutes.amend(amendment.parameter, amendment.value, amendment.date, amendment.seq)
    return statutes


def majority_met(votes_for: int, against: int, majority: str) -> bool:
    """Belgian company law: abstentions are not counted; a simple majority is more for than against."""
    fraction = MAJORITIES[majority]
    if fraction is None:
        return votes_for > against
    share, of = fraction
    return votes_for > 0 and votes_for * of >= share * (votes_for + against)


def quorum_met(voters: int, members: int, quorum: Decimal) -> bool:
    """At least `quorum` % of the members on the assembly date took part (0: no quorum)."""
    return voters * 100 >= quorum * members


def outcome(decision: Decision, voters: int, members: int, quorum: Decimal) -> str:
    """Adopted if the resolution has its majority and the assembly its quorum, else rejected."""
    if not quorum_met(voters, members, quorum):
        return "rejected"
    return "adopted" if majority_met(decision.votes_for, decision.against, decision.majority) else "rejected"


def body_history(
    body: str, timeline: Sequence[ev.Entry], known_seq: int | None = None
) -> tuple[list[SeatSpell], list[MandateSpell]]:
    """Fold one body's timeline into its seat spells and mandate spells."""
    seats: list[SeatSpell] = []
    spells: list[MandateSpell] = []
    current: dict[str, int] = {}  # person -> index of their latest spell
    names: dict[str, str] = {}
    for entry in live_entries(timeline, known_seq):
        if isinstance(entry, ev.BodySeats):
            if seats and seats[-1].valid_to is None:
                seats[-1] = seats[-1]._replace(valid_to=entry.date)
            seats.append(SeatSpell(body, entry.count, entry.date, None))
            continue
        if not isinstance(entry, ev.MandateEntry):
            continue
        person, day = entry.person, entry.date
        name = getattr(entry, "name", None)
        if name:
            names[person] = name
        latest = spells[current[person]] if person in current else None
        held = latest if latest is not None and latest.valid_from <= day < latest.valid_to else None
        if isinstance(entry, ev.MandateElected | ev.MandateRenewed | ev.MandateCoopted):
            if held is not None:
                spells[current[person]] = held._replace(valid_to=day)
            how, until, cooptation = entry.type.split(".")[1], getattr(entry, "until", None), None
            if isinstance(entry, ev.MandateCoopted):
                until, cooptation = _coopted_until(entry, spells, current), "pending"
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


def _coopted_until(
    entry: ev.MandateCoopted, spells: list[MandateSpell], current: dict[str, int]
) -> dt.date | None:
    """A cooptation ends when the mandate it replaces would have ended, else on its own `until`."""
    if entry.replaces is not None and entry.replaces in current:
        return spells[current[entry.replaces]].until
    return entry.until


class ResolutionFigures(NamedTuple):
    """A resolution as the report shows it: counts, majority needed, outcome."""

    resolution: str
    title: str
    for_: int
    against: int
    abstain: int
    majority: str
    outcome: str


class AllocationFigures(NamedTuple):
    year: int
    reserves: Decimal | None
    dividend_rate: Decimal | None


class AssemblyFigures(NamedTuple):
    """One assembly: participation (distinct members, in person or by proxy) and decisions."""

    assembly: str
    date: dt.date
    kind: str
    voters: int
    in_person: int
    by_proxy: int
    members_on_date: int
    quorum: Decimal
    resolutions: list[ResolutionFigures]
    allocation: AllocationFigures | None


class BoardFigures(NamedTuple):
    """A body over a period: seats and people at its end, mandates given during it."""

    seats: int
    elected: int
    renewed: int
    coopted: int
    members_at_end: int
    vacant_at_end: int


class Holder(NamedTuple):
    """A seat held on a date, with how it was obtained; `overdue` flags an unconfirmed cooptation."""

    person: str
    name: str | None
    how: str
    since: dt.date
    until: dt.date
    assembly: str | None
    replaces: str | None
    cooptation: str | None
    overdue: str | None  # the assembly that should have confirmed the cooptation


class Board(NamedTuple):
    """A body on a date: seats, holders, vacancies, mandates ending within a year."""

    body: str
    as_of: dt.date
    seats: int
    holders: list[Holder]
    vacant: int
    ending: list[Holder]


def assembly_figures(
    convening: Convened,
    participations: Sequence[Participation],
    decisions: Sequence[Decision],
    allocation: Allocation | None,
    members: int,
    quorum: Decimal,
) -> AssemblyFigures:
    """An assembly's figures from its rows, the members on its date and the quorum then in force."""
    allocated = None
    if allocation is not None:
        allocated = AllocationFigures(
            allocation.year, _cents(allocation.reserves), _cents(allocation.dividend_rate)
        )
    voters = len({p.member for p in participations})
    by_proxy = len({p.member for p in participations if p.proxy is not None})
    return AssemblyFigures(
        convening.assembly,
        convening.date,
        convening.kind,
        voters,
        voters - by_proxy,
        by_proxy,
        members,
        quorum,
        [
            ResolutionFigures(
                d.resolution,
                d.title,
                d.votes_for,
                d.against,
                d.abstain,
                d.majority,
                outcome(d, voters, members, quorum),
            )
            for d in decisions
        ],
        allocated,
    )


def _cents(amount: Decimal | None) -> Decimal | None:
    """Amounts and rates with two decimals, however they were typed or stored."""
    return None if amount is None else amount.quantize(CENT)


def _on(spell: SeatSpell | MandateSpell, day: dt.date) -> bool:
    return spell.valid_from <= day and (spell.valid_to is None or day < spell.valid_to)


def seats_on(seats: Iterable[SeatSpell], day: dt.date) -> int:
    return next((s.seats for s in seats if _on(s, day)), 0)


def board_figures_of(
    seats: Sequence[SeatSpell], mandates: Sequence[MandateSpell], start: dt.date, end: dt.date
) -> BoardFigures:
    """A body's figures for [start, end] from its spells: terms begun in the period, seats at its end."""
    begun = {(m.person, m.term_start, m.how) for m in mandates if start <= m.term_start <= end}
    count = seats_on(seats, end)
    held = len({m.person for m in mandates if _on(m, end)})
    return BoardFigures(
        count,
        sum(how == "elected" for _, _, how in begun),
        sum(how == "renewed" for _, _, how in begun),
        sum(how == "coopted" for _, _, how in begun),
        held,
        max(0, count - held),
    )


def board_of(
    body: str,
    seats: Sequence[SeatSpell],
    mandates: Sequence[MandateSpell],
    assemblies: Sequence[Convened],
    names: dict[str, str],
    as_of: dt.date,
) -> Board:
    """A body on `as_of` from its spells; cooptations still pending after an assembly are flagged."""
    meetings = sorted((a.date, a.assembly) for a in assemblies)
    holders = []
    for m in sorted((m for m in mandates if _on(m, as_of)), key=lambda m: (m.term_start, m.person)):
        overdue = None
        if m.cooptation == "pending":
            overdue = next((a for day, a in meetings if m.term_start < day <= as_of), None)
        holders.append(
            Holder(
                m.person,
                m.name or names.get(m.person),
                m.how,
                m.term_start,
                m.until,
                m.assembly,
                m.replaces,
                m.cooptation,
                overdue,
            )
        )
    count = seats_on(seats, as_of)
    horizon = years_later(as_of, 1)
    ending = [h for h in holders if h.until <= horizon]
    return Board(body, as_of, count, holders, max(0, count - len(holders)), ending)
