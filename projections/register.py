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
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import NamedTuple

from ledger import events as ev

ZERO = Decimal("0.00")
_CURRENT = object()  # a movement's category defaults to the member's category at that point


class Spell(NamedTuple):
    """A member's register line, valid for effective dates [valid_from, valid_to)."""

    member: str
    name: str
    category: str
    shares: int
    paid_up: Decimal
    share_price: Decimal
    address: str | None
    email: str | None
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
    count: int | None
    amount: Decimal | None
    reason: str | None


_LINE_FIELDS = Spell._fields[:-2]  # a spell is the register line plus its validity


def live_entries(timeline: Iterable[ev.Entry], known_seq: int | None = None) -> list[ev.Entry]:
    """Entries known at `known_seq` (all if None) and not retracted by then, in effective order."""
    known = [e for e in timeline if known_seq is None or (e.seq or 0) <= known_seq]
    withdrawn = {str(e.entry) for e in known if isinstance(e, ev.EntryRetracted)}
    if withdrawn:
        known = [e for e in known if e.id not in withdrawn and not isinstance(e, ev.EntryRetracted)]
    if len(known) > 1:
        known.sort(key=ev.effective_order)
    return known


def member_history(
    member: str, timeline: Sequence[ev.Entry], known_seq: int | None = None
) -> tuple[list[Spell], list[Movement]]:
    """Fold one member's timeline into their spells and movements."""
    spells: list[Spell] = []
    movements: list[Movement] = []
    line: dict[str, object] = {}
    entries = live_entries(timeline, known_seq)
    for index, entry in enumerate(entries):
        movement = _apply(member, entry, line)
        if movement is not None:
            movements.append(movement)
        if not line or (index + 1 < len(entries) and entries[index + 1].date == entry.date):
            continue  # the register shows the end of each day
        current = Spell(*[line[name] for name in _LINE_FIELDS], entry.date, None)  # type: ignore[arg-type]
        if spells and spells[-1][:-2] == current[:-2]:
            continue
        if spells:
            spells[-1] = spells[-1]._replace(valid_to=entry.date)
        spells.append(current)
    return spells, movements


def _apply(member: str, entry: ev.Entry, line: dict[str, object]) -> Movement | None:
    """Change the register line for one entry; return the movement it makes, if any."""

    def moved(
        kind: str, count: int | None = None, amount: Decimal | None = None, reason: str | None = None,
        category: object = _CURRENT,
    ) -> Movement:
        if category is _CURRENT:
            category = line.get("category")
        return Movement(member, entry.seq or 0, entry.date, kind, category, count, amount, reason)  # type: ignore[arg-type]

    match entry:
        case ev.MemberApplied() | ev.MemberRefused() if line.get("status") != "member":
            return moved(
                entry.type.split(".")[1],
                category=getattr(entry, "category", None),
                reason=getattr(entry, "reason", None),
            )
        case ev.MemberAdmitted():
            line.update(
                member=member,
                name=entry.name,
                category=entry.category,
                shares=entry.shares,
                paid_up=ZERO,
                share_price=entry.share_price or ZERO,
                address=entry.address,
                email=entry.email,
                founder=entry.founder,
                admitted=entry.date,
                status="member",
                exit_date=None,
                exit_kind=None,
                exit_reason=None,
            )
            return moved("admitted", count=entry.shares)
    if line.get("status") != "member":
        return None
    match entry:
        case ev.MemberUpdated():
            for key in ("name", "address", "email"):
                if getattr(entry, key) is not None:
                    line[key] = getattr(entry, key)
        case ev.MemberCategoryChanged():
            old = line["category"]
            line["category"] = entry.category
            return moved("category_changed", category=entry.category, reason=str(old))
        case ev.SharesSubscribed():
            line["shares"] = int(line["shares"]) + entry.count  # type: ignore[call-overload]
            return moved("subscribed", count=entry.count, amount=entry.count * line["share_price"])  # type: ignore[operator]
        case ev.SharesPaid():
            line["paid_up"] = line["paid_up"] + entry.amount  # type: ignore[operator]
            return moved("paid", amount=entry.amount)
        case ev.SharesTransferred() if entry.member == member:
            line["shares"] = int(line["shares"]) - entry.count  # type: ignore[call-overload]
            return moved("transferred", count=entry.count, reason=entry.to)
        case ev.SharesTransferred():
            line["shares"] = int(line["shares"]) + entry.count  # type: ignore[call-overload]
        case ev.SharesRedeemed():
            paid, price = line["paid_up"], line["share_price"]
            amount = entry.amount if entry.amount is not None else min(paid, entry.count * price)  # type: ignore[operator, type-var]
            line["shares"] = int(line["shares"]) - entry.count  # type: ignore[call-overload]
            line["paid_up"] = paid - amount  # type: ignore[operator]
            return moved("redeemed", count=entry.count, amount=amount)
        case ev.ExitRequested() | ev.ExitRefused():
            return moved(entry.type.split(".")[1], reason=getattr(entry, "reason", None))
        case ev.Exit():
            count, amount = line["shares"], line["paid_up"]
            reason = getattr(entry, "reason", None)
            line.update(
                status="former",
                shares=0,
                paid_up=ZERO,
                exit_date=entry.date,
                exit_kind=entry.kind,
                exit_reason=reason,
            )
            return moved(entry.kind, count=count, amount=amount, reason=reason)
    return None
