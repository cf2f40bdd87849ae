"""The register as a pure fold: one member's timeline -> spells and movements.

A *spell* is the member's register line over an interval of effective dates
[valid_from, valid_to). A *movement* is one fact the annual figures count
(an admission, a resignation, shares redeemed...). Both are plain tuples so
that two folds can be compared and diffed. The same function serves the
persisted projection (per member, at each sequence number that touched them)
and the auditor's fresh replay.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple

from coopledger.ledger import events as ev
from coopledger.ledger.timeline import live_entries, redeemed_amount

ZERO = Decimal("0.00")


class Spell(NamedTuple):
    """A member's register line, valid for effective dates [valid_from, valid_to).

    `name`, `address` and `email` hold the sequence number of the entry that last gave each,
    never the value: views read the value from that entry's record in the identity store
    (`ledger/identity.py`), so that erasing it there erases it everywhere, and a replay needs
    no personal data. A number, not the entry's commitment: less than half the register's
    bytes (store format 3), and the identity store's own key to look it up by.
    """

    member: str
    name: int | None
    category: str
    shares: int
    paid_up: Decimal
    share_price: Decimal
    address: int | None
    email: int | None
    founder: bool
    admitted: dt.date
    status: str  # "member" or "former"
    exit_date: dt.date | None
    exit_kind: str | None
    exit_reason: str | None
    valid_from: dt.date
    valid_to: dt.date | None


class Movement(NamedTuple):
    """One counted fact about a member on a date, from entry `seq`."""

    member: str
    seq: int
    date: dt.date
    kind: str
    category: str | None
    count: int | None  # type: ignore[assignment]  # shares moved (the name shadows tuple.count)
    amount: Decimal | None
    reason: str | None


@dataclass(slots=True)
class _Line:
    """The register line being folded (a Spell without its validity)."""

    member: str
    name: int | None
    category: str
    shares: int
    paid_up: Decimal
    share_price: Decimal
    address: int | None
    email: int | None
    founder: bool
    admitted: dt.date
    status: str = "member"
    exit_date: dt.date | None = None
    exit_kind: str | None = None
    exit_reason: str | None = None

    def spell(self, valid_from: dt.date) -> Spell:
        return Spell(
            self.member,
            self.name,
            self.category,
            self.shares,
            self.paid_up,
            self.share_price,
            self.address,
            self.email,
            self.founder,
            self.admitted,
            self.status,
            self.exit_date,
            self.exit_kind,
            self.exit_reason,
            valid_from,
            None,
        )


def member_history(
    member: str, timeline: Sequence[ev.Entry], known_seq: int | None = None
) -> tuple[list[Spell], list[Movement]]:
    """Fold one member's timeline into their spells and movements."""
    spells: list[Spell] = []
    movements: list[Movement] = []
    line: _Line | None = None
    entries = live_entries(timeline, known_seq)
    for index, entry in enumerate(entries):
        line, movement = _apply(member, entry, line)
        if movement is not None:
            movements.append(movement)
        if line is None or (index + 1 < len(entries) and entries[index + 1].date == entry.date):
            continue  # the register shows the end of each day
        current = line.spell(entry.date)
        if spells and spells[-1][:-2] == current[:-2]:
            continue
        if spells:
            spells[-1] = spells[-1]._replace(valid_to=entry.date)
        spells.append(current)
    return spells, movements


def _committed(entry: ev.MemberAdmitted | ev.MemberUpdated) -> dict[str, int]:
    """Identity field -> the entry whose identity record holds it, for the fields the entry gives."""
    if entry.identity is None:
        return {}
    return dict.fromkeys(entry.identity_fields, entry.seq or 0)


def _apply(member: str, entry: ev.Entry, line: _Line | None) -> tuple[_Line | None, Movement | None]:
    """Change the register line for one entry; return it and the movement it makes, if any."""

    def moved(
        kind: str, count: int | None = None, amount: Decimal | None = None, reason: str | None = None
    ) -> Movement:
        category = line.category if line is not None else None
        return Movement(member, entry.seq or 0, entry.date, kind, category, count, amount, reason)

    if line is None or line.status != "member":
        match entry:
            case ev.MemberApplied():
                return line, moved("applied")._replace(category=entry.category)
            case ev.MemberRefused():
                return line, moved("refused", reason=entry.reason)
            case ev.MemberAdmitted():
                given = _committed(entry)
                line = _Line(
                    member,
                    given.get("name"),
                    entry.category,
                    entry.shares,
                    ZERO,
                    entry.share_price or ZERO,
                    given.get("address"),
                    given.get("email"),
                    entry.founder,
                    entry.date,
                )
                return line, moved("admitted", count=entry.shares)
        return line, None
    match entry:
        case ev.MemberUpdated():
            given = _committed(entry)
            line.name = given.get("name", line.name)
            line.address = given.get("address", line.address)
            line.email = given.get("email", line.email)
        case ev.MemberCategoryChanged():
            old, line.category = line.category, entry.category
            return line, moved("category_changed", reason=old)
        case ev.SharesSubscribed():
            line.shares += entry.count
            return line, moved("subscribed", count=entry.count, amount=entry.count * line.share_price)
        case ev.SharesPaid():
            line.paid_up += entry.amount
            return line, moved("paid", amount=entry.amount)
        case ev.SharesTransferred() if entry.member == member:
            # The paid-up capital the shares carry travels in the entry, so each side's fold
            # moves it alone; none: recorded before `paid_up` existed, the money stayed.
            line.shares -= entry.count
            line.paid_up -= entry.paid_up or ZERO
            return line, moved("transferred", count=entry.count, amount=entry.paid_up, reason=entry.to)
        case ev.SharesTransferred():
            line.shares += entry.count
            line.paid_up += entry.paid_up or ZERO
        case ev.SharesRedeemed():
            amount = redeemed_amount(entry, line.paid_up, line.share_price)
            line.shares -= entry.count
            line.paid_up -= amount
            return line, moved("redeemed", count=entry.count, amount=amount)
        case ev.ExitRequested():
            return line, moved("exit_requested")
        case ev.ExitRefused():
            return line, moved("exit_refused", reason=entry.reason)
        case ev.Exit():
            movement = moved(
                entry.kind, count=line.shares, amount=line.paid_up, reason=getattr(entry, "reason", None)
            )
            line.status, line.shares, line.paid_up = "former", 0, ZERO
            line.exit_date, line.exit_kind, line.exit_reason = entry.date, entry.kind, movement.reason
            return line, movement
    return line, None
