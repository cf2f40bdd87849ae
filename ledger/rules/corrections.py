"""Rules on statutes amendments and retractions."""

from __future__ import annotations

from collections.abc import Sequence

from coopledger.ledger import events as ev
from coopledger.ledger.rules.registry import READ_BY, Reader, reaches, reads_beyond, rule
from coopledger.ledger.state import LedgerState
from coopledger.ledger.statutes import parse_amendment


@reaches(ev.StatutesAmended)
def dated_from_the_amendment(batch: Sequence[ev.Entry], reader: Reader) -> set[str] | None:
    """An amendment changes the statutes from its date on, so the check of every entry dated
    from then whose rules read the parameter (`READ_BY`), and no other: their timelines, and
    what their own rules read (the voters of an assembly's resolution, if `voting` changes).
    An amendment dated today or later reads almost nothing, and so does one of a parameter
    no rule reads (`quorum`, `share_price`); a backdated one, the entries it can change, or
    None if the reader finds them most of the ledger (one dated back to the founding year)."""
    types: set[type[ev.Entry]] = set()
    day = None
    for entry in batch:
        if isinstance(entry, ev.StatutesAmended) and (read := READ_BY.get(entry.parameter.partition(".")[0])):
            types |= read
            day = entry.date if day is None else min(day, entry.date)
    if day is None:
        return set()
    names = [name for name, cls in ev.EVENT_TYPES.items() if issubclass(cls, tuple(types))]
    later = reader.subjects_dated_from(day, names)
    if later is None:  # most of the ledger
        return None
    governance = sorted(s for s in later if s.startswith((ev.ASSEMBLY, ev.BODY)))
    recorded = [e for e in reader.timelines(governance) if not isinstance(e, ev.StatutesAmended)]
    beyond = reads_beyond(recorded, reader) if recorded else set()
    return None if beyond is None else later | beyond


@rule("statutes-parameter")
def statutes_parameter(entry: ev.StatutesAmended, state: LedgerState) -> str | None:
    """An amendment names a known parameter and a value of the right kind."""
    try:
        parse_amendment(entry.parameter, entry.value)
    except ValueError as e:
        return f"{entry.parameter} = {entry.value!r}: {e}"
    return None
