"""Just enough state to check the rules, folded over entries in effective order.

`LedgerState` holds the members, assemblies and bodies the ledger has loaded
for the entries it is checking. A subject that was not loaded is unknown
(`None`), and rules skip what they cannot see: an unloaded timeline is one the
new entries do not touch, so what held for it still holds.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from functools import singledispatch
from typing import Literal

from ledger import events as ev
from ledger.statutes import Statutes

Status = Literal["none", "applicant", "member", "former"]


@dataclass
class MemberState:
    """A member (or applicant) as the rules see them on the date being checked."""

    status: Status = "none"
    admitted: dt.date | None = None
    founder: bool = False
    category: str = ""
    shares: int = 0
    paid: Decimal = Decimal("0.00")
    share_price: Decimal = Decimal("0.00")
    exit_requested: bool = False

    @property
    def is_member(self) -> bool:
        return self.status == "member"


@dataclass
class LedgerState:
    """The loaded part of the ledger; `known` is None when everything is loaded."""

    statutes: Statutes = field(default_factory=Statutes)
    known: frozenset[str] | None = None
    members: dict[str, MemberState] = field(default_factory=dict)

    def knows(self, subject: str) -> bool:
        return self.known is None or subject in self.known

    def member(self, member_id: str) -> MemberState | None:
        """The member's state, or None when their timeline was not loaded."""
        if not self.knows(ev.MEMBER + member_id):
            return None
        return self.members.setdefault(member_id, MemberState())


@singledispatch
def apply(entry: ev.Entry, state: LedgerState) -> None:
    """Fold one accepted entry into the state (entries with no effect: nothing)."""


@apply.register
def _(entry: ev.MemberApplied, state: LedgerState) -> None:
    member = state.member(entry.member)
    if member is not None and member.status == "none":
        member.status = "applicant"


@apply.register
def _(entry: ev.MemberRefused, state: LedgerState) -> None:
    member = state.member(entry.member)
    if member is not None and member.status == "applicant":
        member.status = "none"


@apply.register
def _(entry: ev.MemberAdmitted, state: LedgerState) -> None:
    member = state.member(entry.member)
    if member is None:
        return
    member.status = "member"
    member.admitted = entry.date
    member.founder = entry.founder
    member.category = entry.category
    member.shares = entry.shares
    member.share_price = entry.share_price or Decimal("0.00")


@apply.register
def _(entry: ev.MemberCategoryChanged, state: LedgerState) -> None:
    member = state.member(entry.member)
    if member is not None:
        member.category = entry.category


@apply.register
def _(entry: ev.SharesSubscribed, state: LedgerState) -> None:
    member = state.member(entry.member)
    if member is not None:
        member.shares += entry.count


@apply.register
def _(entry: ev.SharesPaid, state: LedgerState) -> None:
    member = state.member(entry.member)
    if member is not None:
        member.paid += entry.amount


@apply.register
def _(entry: ev.SharesTransferred, state: LedgerState) -> None:
    giver, taker = state.member(entry.member), state.member(entry.to)
    if giver is not None:
        giver.shares -= entry.count
    if taker is not None:
        taker.shares += entry.count


@apply.register
def _(entry: ev.SharesRedeemed, state: LedgerState) -> None:
    member = state.member(entry.member)
    if member is not None:
        member.paid -= redeemed_amount(entry, member)
        member.shares -= entry.count


def redeemed_amount(entry: ev.SharesRedeemed, member: MemberState) -> Decimal:
    """What a redemption pays back: the stated amount, else the shares' paid-up value."""
    if entry.amount is not None:
        return entry.amount
    return min(member.paid, entry.count * member.share_price)


@apply.register
def _(entry: ev.ExitRequested, state: LedgerState) -> None:
    member = state.member(entry.member)
    if member is not None:
        member.exit_requested = True


@apply.register
def _(entry: ev.ExitRefused, state: LedgerState) -> None:
    member = state.member(entry.member)
    if member is not None:
        member.exit_requested = False


@apply.register
def _(entry: ev.Exit, state: LedgerState) -> None:
    member = state.member(entry.member)
    if member is not None:
        member.status = "former"
        member.shares = 0
        member.paid = Decimal("0.00")
        member.exit_requested = False
