"""Rules on statutes amendments and retractions."""

from __future__ import annotations

from coopledger.ledger import events as ev
from coopledger.ledger.rules.registry import NEEDS_EVERYTHING, rule
from coopledger.ledger.state import LedgerState
from coopledger.ledger.statutes import parse_amendment

NEEDS_EVERYTHING.add(ev.StatutesAmended)


@rule("statutes-parameter")
def statutes_parameter(entry: ev.StatutesAmended, state: LedgerState) -> str | None:
    """An amendment names a known parameter and a value of the right kind."""
    try:
        parse_amendment(entry.parameter, entry.value)
    except ValueError as e:
        return f"{entry.parameter} = {entry.value!r}: {e}"
    return None
