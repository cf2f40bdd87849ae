"""What a timeline holds: the one definition of retractions, live entries and subjects.

The rules (`ledger`) and the read models (`projections`) both fold timelines;
every question they share is answered here once, so the two sides cannot
drift apart: what a retraction withdraws, which entries are live at a
knowledge point, which timelines an entry joins, and the formulas both folds
compute (a redemption's amount, the end of a cooptation, the statutes in
force, a mandate's length in years).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Container, Iterable, Iterator
from decimal import Decimal
from typing import Any, NamedTuple

from coopledger.ledger import events as ev
from coopledger.ledger.aside import Aside
from coopledger.ledger.statutes import Statutes

# Looks an entry up by id: a dict's `get` over the entries at hand, or the store's `entry_by_id`.
Find = Callable[[str], ev.Entry | None]


def retractions(entries: Iterable[ev.Entry]) -> dict[str, ev.EntryRetracted]:
    """The retraction of each entry withdrawn among `entries`, by the withdrawn entry's id.

    A recorded retraction names its target by id (the ledger rewrites a
    sequence number to the id when it records it).
    """
    return {str(e.entry): e for e in entries if isinstance(e, ev.EntryRetracted)}


def live_entries(timeline: Iterable[ev.Entry], known_seq: int | None = None) -> list[ev.Entry]:
    """Entries known at `known_seq` (all if None), not retracted by then, in effective order.

    Retractions themselves are never live: they only take their target out.
    """
    known = [e for e in timeline if known_seq is None or (e.seq or 0) <= known_seq]
    withdrawn = retractions(known)
    if withdrawn:
        known = [e for e in known if e.id not in withdrawn and not isinstance(e, ev.EntryRetracted)]
    if len(known) > 1:
        known.sort(key=ev.effective_order)
    return known


class Reordered:
    """`live_entries` of a ledger too long to hold, from two reads of it in sequence order.

    Sequence order is effective order but for the backdated entries. The first read (`see`)
    keeps only what cannot wait: the retractions' targets, the amendments (the statutes in
    force) and the entries dated before one already seen (`Aside`, written out to disk in
    sorted runs when they are many). The second (`live`) yields the live entries as they
    come, with those kept aside merged back where they belong, and tells them apart as the
    first read did (an entry behind the latest seen), so nothing of the ledger's length is
    held: a ledger recorded far out of date order is checked in the memory of one in order.
    """

    def __init__(self, aside: Aside | None = None) -> None:
        self.aside = Aside() if aside is None else aside
        self.top: ev.Place | None = None
        self.withdrawn: set[str] = set()
        self.amendments: list[tuple[str | None, Amendment]] = []

    def see(self, entry: ev.Entry, chained: bool = True, state: bytes | None = None) -> None:
        """The first read: every entry, in sequence order. `chained`: an entry as stored
        (not a batch's own, which may still carry personal data), which may go to disk;
        `state`: its stored bytes, if at hand, kept aside instead of the entry."""
        if isinstance(entry, ev.EntryRetracted):  # never live: it only takes its target out
            self.withdrawn.add(str(entry.entry))
            return
        if isinstance(entry, ev.StatutesAmended):
            amendment = Amendment(entry.parameter, entry.value, entry.date, entry.seq or 0)
            self.amendments.append((entry.id, amendment))
        key = ev.effective_order(entry)
        if self.top is not None and key < self.top:  # takes effect before one seen already
            if state:
                self.aside.keep_stored(key, state)
            else:
                self.aside.keep(entry, chained)
        else:
            self.top = key

    def see_stored(self, state: bytes) -> None:
        """`see` from the stored bytes, decoding in full only the amendments and retractions."""
        head = ev.placed(state)
        kind = ev.EVENT_TYPES.get(head.type)
        if kind is None or kind is ev.EntryRetracted or kind is ev.StatutesAmended:
            self.see(ev.decode(state))  # an unknown type raises as any read of it would
            return
        key = (head.date, kind.phase, head.seq or 0)
        if self.top is not None and key < self.top:
            self.aside.keep_stored(key, state)  # behind the same top: kept aside, decoded once given back
        else:
            self.top = key

    def statutes(self) -> Statutes:
        """The statutes in force over time, from the amendments not withdrawn."""
        return statutes_from(a for name, a in self.amendments if name not in self.withdrawn)

    def live(self, again: Iterable[ev.Entry]) -> Iterator[ev.Entry]:
        """The second read (the same entries, in sequence order): the live ones in effective order."""
        withdrawn = self.withdrawn
        aside = ((ev.effective_order(e), e) for e in self.aside.merged(withdrawn))
        waiting = next(aside, None)  # the next entry kept aside, with its place
        top: ev.Place | None = None
        for entry in again:
            if isinstance(entry, ev.EntryRetracted):
                continue
            key = ev.effective_order(entry)
            if top is not None and key < top:
                continue  # kept aside by the first read: it comes from `aside`
            top = key
            if entry.id in withdrawn:
                continue
            while waiting is not None and waiting[0] < key:
                yield waiting[1]
                waiting = next(aside, None)
            yield entry
        if waiting is not None:
            yield waiting[1]
            yield from (entry for _, entry in aside)


def stands_for(entry: ev.Entry, find: Find) -> ev.Entry | None:
    """A retraction stands for the entry it withdraws (None if not found); any other entry for itself."""
    if isinstance(entry, ev.EntryRetracted):
        return find(str(entry.entry))
    return entry


def joins(entry: ev.Entry, find: Find) -> tuple[str, ...]:
    """The timelines an entry joins: its subjects; a retraction joins its target's."""
    target = stands_for(entry, find)
    return target.subjects() if target is not None else ()


def member_timelines(
    entries: Iterable[ev.Entry], only: Container[str] | None = None
) -> dict[str, list[ev.Entry]]:
    """Each member's timeline (of the members in `only`, if given), in the order of `entries`."""
    entries = list(entries)
    by_id = {e.id: e for e in entries}
    timelines: dict[str, list[ev.Entry]] = defaultdict(list)
    for entry in entries:
        target = stands_for(entry, by_id.get) or entry
        for member in target.members():
            if only is None or member in only:
                timelines[member].append(entry)
    return timelines


def subject_timelines(entries: Iterable[ev.Entry], prefix: str) -> dict[str, list[ev.Entry]]:
    """The timelines of every subject of one kind (`ev.BODY`, `ev.ASSEMBLY`), keyed by its id."""
    entries = list(entries)
    by_id = {e.id: e for e in entries}
    timelines: dict[str, list[ev.Entry]] = defaultdict(list)
    for entry in entries:
        for subject in joins(entry, by_id.get):
            if subject.startswith(prefix):
                timelines[subject[len(prefix) :]].append(entry)
    return timelines


# -- formulas both folds compute ---------------------------------------------------------


def redeemed_amount(entry: ev.SharesRedeemed, paid_up: Decimal, share_price: Decimal) -> Decimal:
    """What a redemption pays back: the stated amount, else the shares' paid-up value."""
    if entry.amount is not None:
        return entry.amount
    return min(paid_up, entry.count * share_price)


def coopted_until(entry: ev.MandateCoopted, replaced_until: dt.date | None) -> dt.date | None:
    """A cooptation ends when the mandate it replaces would have (if that is known), else on its `until`."""
    return replaced_until if replaced_until is not None else entry.until


def years_later(day: dt.date, years: int) -> dt.date:
    """The same day `years` later (28 February for 29 February): how mandate lengths count."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


class Amendment(NamedTuple):
    """A statutes amendment as the statutes take it (the value as recorded, or as text)."""

    parameter: str
    value: Any
    date: dt.date
    seq: int


def statutes_from(amendments: Iterable[Amendment]) -> Statutes:
    """The statutes in force over time, from amendments in any order."""
    statutes = Statutes()
    for amendment in amendments:
        try:
            statutes.amend(amendment.parameter, amendment.value, amendment.date, amendment.seq)
        except ValueError:
            continue  # never recorded: refused by rule statutes-parameter
    return statutes


def statutes_of(entries: Iterable[ev.Entry]) -> Statutes:
    """The statutes built from the amendments among `entries` that none of them withdraws (the
    statutes' timeline holds the retractions of amendments too)."""
    entries = list(entries)
    withdrawn = retractions(entries)
    return statutes_from(
        Amendment(e.parameter, e.value, e.date, e.seq or 0)
        for e in entries
        if isinstance(e, ev.StatutesAmended) and e.id not in withdrawn
    )
