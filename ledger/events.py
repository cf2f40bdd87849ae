"""The journal vocabulary: one frozen msgspec Struct per entry type.

A journal line, a stored entry and an exported line are the same struct: the
ledger fills in the provenance fields (`seq`, `recorded`, `hash`, and `id` and
`by` when the clerk left them out) when it records the entry, and ignores them
on input. msgspec gives strict decoding (unknown type, missing field,
impossible date are errors) and deterministic encoding (fields always in
declaration order), which the hash chain relies on.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, ClassVar, Literal, Union

import msgspec
from msgspec import Meta, Struct, field

# Bounds of every field, checked on input (`ledger/bounds.py`; the table in
# docs/user-guide.md, "Bounds"). Each is something both backends and every read model
# hold, with the values the rules and reports derive from it.
#
# Dates: the rules add up to 12 years (`mandate_max_years`) and a day to a date, and
# Python dates end in 9999; 1800-2999 leaves every such sum representable.
FIRST_DATE = dt.date(1800, 1, 1)
LAST_DATE = dt.date(2999, 12, 31)
# Seats and votes: a PostgreSQL `integer` column holds up to 2**31 - 1 (2,147,483,647;
# SQLite 2**63 - 1); 10**9 leaves room for two of them added up.
MAX_COUNT = 1_000_000_000
# Shares (admitted, applied for, subscribed, transferred, redeemed): a register row holds
# a member's total in an `integer` column, and a subscription's movement row holds count x
# share price in a Numeric(14, 2): 10**8 x 9,999.99 euros is below 10**12. A member's total
# is a sum: 21 subscriptions of 10**8 shares would pass 2**31 (see docs/user-guide.md).
MAX_SHARES = 100_000_000
# A sequence number (a retraction by number, the provenance `seq`): a BIGINT, and exact
# as a JSON number in any reader (2**53).
MAX_SEQ = 2**53
# Euros: the read models hold amounts as Numeric(14, 2), at most 999,999,999,999.99. One
# payment, redemption or reserve of at most a billion; a share of at most 9,999.99 (see
# MAX_SHARES; the reports sum count x price in cents in a BIGINT, 9.2 x 10**18).
MAX_AMOUNT = Decimal("1000000000.00")
MAX_SHARE_PRICE = Decimal("9999.99")
# A dividend rate is a percentage, Numeric(7, 2) in the read models.
MAX_RATE = Decimal("100.00")
# A number in `statutes.amended`: no parameter needs more; the share price in force
# becomes an admission's `share_price`, so `share_price` keeps to MAX_SHARE_PRICE.
MAX_STATUTE_NUMBER = 1_000_000
# Text, in characters (code points): ids are String(200) columns; names, addresses,
# e-mails, titles, references and other single-line text at most 1,000 characters and no
# control character; free text (`note`, `reason`) at most 10,000, tabs and newlines allowed.
ID_LENGTH = 200
TEXT_LENGTH = 1_000
FREE_TEXT_LENGTH = 10_000

Id = Annotated[str, Meta(min_length=1, max_length=ID_LENGTH)]
Count = Annotated[int, Meta(ge=1)]
SeatCount = Annotated[int, Meta(ge=0)]
Votes = Annotated[int, Meta(ge=0)]

# The identity fields (personal data) an entry may carry: kept out of the chained entry,
# which holds a salted commitment to them instead (`ledger/identity.py`).
IDENTITY_FIELDS = ("name", "address", "email")

MEMBER = "member:"
ASSEMBLY = "assembly:"
BODY = "body:"
STATUTES = "statutes"
ASSERTIONS = "assertions"


class Entry(
    Struct,
    frozen=True,
    gc=False,
    kw_only=True,
    tag_field="type",
    forbid_unknown_fields=True,
    omit_defaults=True,
):
    """Fields common to every entry; provenance fields are set by the ledger."""

    date: dt.date
    id: Id | None = None
    ref: str | None = None
    note: str | None = None
    by: str | None = None
    seq: int | None = None
    recorded: str | None = None
    hash: str | None = None

    # Order of application within one effective date: exits before anything
    # else, so that "an exit dated D means not a member as of D" holds
    # whatever order the entries were typed in.
    phase: ClassVar[int] = 2
    # The journal type name, e.g. "member.admitted" (set below from each class's tag).
    type: ClassVar[str] = ""
    # Fields holding euro amounts, checked on input (see `ledger/bounds.py`).
    amounts: ClassVar[tuple[str, ...]] = ()
    # Personal data this type may carry (committed to, never chained; `ledger/identity.py`).
    identity_names: ClassVar[tuple[str, ...]] = ()

    def subjects(self) -> tuple[str, ...]:
        """The timelines this entry belongs to (a member, an assembly, a body)."""
        return ()

    def members(self) -> tuple[str, ...]:
        """The member ids this entry is about."""
        return tuple(s[len(MEMBER) :] for s in self.subjects() if s.startswith(MEMBER))


class Personal(Struct, frozen=True, gc=False, kw_only=True, forbid_unknown_fields=True, omit_defaults=True):
    """The personal data of an exported entry and the salt of its commitment (hex).

    Only in full exports and their re-import: the last member of the line, so that the
    line without it is the entry as chained (see docs/auditor-guide.md).
    """

    salt: str
    name: str | None = None
    address: str | None = None
    email: str | None = None


class MemberEntry(Entry, frozen=True, kw_only=True):
    """An entry about one member."""

    member: Id

    def subjects(self) -> tuple[str, ...]:
        return (MEMBER + self.member,)

    def members(self) -> tuple[str, ...]:
        return (self.member,)


class MemberApplied(MemberEntry, tag="member.applied", frozen=True, kw_only=True):
    """Someone applied for membership (the board has not decided yet)."""

    name: str | None = None
    category: Id
    shares: Count
    identity: str | None = None
    identity_fields: tuple[str, ...] = ()
    personal: Personal | None = None
    identity_names: ClassVar[tuple[str, ...]] = ("name",)


class MemberRefused(MemberEntry, tag="member.refused", frozen=True, kw_only=True):
    """The board refused an application for membership."""

    reason: str


class MemberAdmitted(MemberEntry, tag="member.admitted", frozen=True, kw_only=True):
    """The board admitted a member, who subscribes `shares` shares."""

    name: str | None = None
    category: Id
    shares: Count
    address: str | None = None
    email: str | None = None
    share_price: Decimal | None = None
    founder: bool = False
    identity: str | None = None
    identity_fields: tuple[str, ...] = ()
    personal: Personal | None = None
    amounts: ClassVar[tuple[str, ...]] = ("share_price",)
    identity_names: ClassVar[tuple[str, ...]] = IDENTITY_FIELDS


class MemberUpdated(MemberEntry, tag="member.updated", frozen=True, kw_only=True):
    """A member's name, address or e-mail changed."""

    name: str | None = None
    address: str | None = None
    email: str | None = None
    identity: str | None = None
    identity_fields: tuple[str, ...] = ()
    personal: Personal | None = None
    identity_names: ClassVar[tuple[str, ...]] = IDENTITY_FIELDS


class MemberCategoryChanged(MemberEntry, tag="member.category_changed", frozen=True, kw_only=True):
    """A member moved to another share category."""

    category: Id


class SharesSubscribed(MemberEntry, tag="shares.subscribed", frozen=True, kw_only=True):
    """A member subscribed more shares."""

    count: Count
    category: Id | None = None


class SharesPaid(MemberEntry, tag="shares.paid", frozen=True, kw_only=True):
    """A member paid up part of the subscribed capital."""

    amount: Decimal
    amounts: ClassVar[tuple[str, ...]] = ("amount",)


class SharesTransferred(MemberEntry, tag="shares.transferred", frozen=True, kw_only=True):
    """A member transferred shares to another member; the shares keep their category and carry
    `paid_up` euros of paid-up capital with them, from the giver to the receiver.

    The ledger fills `paid_up` in when the clerk leaves it out (the shares' even part of the
    giver's paid-up capital, `ledger.state.carried_paid_up`). An entry recorded before the field
    existed has none: the paid-up money stayed with the giver, and it replays so.
    """

    to: Id
    count: Count
    paid_up: Decimal | None = None
    amounts: ClassVar[tuple[str, ...]] = ("paid_up",)

    def subjects(self) -> tuple[str, ...]:
        return tuple(MEMBER + member for member in self.members())

    def members(self) -> tuple[str, ...]:
        """Both sides; one, for shares given to their own holder (refused by the rules, but
        recorded if retracted in the same batch: indexed once under its member)."""
        return (self.member,) if self.to == self.member else (self.member, self.to)


class SharesRedeemed(MemberEntry, tag="shares.redeemed", frozen=True, kw_only=True):
    """The cooperative bought back shares; `amount` is what was paid back."""

    count: Count
    amount: Decimal | None = None
    amounts: ClassVar[tuple[str, ...]] = ("amount",)


class ExitRequested(MemberEntry, tag="member.exit_requested", frozen=True, kw_only=True):
    """A member asked to leave."""

    phase: ClassVar[int] = 0


class ExitRefused(MemberEntry, tag="member.exit_refused", frozen=True, kw_only=True):
    """The board refused a member's request to leave."""

    reason: str
    phase: ClassVar[int] = 0


class Exit(MemberEntry, frozen=True, kw_only=True):
    """A member stopped being a member; the exit takes all their shares."""

    phase: ClassVar[int] = 1
    kind: ClassVar[str] = ""


class MemberResigned(Exit, tag="member.resigned", frozen=True, kw_only=True):
    """A member resigned (voluntary exit)."""

    kind: ClassVar[str] = "resigned"


class MemberLeft(Exit, tag="member.left", frozen=True, kw_only=True):
    """A member left by right: death, end of employment, bankruptcy, other."""

    reason: Literal["death", "end_of_employment", "bankruptcy", "other"]
    kind: ClassVar[str] = "left"


class MemberExcluded(Exit, tag="member.excluded", frozen=True, kw_only=True):
    """The cooperative excluded a member."""

    reason: str
    kind: ClassVar[str] = "excluded"


class AssemblyEntry(Entry, frozen=True, kw_only=True):
    """An entry about one general assembly."""

    assembly: Id

    def subjects(self) -> tuple[str, ...]:
        return (ASSEMBLY + self.assembly,)


class AssemblyConvened(AssemblyEntry, tag="assembly.convened", frozen=True, kw_only=True):
    """A general assembly met on `date`."""

    kind: Literal["ordinary", "extraordinary"]
    # First thing of its day: the revocations and rejections it decides leave seats in phase 1.
    phase: ClassVar[int] = 0


class AssemblyVoted(AssemblyEntry, tag="assembly.voted", frozen=True, kw_only=True):
    """A member took part in the votes of an assembly (never how they voted)."""

    member: Id
    proxy: Id | None = None

    def subjects(self) -> tuple[str, ...]:
        subjects = (ASSEMBLY + self.assembly, MEMBER + self.member)
        return subjects + ((MEMBER + self.proxy,) if self.proxy else ())


class ResolutionDecided(AssemblyEntry, tag="resolution.decided", frozen=True, kw_only=True):
    """An assembly voted on a resolution: the counts, never the voters."""

    resolution: Id
    title: str
    for_: Votes = field(name="for")
    against: Votes
    abstain: Votes
    majority: Literal["simple", "two_thirds", "three_quarters", "four_fifths"] = "simple"


class ResultAllocated(AssemblyEntry, tag="result.allocated", frozen=True, kw_only=True):
    """The assembly allocated a fiscal year's result."""

    year: Annotated[int, Meta(ge=1800, le=2999)]
    reserves: Decimal | None = None
    dividend_rate: Decimal | None = None
    amounts: ClassVar[tuple[str, ...]] = ("reserves", "dividend_rate")


class BodyEntry(Entry, frozen=True, kw_only=True):
    """An entry about a body (the board by default) and its seats."""

    body: Id = "board"

    def subjects(self) -> tuple[str, ...]:
        return (BODY + self.body,)


class BodySeats(BodyEntry, tag="body.seats", frozen=True, kw_only=True):
    """The statutes set the number of seats of a body from `date` on."""

    count: SeatCount


class MandateEntry(BodyEntry, frozen=True, kw_only=True):
    """An entry about one person's mandate in a body."""

    person: Id

    def subjects(self) -> tuple[str, ...]:
        return (BODY + self.body, MEMBER + self.person)


class MandateElected(MandateEntry, tag="mandate.elected", frozen=True, kw_only=True):
    """An assembly elected a person to a seat until `until`."""

    until: dt.date
    assembly: Id
    name: str | None = None
    identity: str | None = None
    identity_fields: tuple[str, ...] = ()
    personal: Personal | None = None
    identity_names: ClassVar[tuple[str, ...]] = ("name",)


class MandateRenewed(MandateEntry, tag="mandate.renewed", frozen=True, kw_only=True):
    """An assembly renewed a mandate until `until`."""

    until: dt.date
    assembly: Id


class MandateCoopted(MandateEntry, tag="mandate.coopted", frozen=True, kw_only=True):
    """The body co-opted a person into a vacancy, pending the next assembly."""

    replaces: Id | None = None
    until: dt.date | None = None
    name: str | None = None
    identity: str | None = None
    identity_fields: tuple[str, ...] = ()
    personal: Personal | None = None
    identity_names: ClassVar[tuple[str, ...]] = ("name",)


class MandateConfirmed(MandateEntry, tag="mandate.confirmed", frozen=True, kw_only=True):
    """An assembly confirmed a cooptation."""

    assembly: Id


class MandateRejected(MandateEntry, tag="mandate.rejected", frozen=True, kw_only=True):
    """An assembly rejected a cooptation: the mandate ends that day."""

    assembly: Id
    phase: ClassVar[int] = 1


class MandateResigned(MandateEntry, tag="mandate.resigned", frozen=True, kw_only=True):
    """A person resigned from a body."""

    phase: ClassVar[int] = 1


class MandateRevoked(MandateEntry, tag="mandate.revoked", frozen=True, kw_only=True):
    """An assembly revoked a mandate."""

    assembly: Id
    phase: ClassVar[int] = 1


class StatutesAmended(Entry, tag="statutes.amended", frozen=True, kw_only=True):
    """The statutes changed one parameter from `date` on."""

    parameter: Id
    value: str | int | float | bool

    def subjects(self) -> tuple[str, ...]:
        return (STATUTES,)


class EntryRetracted(Entry, tag="entry.retracted", frozen=True, kw_only=True):
    """Withdraws an earlier entry (by id or sequence number); nothing is deleted."""

    entry: str | int
    reason: str


class IdentityErased(Entry, tag="identity.erased", frozen=True, kw_only=True):
    """A person's identity was erased from the identity store; the entries keep their commitments.

    `member` is the member id, or the person id of a mandate holder from outside.
    """

    member: Id
    reason: str

    def subjects(self) -> tuple[str, ...]:
        return (MEMBER + self.member,)


class Assertion(Entry, frozen=True, kw_only=True):
    """A figure of the register pinned by a clerk (a signed report's): the ledger refuses any
    batch after which the register, as of `date`, disagrees with it (`projections/assertions.py`)."""

    count: Annotated[int, Meta(ge=0)]
    category: Id | None = None
    # Checked at the end of its day, after every other entry of that date.
    phase: ClassVar[int] = 3

    def subjects(self) -> tuple[str, ...]:
        return (ASSERTIONS,)


class MembersAsserted(Assertion, tag="assert.members", frozen=True, kw_only=True):
    """The register holds `count` members on `date` (of `category`, if given)."""


class SharesAsserted(Assertion, tag="assert.shares", frozen=True, kw_only=True):
    """The members hold `count` shares in all on `date` (members of `category`, if given)."""


# An entry type that may carry personal data (it has the `identity` fields).
Identified = MemberApplied | MemberAdmitted | MemberUpdated | MandateElected | MandateCoopted

Event = Union[  # noqa: UP007  (a runtime union value for msgspec)
    MemberApplied,
    MemberRefused,
    MemberAdmitted,
    MemberUpdated,
    MemberCategoryChanged,
    SharesSubscribed,
    SharesPaid,
    SharesTransferred,
    SharesRedeemed,
    ExitRequested,
    ExitRefused,
    MemberResigned,
    MemberLeft,
    MemberExcluded,
    AssemblyConvened,
    AssemblyVoted,
    ResolutionDecided,
    ResultAllocated,
    BodySeats,
    MandateElected,
    MandateRenewed,
    MandateCoopted,
    MandateConfirmed,
    MandateRejected,
    MandateResigned,
    MandateRevoked,
    StatutesAmended,
    EntryRetracted,
    IdentityErased,
    MembersAsserted,
    SharesAsserted,
]

EVENT_TYPES: dict[str, type[Entry]] = {
    cls.__struct_config__.tag: cls
    for cls in Event.__args__  # type: ignore[attr-defined]
}


for _tag, _cls in EVENT_TYPES.items():
    _cls.type = _tag


CENT = Decimal("0.01")


def with_cents(entry: Entry) -> Entry:
    """Amounts written with exactly two decimals ("25" -> "25.00"): one spelling per amount."""
    changes = {}
    for name in entry.amounts:
        amount = getattr(entry, name)
        if amount is not None and amount.as_tuple().exponent != -2:
            changes[name] = amount.quantize(CENT)
    return msgspec.structs.replace(entry, **changes) if changes else entry


class Placed(Struct, frozen=True, gc=False):
    """Of a stored entry, what places it in effective order (and its id), decoded without
    the rest: twice as fast as `decode`, for a pass that looks at every entry and keeps few."""

    type: str
    date: dt.date
    seq: int | None = None
    id: str | None = None


Place = tuple[dt.date, int, int]  # where an entry takes effect: its date, phase and sequence number


def effective_order(entry: Entry) -> Place:
    """The order in which entries take effect: date, then exits first, then sequence."""
    return (entry.date, entry.phase, entry.seq or 0)


_encoder = msgspec.json.Encoder(decimal_format="string")
_decoder = msgspec.json.Decoder(Event)
_placed = msgspec.json.Decoder(Placed)


def encode(entry: Entry) -> bytes:
    """Canonical bytes of an entry: same entry, same bytes."""
    return _encoder.encode(entry)


def placed(data: bytes) -> Placed:
    """The placing fields of a stored entry (`Placed`); raises as `decode` does."""
    return _placed.decode(data)


def decode(data: bytes | str) -> Entry:
    """Decode a stored entry; raises msgspec.ValidationError or DecodeError.

    Lenient on purpose: the bounds are checked on input (`ledger/bounds.py`),
    never on reading back, so no entry recorded before a bound
    was tightened can make the ledger unreadable.
    """
    try:
        return _decoder.decode(data)
    except TypeError as e:  # a number written into a stored state outside coopledger
        raise msgspec.DecodeError(f"the stored state is {data!r:.40}, not bytes") from e
