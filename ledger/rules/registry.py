"""The registries the rule modules add to.

`RULES` maps an entry type to the rules checked on the effective timeline, in
the order they are tried. A rule applies to the entry types of its `entry`
parameter (a union names several), so what it is registered for and what
mypy checks its body against are one and the same. `BATCH_RULES` holds the
rules on a batch as a whole, which the ledger checks before the fold.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar, cast, get_args, get_type_hints

from coopledger.ledger.events import Entry
from coopledger.ledger.state import LedgerState

E = TypeVar("E", bound=Entry)
F = TypeVar("F", bound=Callable[..., str | None])
Check = Callable[[Entry, LedgerState], str | None]
TypedCheck = Callable[[E, LedgerState], str | None]


@dataclass(frozen=True)
class Rule:
    """A named rule of the cooperative and the check that enforces it; `statutes`: the
    parameters of the statutes it reads (an amendment of one re-checks its entries)."""

    name: str
    check: Check
    doc: str
    statutes: tuple[str, ...] = ()


@dataclass(frozen=True)
class BatchRule(Generic[F]):
    """A named rule on the batch being recorded (its ids, its retractions' targets)."""

    name: str
    check: F
    doc: str


RULES: dict[type[Entry], list[Rule]] = {}
BATCH_RULES: dict[str, BatchRule[Any]] = {}
# A statutes parameter -> the entry types whose rules read it: what an amendment of it can
# change the check of (`rules.corrections.dated_from_the_amendment`).
READ_BY: dict[str, set[type[Entry]]] = {}


class Reader(Protocol):
    """What a reach may read of the recorded ledger (the store)."""

    def timelines(self, subjects: Sequence[str], upto: int | None = None) -> list[Entry]: ...

    def subjects_dated_from(self, day: dt.date, types: Collection[str]) -> set[str] | None:
        """None: more entries than are worth loading timeline by timeline (`reads_beyond`)."""

    def subjects_named(self, prefix: str) -> set[str]: ...


# What the rules of a batch's entries read besides the entries' own timelines, by the entry
# types that read it: each reach returns the subjects to load (`reads_beyond`), or None if
# they are most of the ledger. The ledger loads those timelines, not the whole ledger, so an
# entry stays cheap on a big ledger.
Reach = Callable[[Sequence[Entry], Reader], set[str] | None]
REACHES: list[tuple[tuple[type[Entry], ...], Reach]] = []


def reaches(*entry_types: type[Entry]) -> Callable[[Reach], Reach]:
    """Register `reach` for batches holding an entry of one of `entry_types`."""

    def register(reach: Reach) -> Reach:
        REACHES.append((entry_types, reach))
        return reach

    return register


def reads_beyond(batch: Sequence[Entry], reader: Reader) -> set[str] | None:
    """The timelines the rules of a batch's entries read besides their own; None if the
    reader found them to be most of the ledger (then checked whole, `validate.check_whole`)."""
    found: set[str] = set()
    for entry_types, reach in REACHES:
        if any(isinstance(entry, entry_types) for entry in batch):
            more = reach(batch, reader)
            if more is None:
                return None
            found |= more
    return found


def rule(name: str, statutes: tuple[str, ...] = ()) -> Callable[[TypedCheck[E]], TypedCheck[E]]:
    """Register `check` as rule `name` for each entry type its `entry` parameter takes;
    `statutes`: the parameters it reads (`tests/test_rules_registry.py` holds them to its code)."""

    def register(check: TypedCheck[E]) -> TypedCheck[E]:
        registered = Rule(name, cast(Check, check), (check.__doc__ or "").strip(), statutes)
        for entry_type in entry_types(check):
            RULES.setdefault(entry_type, []).append(registered)
            for parameter in statutes:
                READ_BY.setdefault(parameter, set()).add(entry_type)
        return check

    return register


def entry_types(check: Callable[..., object]) -> tuple[type[Entry], ...]:
    """The classes a check's first parameter is annotated with: one class, or a union of them."""
    hint = next(iter(get_type_hints(check).values()))
    return get_args(hint) or (hint,)


def batch_rule(name: str) -> Callable[[F], BatchRule[F]]:
    """Register `check` as batch rule `name`; the ledger calls it through the returned rule."""

    def register(check: F) -> BatchRule[F]:
        registered = BATCH_RULES[name] = BatchRule(name, check, (check.__doc__ or "").strip())
        return registered

    return register


def rules_for(entry_type: type[Entry]) -> list[Rule]:
    """The rules of a type, including those registered for its base classes."""
    return [r for base in reversed(entry_type.__mro__) for r in RULES.get(base, [])]
