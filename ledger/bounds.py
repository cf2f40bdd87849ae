"""The bounds of every field, checked on input: journal lines, the command line, participation lists.

`decode_input` decodes one journal line and checks it; `check_input` checks an
entry built another way. The bounds themselves are declared with the
vocabulary (`ledger/events.py`); a field with no bound is an error when an entry
of its type is first checked (`tests/test_bounds.py` checks every field of every
type). Stored entries are not checked again (`events.decode`).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any, NamedTuple

import msgspec

from coopledger.ledger.events import (
    CENT,
    FIRST_DATE,
    FREE_TEXT_LENGTH,
    ID_LENGTH,
    LAST_DATE,
    MAX_AMOUNT,
    MAX_COUNT,
    MAX_RATE,
    MAX_SEQ,
    MAX_SHARE_PRICE,
    MAX_SHARES,
    MAX_STATUTE_NUMBER,
    TEXT_LENGTH,
    BodySeats,
    Entry,
    Identified,
    MemberAdmitted,
    MemberApplied,
    MembersAsserted,
    SharesAsserted,
    StatutesAmended,
    decode,
)
from coopledger.ledger.identity import canonical, commit

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


_HEX = re.compile("[0-9a-f]*")


def _hex(length: int) -> Check:
    def check(value: Any) -> str | None:
        if isinstance(value, str) and len(value) == length and _HEX.fullmatch(value):
            return None
        return f"Expected {length} lowercase hexadecimal digits, got {_shown(value)}"

    return check


def _personal(value: Any) -> str | None:
    """The personal data of a full export's line: a salt of 16 bytes, fields as names are."""
    for name in ("salt", "name", "address", "email"):
        field_value = getattr(value, name)
        error = _hex(32)(field_value) if name == "salt" else (field_value and _line(field_value))
        if error:
            return f"{error} (personal.{name})"
    return None


def _values_or_commitment(entry: Any) -> str | None:
    """Personal data in clear, or a commitment to it (`identity` with its `identity_fields`)."""
    if entry.identity is None:
        return None
    given = next((name for name in entry.identity_names if getattr(entry, name) is not None), None)
    if given is not None:
        return f"Expected either the identity fields or `identity`, not both (got `{given}`)"
    if not entry.identity_fields:
        return "Expected `identity_fields` with `identity`"
    return None


def _committed_fields(entry: Any) -> str | None:
    """The names of the fields committed to: sorted, once each, this type's identity fields."""
    fields = entry.identity_fields
    if not fields:
        return None
    if entry.identity is None:
        return "Expected `identity_fields` only with `identity`"
    if list(fields) != sorted(set(fields)) or not set(fields) <= set(entry.identity_names):
        return f"Expected names sorted, without repeats, among {', '.join(entry.identity_names)}"
    return None


def _personal_opens(entry: Any) -> str | None:
    """A full export's personal data: the committed fields, opening the commitment."""
    personal = entry.personal
    if personal is None:
        return None
    if entry.identity is None:
        return "Expected `personal` only with `identity`"
    given = {k: v for k in entry.identity_names if (v := getattr(personal, k)) is not None}
    if sorted(given) != list(entry.identity_fields):
        return "Expected exactly the fields of `identity_fields`"
    if commit(bytes.fromhex(personal.salt), canonical(given)) != entry.identity:
        return "Expected the personal data of the commitment `identity`: they do not match"
    return None


def _committed(entry: Any) -> str | None:
    """The checks of a commitment, its fields and its data, when there is any (the usual line has none)."""
    if entry.identity is None and not entry.identity_fields and entry.personal is None:
        return None
    for key, check in _IDENTITY_PARTS:
        error = check(entry)
        if error is not None:
            return f"{error} - at `$.{key}`"
    return None


_IDENTITY_PARTS: tuple[tuple[str, Check], ...] = (
    ("identity", _values_or_commitment),
    ("identity_fields", _committed_fields),
    ("personal", _personal_opens),
)
_IDENTITY_CHECKS: tuple[tuple[str, Check], ...] = (("", _committed),)


def _name_given(entry: Any) -> str | None:
    """An application or admission names the person: in clear, or committed to."""
    if entry.name is not None or "name" in entry.identity_fields:
        return None
    return "Object missing required field"


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
    "paid_up": _decimal(MAX_AMOUNT, "amount in euros"),
    "reserves": _decimal(MAX_AMOUNT, "amount in euros"),
    "dividend_rate": _decimal(MAX_RATE, "percentage"),
    "value": _statute_value,
    "entry": _entry_ref,
}
# Fields whose type is all there is to check, which msgspec does when it decodes a line.
_TYPE_CHECKS: dict[str, Check] = {"founder": _bool}
_OTHER_CHECKS.update(
    {
        "identity": _hex(64),
        "identity_fields": lambda value: None,  # checked with the entry (_identity_consistent)
        "personal": _personal,
    }
)
# Checks of a field that depend on another one: (the field's JSON name, check of the entry).
_WHOLE_CHECKS: dict[type[Entry], tuple[tuple[str, Check], ...]] = {
    StatutesAmended: (("value", _statute_share_price),),
    **{cls: _IDENTITY_CHECKS for cls in Identified.__args__},
    MemberApplied: (("name", _name_given), *_IDENTITY_CHECKS),
    MemberAdmitted: (("name", _name_given), *_IDENTITY_CHECKS),
}
# Where one type's field differs from the others of that name.
_RANGE_OVERRIDES: dict[tuple[type[Entry], str], tuple[Any, Any]] = {
    (BodySeats, "count"): (0, MAX_COUNT),
    # A figure of the whole register: a count of members or a sum of shares (a BIGINT's worth,
    # exact as a JSON number in any reader).
    (MembersAsserted, "count"): (0, MAX_SEQ),
    (SharesAsserted, "count"): (0, MAX_SEQ),
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
    # A type that may carry personal data: the indices of `identity`, `identity_fields` and
    # `personal`, and its checks when none of them is given (a clerk's line), which are those
    # above but the commitment's (each of which passes when nothing is committed to).
    committed_at: tuple[int, int, int] | None
    plain_others: tuple[tuple[int, str, Check], ...]  # (index, JSON name, check)
    plain_whole: tuple[tuple[str, Check], ...]


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
    index_of = {info.name: i for i, info in enumerate(msgspec.structs.fields(cls))}
    whole = _WHOLE_CHECKS.get(cls, ())
    committed_at = None
    if "identity" in index_of:
        committed_at = (index_of["identity"], index_of["identity_fields"], index_of["personal"])
    commitment = {key for key, _ in _IDENTITY_PARTS} if committed_at else set()
    return _Bounds(
        tuple(every),
        tuple(ranges),
        tuple(others),
        tuple(amounts),
        tuple(amount_indices),
        tuple(fixed),
        whole,
        committed_at,
        tuple((index_of[name], key, check) for name, key, check in others if name not in commitment),
        tuple((key, check) for key, check in whole if check is not _committed),
    )


class _Table(dict[type[Entry], _Bounds]):
    """Each entry type's checks, made when an entry of the type is first checked: making them
    for every type took 20-25 ms, on the start of every command that may take input (a
    `register` among them), which checks one type or a few."""

    def __missing__(self, cls: type[Entry]) -> _Bounds:
        self[cls] = found = _bounds_of(cls)
        return found


_BOUNDS = _Table()


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
            raise msgspec.ValidationError(f"{error} - at `$.{key}`" if key else error)


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


# The same, and the braces of objects (a full export's `personal` is one, inside the line).
_STRING_OR_BRACE = re.compile(rb'"([^"\\]*(?:\\.[^"\\]*)*)"(\s*:)?|([{}])')


def _refuse_duplicates(line: bytes) -> None:
    """Raise if an object of the line gives a key twice (msgspec keeps the last value silently)."""
    seen: list[set[str]] = [set()]
    for key, colon, brace in _STRING_OR_BRACE.findall(line):
        if brace == b"{":
            seen.append(set())
        elif brace == b"}":
            seen.pop() if len(seen) > 1 else None
        elif colon:
            name = msgspec.json.decode(b'"' + key + b'"') if b"\\" in key else key.decode()
            if name in seen[-1]:
                raise msgspec.ValidationError(f"duplicate field `{name}`")
            seen[-1].add(name)


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
        entry = decode(data)
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
    at = bounds.committed_at
    if at is not None and (values[at[0]] is not None or values[at[1]] or values[at[2]] is not None):
        _out_of_bounds(entry, bounds.others)  # a commitment, its fields or its data: all of it
        _whole_out_of_bounds(entry, bounds.whole)
    else:  # nothing committed to (every line but an export's): what else there is to check
        for index, key, check in bounds.plain_others:
            value = values[index]
            if value is not None and (error := check(value)) is not None:
                raise msgspec.ValidationError(f"{error} - at `$.{key}`")
        for key, whole_check in bounds.plain_whole:
            if (error := whole_check(entry)) is not None:
                raise msgspec.ValidationError(f"{error} - at `$.{key}`" if key else error)
    for index in bounds.amount_indices:
        if values[index] is not None:
            return _checked_amounts(entry, bounds.amounts)
    return entry
