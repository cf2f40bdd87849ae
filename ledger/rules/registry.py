"""The registry the rule modules add to: entry type -> rules, in order."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ledger.events import Entry
from ledger.state import LedgerState

Check = Callable[[Entry, LedgerState], str | None]


@dataclass(frozen=True)
class Rule:
    """A named rule of the cooperative and the check that enforces it."""

    name: str
    check: Check
    doc: str


RULES: dict[type[Entry], list[Rule]] = {}

# Entry types whose rules read more than the timelines the entry belongs to
# (a statutes amendment can change any check): the ledger loads everything.
NEEDS_EVERYTHING: set[type[Entry]] = set()


def rule(name: str, *types: type[Entry]) -> Callable[[Check], Check]:
    """Register `check` as rule `name` for each entry type (and its subclasses)."""

    def register(check: Check) -> Check:
        for entry_type in types:
            RULES.setdefault(entry_type, []).append(Rule(name, check, (check.__doc__ or "").strip()))
        return check

    return register


def rules_for(entry_type: type[Entry]) -> list[Rule]:
    """The rules of a type, including those registered for its base classes."""
    return [r for base in reversed(entry_type.__mro__) for r in RULES.get(base, [])]  # type: ignore[call-overload]
