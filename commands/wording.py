"""The decoder's messages in the clerk's words.

msgspec says "Expected `int`, got `str` - at `$.shares`"; a clerk reads
"expected a whole number, got 'two' - at --shares". `clerk_words` rewrites the
decoder's message of one entry (from the command line or a journal line), with
"did you mean" for a mistyped entry type or field, and the choices of a field
that admits a few values.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Annotated, Any, Literal, get_args, get_origin, get_type_hints

import msgspec

from coopledger.ledger import events as ev
from coopledger.ledger.statutes import UnknownParameter, parse_amendment

# Fields the ledger sets itself: never typed by a clerk.
PROVENANCE = ("seq", "recorded", "hash")


def hint(value: str, known: list[str]) -> str:
    close = difflib.get_close_matches(value, known, n=1)
    return f" (did you mean `{close[0]}`?)" if close else ""


def choices_of(cls: type[ev.Entry], field: str) -> tuple[str, ...]:
    """The values a `Literal` field admits (nothing for other fields)."""
    for info in msgspec.inspect.type_info(cls).fields:  # type: ignore[attr-defined]
        if info.encode_name == field:
            hints = get_type_hints(cls, include_extras=True)
            kind = hints.get(info.name)
            for candidate in (kind, *get_args(kind)):
                if get_origin(candidate) is Literal:
                    return tuple(map(str, get_args(candidate)))
    return ()


def field_names(cls: type[ev.Entry]) -> list[str]:
    """The journal names of a type's fields a clerk may give."""
    info = msgspec.inspect.type_info(cls)
    return [f.encode_name for f in info.fields if f.encode_name not in PROVENANCE]  # type: ignore[attr-defined]


_AT = re.compile(r" - at `\$\.(\w+)`$")


def clerk_words(
    message: str,
    cls: type[ev.Entry] | None,
    value_of: Callable[[str], Any] = lambda _: None,
    where: Callable[[str], str] = lambda field: f"field `{field}`",
) -> str:
    """The decoder's message of one entry in the clerk's words, naming where (`where(field)`)."""
    found = _AT.search(message)
    field = found.group(1) if found else ""
    body = message[: found.start()] if found else message
    value = value_of(field) if field else None
    got = f", got {value!r}" if value is not None else ""
    words: str | None = None
    if m := re.fullmatch(r"Expected `int`, got `\w+`", body):
        words = f"expected a whole number{got}"
    elif m := re.fullmatch(r"Expected `int` >= (-?\d+)", body):
        words = f"expected a whole number of at least {m.group(1)}{got}"
    elif m := re.fullmatch(r"Expected `int` <= (-?\d+)", body):
        words = f"expected a whole number of at most {m.group(1)}{got}"
    elif body == "Invalid RFC3339 encoded date" or re.fullmatch(r"Expected `date`, got `\w+`", body):
        words = f"expected a date YYYY-MM-DD that exists{got}"
    elif body == "Invalid decimal string" or re.fullmatch(r"Expected `decimal`, got `\w+`", body):
        if isinstance(value, str) and re.fullmatch(r"-?[0-9]+,[0-9]+", value.strip()):
            words = f"use a dot: {value.strip().replace(',', '.')}, not {value!r}"
        else:
            words = f"expected an amount in euros such as 12.50{got}"
    elif re.fullmatch(r"Expected `bool`, got `\w+`", body):
        words = f"expected true or false{got}"
    elif re.fullmatch(r"Expected `str`, got `\w+`", body):
        words = "expected a text"
    elif re.fullmatch(r"Expected `str` of length >= 1", body):
        words = "expected a text, got an empty one"
    elif m := re.fullmatch(r"Expected `str` of length <= (\d+)", body):
        words = f"expected at most {m.group(1)} characters"
    elif m := re.fullmatch(r"Invalid enum value '(.*)'", body):
        allowed = choices_of(cls, field) if cls else ()
        words = f"{m.group(1)!r} is not one of {', '.join(allowed)}" if allowed else body
        words += hint(m.group(1), list(allowed))
    elif m := re.fullmatch(r"Object missing required field `(\w+)`", body):
        return f"missing the required {where(m.group(1))}"
    elif m := re.fullmatch(r"Object contains unknown field `(.+)`", body):
        known = field_names(cls) if cls else []
        return f"unknown {where(m.group(1))}{hint(m.group(1), known)}; the fields are {', '.join(known)}"
    elif field == "type" and (m := re.fullmatch(r"Invalid value '(.*)'", body)):
        return unknown_type(m.group(1))
    elif re.fullmatch(r"Expected `object`, got `\w+`", body):
        return "expected one JSON object {...} a line"
    if words is None:
        words = body if body[1:2].isupper() else body[:1].lower() + body[1:]  # "JSON ...": as it is
    return f"{words} - at {where(field)}" if field else words


def unknown_type(name: str) -> str:
    known = sorted(ev.EVENT_TYPES)
    return f"unknown entry type {name!r}{hint(name, known)}; known: {', '.join(known)}"


def kind_of(kind: Any) -> str:
    """A field's kind in words, for `record TYPE --help`."""
    if get_origin(kind) is Literal:
        return "one of " + ", ".join(map(str, get_args(kind)))
    if get_origin(kind) is Annotated:
        return kind_of(get_args(kind)[0])
    args = [a for a in get_args(kind) if a is not type(None)]
    if len(args) == 1:
        return kind_of(args[0])
    names: Mapping[Any, str] = {
        int: "whole number",
        str: "text",
        bool: "true or false (a flag)",
        dt.date: "date YYYY-MM-DD",
        Decimal: "amount such as 12.50",
        float: "number",
    }
    if args:
        return " or ".join(dict.fromkeys(kind_of(a) for a in args))
    return names.get(kind, getattr(kind, "__name__", str(kind)))


def type_help(name: str) -> str:
    """The fields of one entry type, for `coopledger record TYPE --help`."""
    cls = ev.EVENT_TYPES[name]
    hints = get_type_hints(cls, include_extras=True)
    lines = [f"coopledger record {name} --field value ...", "", f"  {cls.__doc__}", "", "Fields:"]
    for info in msgspec.inspect.type_info(cls).fields:  # type: ignore[attr-defined]
        if info.encode_name in PROVENANCE or info.encode_name in ("identity", "identity_fields", "personal"):
            continue
        flag = "--" + info.encode_name.replace("_", "-")
        need = "required" if info.required else "optional"
        if info.encode_name == "date":
            need = "default today"
        lines.append(f"  {flag:<22} {kind_of(hints[info.name])} ({need})")
    return "\n".join(lines)


def amendment_problem(entry: ev.Entry) -> str | None:
    """What is wrong with an amendment of the statutes, as bad input rather than a refusal: an
    unknown parameter ("did you mean"), or a value it does not admit (a quorum of 150 %)."""
    if not isinstance(entry, ev.StatutesAmended):
        return None
    try:
        parse_amendment(entry.parameter, entry.value)
    except UnknownParameter as e:
        return f"{e} - at {{parameter}}"
    except ValueError as e:
        return f"{entry.parameter}: {e}, got {entry.value!r} - at {{value}}"
    return None


def wherever(problem: str, where: Callable[[str], str]) -> str:
    """`amendment_problem`'s message naming the field the clerk's way (--value, field `value`)."""
    for field in ("parameter", "value"):
        if problem.endswith(f" - at {{{field}}}"):
            return problem[: -len(field) - 2] + where(field)
    return problem
