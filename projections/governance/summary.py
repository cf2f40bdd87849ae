"""What the views show of an assembly and a body, from their rows: outcomes, participation, holders.

The same functions serve the persisted read models (`queries.py`) and the
auditor's replay (`replay.py`); only where the rows come from differs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import NamedTuple

from coopledger.ledger.timeline import years_later
from coopledger.projections.governance.fold import (
    Allocation,
    Convened,
    Decision,
    MandateSpell,
    Participation,
    SeatSpell,
)

CENT = Decimal("0.01")
MAJORITIES = {"simple": None, "two_thirds": (2, 3), "three_quarters": (3, 4), "four_fifths": (4, 5)}


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
    name: int | str | None  # the name's identity record (its entry's number) until a view shows the name
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
            allocation.year, two_decimals(allocation.reserves), two_decimals(allocation.dividend_rate)
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


def two_decimals(amount: Decimal | None) -> Decimal | None:
    """Amounts and rates with two decimals, however they were typed or stored."""
    return None if amount is None else amount.quantize(CENT)


def participation(assembly: AssemblyFigures) -> Decimal | None:
    """Voters as a percentage of the members on the assembly's day, to two decimals."""
    if not assembly.members_on_date:
        return None
    return (Decimal(100 * assembly.voters) / assembly.members_on_date).quantize(CENT)


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
    names: dict[str, int | None],
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
