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
import json
import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, ClassVar, Literal, NamedTuple, Union

import msgspec
from msgspec import Meta, Struct, field

# Bounds of every field, checked on input (`decode_input`, `check_input`; the table in
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

MEMBER = "member:"
ASSEMBLY = "assembly:"
BODY = "body:"
STATUTES = "statutes"


class Entry(
    Struct,
    frozen=True,
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
    # Fields holding euro amounts, checked on input (see `check_input`).
    amounts: ClassVar[tuple[str, ...]] = ()

    def subjects(self) -> tuple[str, ...]:
        """The timelines this entry belongs to (a member, an assembly, a body)."""
        return ()

    def members(self) -> tuple[str, ...]:
        """The member ids this entry is about."""
        return tuple(s[len(MEMBER) :] for s in self.subjects() if s.startswith(MEMBER))


class MemberEntry(Entry, frozen=True, kw_only=True):
    """An entry about one member."""

    member: Id

    def subjects(self) -> tuple[str, ...]:
        return (MEMBER + self.member,)

    def members(self) -> tuple[str, ...]:
        return (self.member,)


class MemberApplied(MemberEntry, tag="member.applied", frozen=True, kw_only=True):
    """Someone applied for membership (the board has not decided yet)."""

    name: str
    category: Id
    shares: Count


class MemberRefused(MemberEntry, tag="member.refused", frozen=True, kw_only=True):
    """The board refused an application for membership."""

    reason: str


class MemberAdmitted(MemberEntry, tag="member.admitted", frozen=True, kw_only=True):
    """The board admitted a member, who subscribes `shares` shares."""

    name: str
    category: Id
    shares: Count
    address: str | None = None
    email: str | None = None
    share_price: Decimal | None = None
    founder: bool = False
    amounts: ClassVar[tuple[str, ...]] = ("share_price",)


class MemberUpdated(MemberEntry, tag="member.updated", frozen=True, kw_only=True):
    """A member's name, address or e-mail changed."""

    name: str | None = None
    address: str | None = None
    email: str | None = None


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
    """A member transferred shares to another member (the money stays paid in)."""

    to: Id
    count: Count

    def subjects(self) -> tuple[str, ...]:
        return (MEMBER + self.member, MEMBER + self.to)

    def members(self) -> tuple[str, ...]:
        return (self.member, self.to)


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


class MandateRenewed(MandateEntry, tag="mandate.renewed", frozen=True, kw_only=True):
    """An assembly renewed a mandate until `until`."""

    until: dt.date
    assembly: Id


class MandateCoopted(MandateEntry, tag="mandate.coopted", frozen=True, kw_only=True):
    """The body co-opted a person into a vacancy, pending the next assembly."""

    replaces: Id | None = None
    until: dt.date | None = None
    name: str | None = None


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
]

EVENT_TYPES: dict[str, type[Entry]] = {
    cls.__struct_config__.tag: cls  # type: ignore[misc]
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


def effective_order(entry: Entry) -> tuple[dt.date, int, int]:
    """The order in which entries take effect: date, then exits first, then sequence."""
    return (entry.date, entry.phase, entry.seq or 0)


_encoder = msgspec.json.Encoder(decimal_format="string")
_decoder = msgspec.json.Decoder(Event)


def encode(entry: Entry) -> bytes:
    """Canonical bytes of an entry: same entry, same bytes."""
    return _encoder.encode(entry)


def decode(data: bytes | str) -> Entry:
    """Decode a stored entry; raises msgspec.ValidationError or DecodeError.

    Lenient on purpose: the bounds are checked on input (`decode_input`,
    `check_input`), never on reading back, so no entry recorded before a bound
    was tightened can make the ledger unreadable.
    """
    return _decoder.decode(data)


# -- bounds, checked on input -------------------------------------------------------------

# A field's check: None when the value is within bounds, else what is wrong with it.
Check = Callable[[Any], "str | None"]

# Control characters (C0, DEL, C1) and unpaired surrogates (which neither UTF-8 nor
# PostgreSQL can hold); free text may hold tabs and newlines.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_CONTROL_IN_FREE_TEXT = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")


def _shown(value: object) -> str:
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= 40 else f"{text[:20]}... ({len(text)} characters)"


def _text(limit: int, control: re.Pattern[str], minimum: int = 0) -> Check:
    allowed = " other than tab and newline" if control is _CONTROL_IN_FREE_TEXT else ""

    def check(value: Any) -> str | None:
        if not isinstance(value, str):
            return f"Expected `str`, got `{type(value).__name__}`"
        if len(value) > limit:
            return f"Expected a text of at most {limit} characters, got {len(value)}"
        if len(value) < minimum:
            return f"Expected a text of at least {minimum} character"
        found = control.search(value)
        if found is None:
            return None
        char = found.group()
        what = "an unpaired surrogate" if "\ud800" <= char <= "\udfff" else "control character"
        where = f"U+{ord(char):04X} at character {found.start() + 1}"
        return f"Expected no control characters{allowed}, got {what} {where}"

    return check


def _int(low: int, high: int) -> Check:
    def check(value: Any) -> str | None:
        if isinstance(value, bool) or not isinstance(value, int):
            return f"Expected `int`, got `{type(value).__name__}`"
        if value > high:
            return f"Expected at most {high}, got {_shown(value)}"
        if value < low:
            return f"Expected at least {low}, got {_shown(value)}"
        return None

    return check


def _date(value: Any) -> str | None:
    if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
        return f"Expected a date, got `{type(value).__name__}`"
    if FIRST_DATE <= value <= LAST_DATE:
        return None
    return f"Expected a date from {FIRST_DATE} to {LAST_DATE}, got {value}"


def _decimal(high: Decimal, what: str) -> Check:
    """Finite, non-negative, whole cents (or hundredths of a percent), at most `high`."""

    def check(value: Any) -> str | None:
        if not isinstance(value, Decimal):
            return f"Expected a decimal number, got `{type(value).__name__}`"
        wrong = f"Expected a non-negative {what} with at most 2 decimals, got {_shown(value)}"
        if not value.is_finite() or value < 0:
            return wrong
        if value > high:
            return f"Expected at most {high} ({what}), got {_shown(value)}"
        if value != value.quantize(CENT):
            return wrong
        return None

    return check


def _bool(value: Any) -> str | None:
    return None if isinstance(value, bool) else f"Expected `bool`, got `{type(value).__name__}`"


_id = _text(ID_LENGTH, _CONTROL, minimum=1)
_line = _text(TEXT_LENGTH, _CONTROL)
_free = _text(FREE_TEXT_LENGTH, _CONTROL_IN_FREE_TEXT)
_seq = _int(1, MAX_SEQ)


def _statute_value(value: Any) -> str | None:
    """Text as single-line text; a number (or a text that reads as one) finite and within bounds."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        error = _line(value)
        if error is not None:
            return error
        try:
            number = Decimal(value.strip())
        except InvalidOperation:
            return None  # words, e.g. a list of categories
    elif isinstance(value, int | float):
        number = Decimal(value)
    else:
        return f"Expected a text, a number or true/false, got `{type(value).__name__}`"
    if not number.is_finite():
        return f"Expected a finite number, got {_shown(value)}"
    if abs(number) <= MAX_STATUTE_NUMBER:
        return None
    return f"Expected a number from -{MAX_STATUTE_NUMBER} to {MAX_STATUTE_NUMBER}, got {_shown(value)}"


def _statute_share_price(entry: Any) -> str | None:
    """The share price in force becomes admissions' `share_price`: the same bound."""
    if entry.parameter.partition(".")[0] != "share_price" or isinstance(entry.value, bool):
        return None
    try:
        price = Decimal(str(entry.value).strip()).quantize(CENT)
    except InvalidOperation:
        return None  # not a number: refused by rule statutes-parameter
    if price <= MAX_SHARE_PRICE:
        return None
    return f"Expected a share price of at most {MAX_SHARE_PRICE}, got {_shown(entry.value)}"


def _entry_ref(value: Any) -> str | None:
    """A retraction names an entry by id (text) or by sequence number."""
    return _id(value) if isinstance(value, str) else _seq(value)


# Text fields, by name: ids (checked for length by msgspec too), single-line text, free text.
_TEXT_CHECKS: dict[str, Check] = {
    **dict.fromkeys(
        ("id", "member", "category", "to", "assembly", "proxy", "resolution", "body", "person"),
        _id,
    ),
    **dict.fromkeys(("replaces", "parameter", "kind", "majority"), _id),
    **dict.fromkeys(("name", "address", "email", "title", "ref", "by", "recorded", "hash"), _line),
    **dict.fromkeys(("note", "reason"), _free),
}
FIRST_YEAR, LAST_YEAR = FIRST_DATE.year, LAST_DATE.year
# Dates and whole numbers, by name: (lowest, highest).
_RANGES: dict[str, tuple[Any, Any]] = {
    "date": (FIRST_DATE, LAST_DATE),
    "until": (FIRST_DATE, LAST_DATE),
    "seq": (0, MAX_SEQ),
    "shares": (1, MAX_SHARES),
    "count": (1, MAX_SHARES),
    "for_": (0, MAX_COUNT),
    "against": (0, MAX_COUNT),
    "abstain": (0, MAX_COUNT),
    "year": (FIRST_YEAR, LAST_YEAR),
}
# Every other field, by name.
_OTHER_CHECKS: dict[str, Check] = {
    "share_price": _decimal(MAX_SHARE_PRICE, "amount in euros"),
    "amount": _decimal(MAX_AMOUNT, "amount in euros"),
    "reserves": _decimal(MAX_AMOUNT, "amount in euros"),
    "dividend_rate": _decimal(MAX_RATE, "percentage"),
    "value": _statute_value,
    "entry": _entry_ref,
}
# Fields whose type is all there is to check, which msgspec does when it decodes a line.
_TYPE_CHECKS: dict[str, Check] = {"founder": _bool}
# Checks of a field that depend on another one: (the field's JSON name, check of the entry).
_WHOLE_CHECKS: dict[type[Entry], tuple[tuple[str, Check], ...]] = {
    StatutesAmended: (("value", _statute_share_price),),
}
# Where one type's field differs from the others of that name.
_RANGE_OVERRIDES: dict[tuple[type[Entry], str], tuple[Any, Any]] = {
    (BodySeats, "count"): (0, MAX_COUNT),
}


def _range_check(low: Any, high: Any) -> Check:
    return _date if isinstance(low, dt.date) else _int(low, high)


class _Bounds(NamedTuple):
    """How one entry type's fields are checked."""

    every: tuple[tuple[str, str, Check], ...]  # every field: (name, JSON name, check)
    ranges: tuple[tuple[int, Any, Any], ...]  # dates and numbers: (index, lowest, highest)
    others: tuple[tuple[str, str, Check], ...]  # statute values, retraction targets
    amounts: tuple[tuple[str, str, Check], ...]  # euros and percentages
    amount_indices: tuple[int, ...]
    fixed: tuple[tuple[int, Any], ...]  # (index, default) of the fields whose default is not None
    whole: tuple[tuple[str, Check], ...]  # checks of the entry as a whole: (JSON name, check)


def _bounds_of(cls: type[Entry]) -> _Bounds:
    """The checks of every field of an entry type; a field with no bound is an error."""
    every: list[tuple[str, str, Check]] = []
    others: list[tuple[str, str, Check]] = []
    amounts: list[tuple[str, str, Check]] = []
    ranges: list[tuple[int, Any, Any]] = []
    fixed: list[tuple[int, Any]] = []
    amount_indices: list[int] = []
    for index, info in enumerate(msgspec.structs.fields(cls)):
        name, key = info.name, info.encode_name
        bounds = _RANGE_OVERRIDES.get((cls, name)) or _RANGES.get(name)
        if bounds is not None:
            check = _range_check(*bounds)
            ranges.append((index, *bounds))
        elif name in _OTHER_CHECKS:
            check = _OTHER_CHECKS[name]
            (amounts if name in cls.amounts else others).append((name, key, check))
            if name in cls.amounts:
                amount_indices.append(index)
        elif name in _TEXT_CHECKS or name in _TYPE_CHECKS:
            check = _TEXT_CHECKS.get(name) or _TYPE_CHECKS[name]
        else:
            raise TypeError(f"field `{key}` of {cls.type} has no bounds")
        every.append((name, key, check))
        if not info.required and info.default is not None:
            fixed.append((index, info.default))
    assert {name for name, _, _ in amounts} == set(cls.amounts), cls
    return _Bounds(
        tuple(every),
        tuple(ranges),
        tuple(others),
        tuple(amounts),
        tuple(amount_indices),
        tuple(fixed),
        _WHOLE_CHECKS.get(cls, ()),
    )


_BOUNDS: dict[type[Entry], _Bounds] = {cls: _bounds_of(cls) for cls in EVENT_TYPES.values()}


def _out_of_bounds(entry: Entry, fields: tuple[tuple[str, str, Check], ...]) -> None:
    for name, key, check in fields:
        value = getattr(entry, name)
        if value is not None:
            error = check(value)
            if error is not None:
                raise msgspec.ValidationError(f"{error} - at `$.{key}`")


def _whole_out_of_bounds(entry: Entry, checks: tuple[tuple[str, Check], ...]) -> None:
    for key, check in checks:
        error = check(entry)
        if error is not None:
            raise msgspec.ValidationError(f"{error} - at `$.{key}`")


def _checked_amounts(entry: Entry, amounts: tuple[tuple[str, str, Check], ...]) -> Entry:
    """The entry with its amounts checked, and -0.00 written 0.00 (one spelling per amount)."""
    _out_of_bounds(entry, amounts)
    changes = {}
    for name, _, _ in amounts:
        amount = getattr(entry, name)
        if amount is not None and amount.is_zero() and amount.is_signed():
            changes[name] = amount.copy_abs()
    return msgspec.structs.replace(entry, **changes) if changes else entry


def check_input(entry: Entry) -> Entry:
    """An entry from the input (command line, participation list) within every bound.

    Raises msgspec.ValidationError naming the field (`... - at `$.shares``); returns the
    entry, its amounts of -0.00 written 0.00.
    """
    bounds = _BOUNDS[type(entry)]
    _out_of_bounds(entry, bounds.every)
    _whole_out_of_bounds(entry, bounds.whole)
    return _checked_amounts(entry, bounds.amounts) if bounds.amounts else entry


_C1 = re.compile(rb"\xc2[\x80-\x9f]")


def is_plain(data: bytes) -> bool:
    """Whether `data` (a journal line, or a whole journal) is plain JSON text.

    Plain: no backslash, DEL or C1 control byte, and no quote followed by a space or tab.
    A string in a plain line then holds no quote and no control character (JSON strings
    hold no raw C0: those come escaped, after a backslash), and each key is followed by
    its colon at once. Checking a whole journal once spares a check per line.
    """
    return (
        b"\\" not in data
        and b"\x7f" not in data
        and b'" ' not in data
        and b'"\t' not in data
        and (b"\xc2" not in data or not _C1.search(data))
    )


# Every string token of a line in turn; keys are those followed by a colon.
_STRING = re.compile(rb'"([^"\\]*(?:\\.[^"\\]*)*)"(\s*:)?')


def _refuse_duplicates(line: bytes) -> None:
    """Raise if the line gives a key twice (msgspec keeps the last value silently)."""
    seen: set[str] = set()
    for key, colon in _STRING.findall(line):
        if colon:
            name = msgspec.json.decode(b'"' + key + b'"') if b"\\" in key else key.decode()
            if name in seen:
                raise msgspec.ValidationError(f"duplicate field `{name}`")
            seen.add(name)


def _unpaired_surrogate(line: bytes) -> msgspec.ValidationError | None:
    """What msgspec refuses as "malformed" or "truncated" when a string escapes half a surrogate pair."""
    key = ""
    for token, colon in _STRING.findall(line):
        try:
            text = json.loads(b'"' + token + b'"')
        except ValueError:
            return None
        found = re.search("[\ud800-\udfff]", text)
        if found is not None and not colon:
            where = f"U+{ord(found.group()):04X} at character {found.start() + 1}"
            return msgspec.ValidationError(f"Expected no unpaired surrogates, got {where} - at `$.{key}`")
        key = text if colon else key
    return None


def decode_input(data: bytes | str, *, plain: bool | None = None) -> Entry:
    """Decode one journal line: every field within its bounds, none given twice.

    `plain=True` says the caller found the line plain (`is_plain`, e.g. of the whole
    journal); by default the line is looked at. Raises msgspec.ValidationError (naming
    the field) or DecodeError.
    """
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogatepass")  # a lone surrogate is then invalid UTF-8
    try:
        entry = _decoder.decode(data)
    except (msgspec.ValidationError, msgspec.DecodeError) as refused:
        _refuse_duplicates(data)  # the root cause if any: msgspec saw the last value only
        named = _unpaired_surrogate(data) if b"\\u" in data else None
        if named is None:
            raise refused from None
        raise named from None
    bounds = _BOUNDS[type(entry)]
    if plain is None:
        plain = is_plain(data)
    if not plain or len(data) > TEXT_LENGTH:
        _refuse_duplicates(data)
        return check_input(entry)
    # A plain line: `":` marks each key in it, and nothing else. Each field whose value is
    # not its default is in the line, and so is `type`: a line with exactly that many keys
    # gives each once. Any other line has its keys looked at one by one.
    values = msgspec.structs.astuple(entry)
    least = 1 + len(values) - values.count(None)
    for index, default in bounds.fixed:
        if values[index] == default:
            least -= 1
    if data.count(b'":') != least:
        _refuse_duplicates(data)
    # Plain and short: no text in it is beyond its bounds (ids are checked for length by
    # msgspec), so the dates and numbers take a comparison each, and the rest their checks.
    for index, low, high in bounds.ranges:
        value = values[index]
        if value is not None and not low <= value <= high:
            _out_of_bounds(entry, bounds.every)
    if bounds.others:
        _out_of_bounds(entry, bounds.others)
    if bounds.whole:
        _whole_out_of_bounds(entry, bounds.whole)
    for index in bounds.amount_indices:
        if values[index] is not None:
            return _checked_amounts(entry, bounds.amounts)
    return entry
