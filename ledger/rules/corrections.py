"""Rules on statutes amendments and retractions."""

from __future__ import annotations

from collections.abc import Sequence

from coopledger.ledger import events as ev
from coopledger.ledger.rules.registry import Reader, reaches, reads_beyond, rule
from coopledger.ledger.state import LedgerState
from coopledger.ledger.statutes import parse_amendment


@reaches(ev.StatutesAmended)
def dated_from_the_amendment(batch: Sequence[ev.Entry], reader: Reader) -> set[str]:
    """An amendment changes the statutes from its date on, so the check of every entry dated
    from then, and no other: their timelines, and what their own rules read (the voters of an
    assembly's resolution, if `voting` changes). An amendment dated today or later reads
    almost nothing; a backdated one, what came after it."""
    day = min(e.date for e in batch if isinstance(e, ev.StatutesAmended))
    later = reader.subjects_dated_from(day)
    governance = sorted(s for s in later if s.startswith((ev.ASSEMBLY, ev.BODY)))
    recorded = [e for e in reader.timelines(governance) if not isinstance(e, ev.StatutesAmended)]
    return later | (reads_beyond(recorded, reader) if recorded else set())


@rule("statutes-parameter")
def statutes_parameter(entry: ev.StatutesAmended, state: LedgerState) -> str | None:
    """An amendment names a known parameter and a value of the right kind."""
    try:
        parse_amendment(entry.parameter, entry.value)
    except ValueError as e:
        return f"{entry.parameter} = {entry.value!r}: {e}"
    return None
