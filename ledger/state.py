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
from typing import Literal, TypeVar

import msgspec

from coopledger.ledger import events as ev
from coopledger.ledger.statutes import Statutes
from coopledger.ledger.timeline import coopted_until, redeemed_amount

Status = Literal["none", "applicant", "member", "former"]
ZERO = Decimal("0.00")
T = TypeVar("T", dt.date, Decimal)
_values: dict[object, object] = {}


def shared(value: T) -> T:
    """One object for every equal date or amount a member's state keeps.

    Each decoded entry brings its own; kept per member, they were a third of `verify`'s memory
    on a large ledger, for a few thousand distinct days and amounts. Amounts are keyed by their
    text: 1.0 equals 1.00, and one must not stand for the other.
    """
    key = value if isinstance(value, dt.date) else str(value)
    return _values.setdefault(key, value)  # type: ignore[return-value]


@dataclass(slots=True)
class MemberState:
    """A member (or applicant) as the rules see them on the date being checked."""

    status: Status = "none"
    admitted: dt.date | None = None
    founder: bool = False
    category: str = ""
    shares: int = 0
    paid: Decimal = ZERO
    share_price: Decimal = ZERO
    exit_requested: bool = False
    exited: dt.date | None = None  # the last exit
    refused: dt.date | None = None  # the last refusal of an application
    identified: bool = False  # an identity is held (recorded since the last erasure)
    erased: dt.date | None = None  # the last erasure of their identity

    @property
    def is_member(self) -> bool:
        return self.status == "member"


@dataclass(slots=True)
class AssemblyState:
    """A general assembly: when it met, who took part, what it decided."""

    date: dt.date | None = None
    voters: dict[str, str | None] = field(default_factory=dict)  # member -> proxy holder (None: in person)
    proxies_held: dict[str, int] = field(default_factory=dict)
    weights: dict[str, int | None] = field(default_factory=dict)  # shares that day (None: not loaded)
    resolutions: set[str] = field(default_factory=set)
    allocated: int | None = None  # the fiscal year whose result it allocated


@dataclass(slots=True)
class Term:
    """One person's mandate in a body, held until `until` (exclusive) unless it ends earlier."""

    start: dt.date
    until: dt.date
    pending: bool = False  # a cooptation the assembly has not confirmed yet


@dataclass(slots=True)
class BodyState:
    """A body's statutory seats, its mandates, and the terms people left before they ran out."""

    seats: int = 0
    terms: dict[str, Term] = field(default_factory=dict)
    vacated: dict[str, Term] = field(default_factory=dict)  # person -> the term they left early
    filled: set[str] = field(default_factory=set)  # vacated terms a cooptation has taken over
    ended: dict[str, dt.date] = field(default_factory=dict)  # person -> when they last left early

    def holding(self, person: str, on: dt.date) -> Term | None:
        """The person's mandate on `on`: a mandate is no longer held as of its `until`."""
        term = self.terms.get(person)
        return term if term is not None and term.until > on else None

    def holders(self, on: dt.date) -> list[str]:
        return [person for person, term in self.terms.items() if term.until > on]

    def vacate(self, person: str, on: dt.date | None = None) -> None:
        """The person's term ended before its `until` (resigned, revoked, cooptation rejected)."""
        term = self.terms.pop(person, None)
        if term is not None and on is not None:
            self.ended[person] = on
        if term is not None:
            self.vacated[person] = term
            self.filled.discard(person)


@dataclass(slots=True)
class LedgerState:
    """The loaded part of the ledger; `known` is None when everything is loaded."""

    statutes: Statutes = field(default_factory=Statutes)
    known: frozenset[str] | None = None
    members: dict[str, MemberState] = field(default_factory=dict)
    assemblies: dict[str, AssemblyState] = field(default_factory=dict)
    bodies: dict[str, BodyState] = field(default_factory=dict)

    def knows(self, subject: str) -> bool:
        return self.known is None or subject in self.known

    def member(self, member_id: str) -> MemberState | None:
        """The member's state, or None when their timeline was not loaded."""
        found = self.members.get(member_id)
        if found is None and self.knows(ev.MEMBER + member_id):
            found = self.members[member_id] = MemberState()
        return found

    def assembly(self, assembly_id: str) -> AssemblyState | None:
        """The assembly's state, or None when its timeline was not loaded."""
        if not self.knows(ev.ASSEMBLY + assembly_id):
            return None
        return self.assemblies.setdefault(assembly_id, AssemblyState())

    def body(self, name: str) -> BodyState | None:
        """The body's state, or None when its timeline was not loaded."""
        if not self.knows(ev.BODY + name):
            return None
        return self.bodies.setdefault(name, BodyState())


@singledispatch
def apply(entry: ev.Entry, state: LedgerState) -> None:
    """Fold one accepted entry into the state (entries with no effect: nothing)."""


@apply.register
def _(entry: ev.MemberApplied, state: LedgerState) -> None:
    member = state.member(entry.member)
    if member is not None:
        member.identified = True
    if member is not None and member.status == "none":
        member.status = "applicant"


@apply.register
def _(entry: ev.MemberRefused, state: LedgerState) -> None:
    member = state.member(entry.member)
    if member is not None and member.status == "applicant":
        member.status = "none"
        member.refused = entry.date


@apply.register
def _(entry: ev.MemberAdmitted, state: LedgerState) -> None:
    member = state.member(entry.member)
    if member is None:
        return
    member.status = "member"
    member.identified = True
    member.admitted = shared(entry.date)
    member.founder = entry.founder
    member.category = entry.category
    member.shares = entry.shares
    member.share_price = shared(entry.share_price or ZERO)


@apply.register
def _(entry: ev.MemberUpdated, state: LedgerState) -> None:
    member = state.member(entry.member)
    if member is not None and (entry.identity_fields or entry.name or entry.address or entry.email):
        member.identified = True


@apply.register
def _(entry: ev.IdentityErased, state: LedgerState) -> None:
    person = state.member(entry.member)
    if person is not None:
        person.identified = False
        person.erased = entry.date


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
        member.paid = shared(member.paid + entry.amount)


@apply.register
def _(entry: ev.SharesTransferred, state: LedgerState) -> None:
    giver, taker = state.member(entry.member), state.member(entry.to)
    carried = entry.paid_up or ZERO  # none: recorded before `paid_up` existed, the money stayed
    if giver is not None:
        giver.shares -= entry.count
        giver.paid -= carried
    if taker is not None:
        taker.shares += entry.count
        taker.paid += carried


def carried_paid_up(paid: Decimal, shares: int, count: int) -> Decimal:
    """The paid-up capital `count` of a member's `shares` shares carry: their even part of the
    member's paid-up `paid`, rounded down to the cent.

    Rounded down, the shares given never carry more than their price, nor do the shares kept
    (whole cents: paid - floor(paid x count / shares) <= (shares - count) x price).
    """
    if shares <= 0 or paid <= 0:
        return ZERO
    cents = int(paid * 100) * min(count, shares) // shares
    return Decimal(cents).scaleb(-2)


def completed(entry: ev.Entry, state: LedgerState) -> ev.Entry:
    """The entry with what the ledger fills in from the state on its date, when the clerk left it
    out: the paid-up capital a transfer's shares carry (`carried_paid_up`)."""
    if isinstance(entry, ev.SharesTransferred) and entry.paid_up is None:
        giver = state.member(entry.member)
        if giver is not None:
            carried = carried_paid_up(giver.paid, giver.shares, entry.count)
            return msgspec.structs.replace(entry, paid_up=carried)
    return entry


@apply.register
def _(entry: ev.SharesRedeemed, state: LedgerState) -> None:
    member = state.member(entry.member)
    if member is not None:
        member.paid -= redeemed_amount(entry, member.paid, member.share_price)
        member.shares -= entry.count


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
        member.exited = shared(entry.date)
        member.shares = 0
        member.paid = ZERO
        member.exit_requested = False


# -- governance ------------------------------------------------------------------------


@apply.register
def _(entry: ev.AssemblyConvened, state: LedgerState) -> None:
    assembly = state.assembly(entry.assembly)
    if assembly is not None:
        assembly.date = entry.date


@apply.register
def _(entry: ev.AssemblyVoted, state: LedgerState) -> None:
    assembly = state.assembly(entry.assembly)
    if assembly is None:
        return
    assembly.voters[entry.member] = entry.proxy
    if entry.proxy is not None:
        assembly.proxies_held[entry.proxy] = assembly.proxies_held.get(entry.proxy, 0) + 1
    member = state.member(entry.member)
    assembly.weights[entry.member] = member.shares if member is not None else None


@apply.register
def _(entry: ev.ResolutionDecided, state: LedgerState) -> None:
    assembly = state.assembly(entry.assembly)
    if assembly is not None:
        assembly.resolutions.add(entry.resolution)


@apply.register
def _(entry: ev.ResultAllocated, state: LedgerState) -> None:
    assembly = state.assembly(entry.assembly)
    if assembly is not None:
        assembly.allocated = entry.year


@apply.register
def _(entry: ev.BodySeats, state: LedgerState) -> None:
    body = state.body(entry.body)
    if body is not None:
        body.seats = entry.count


@apply.register(ev.MandateElected)
@apply.register(ev.MandateRenewed)
def _(entry: ev.MandateElected | ev.MandateRenewed, state: LedgerState) -> None:
    body = state.body(entry.body)
    if body is not None:
        body.terms[entry.person] = Term(entry.date, entry.until)
    _named(entry, state)


def _named(entry: ev.MandateEntry, state: LedgerState) -> None:
    """A mandate entry naming its holder puts an identity in the store."""
    if getattr(entry, "name", None) is not None or getattr(entry, "identity", None) is not None:
        person = state.member(entry.person)
        if person is not None:
            person.identified = True


@apply.register
def _(entry: ev.MandateCoopted, state: LedgerState) -> None:
    _named(entry, state)
    body = state.body(entry.body)
    if body is None:
        return
    replaced = body.vacated.get(entry.replaces) if entry.replaces is not None else None
    until = coopted_until(entry, replaced.until if replaced is not None else None)
    if until is not None:
        body.terms[entry.person] = Term(entry.date, until, pending=True)
    if entry.replaces is not None:
        body.filled.add(entry.replaces)


@apply.register
def _(entry: ev.MandateConfirmed, state: LedgerState) -> None:
    body = state.body(entry.body)
    term = body.holding(entry.person, entry.date) if body is not None else None
    if term is not None:
        term.pending = False


@apply.register(ev.MandateRejected)
@apply.register(ev.MandateResigned)
@apply.register(ev.MandateRevoked)
def _(entry: ev.MandateEntry, state: LedgerState) -> None:
    body = state.body(entry.body)
    if body is not None:
        body.vacate(entry.person, entry.date)
