"""Check entries against the rules on the effective timeline.

The new entries are merged with the recorded ones they touch and the whole
timeline is folded in effective order (date, exits first, sequence). Every
entry, old or new, is checked against the state as of its date; so a
backdated entry is checked against everything dated around it, and an old
entry that a new one would break is reported too.
"""

from __future__ import annotations

from collections.abc import Callable, Container, Sequence
from functools import cache

from coopledger.ledger import events as ev
from coopledger.ledger.errors import Refusal, Source
from coopledger.ledger.rules import Rule, rules_for
from coopledger.ledger.state import LedgerState, apply, completed
from coopledger.ledger.timeline import live_entries, statutes_of


@cache
def _rules(entry_type: type[ev.Entry]) -> list[Rule]:
    return rules_for(entry_type)


@cache
def _mutator(entry_type: type[ev.Entry]) -> Callable[[ev.Entry, LedgerState], None]:
    """`apply`'s implementation for a type, looked up once (the fold calls it per entry)."""
    return apply.dispatch(entry_type)


def check(
    timeline: Sequence[ev.Entry],
    new_seqs: set[int],
    sources: dict[int, Source],
    known: frozenset[str] | None,
) -> list[Refusal]:
    """Fold the timeline (recorded and new entries) and return every refusal."""
    return check_and_fill(timeline, new_seqs, sources, known, frozenset())[0]


def check_and_fill(
    timeline: Sequence[ev.Entry],
    new_seqs: set[int],
    sources: dict[int, Source],
    known: frozenset[str] | None,
    fill: Container[int],
) -> tuple[list[Refusal], dict[int, ev.Entry]]:
    """`check`, filling in on the way what the ledger computes for the entries numbered in `fill`.

    Each of them is completed from the state on its effective date (`state.completed`: a
    transfer's `paid_up`), then checked and folded as completed; returns the refusals and the
    completed entries by sequence number.
    """
    live = live_entries(timeline)
    state = LedgerState(statutes=statutes_of(live), known=known)
    refusals: list[Refusal] = []
    filled: dict[int, ev.Entry] = {}
    new = [e for e in timeline if (e.seq or 0) in new_seqs]
    for entry in live:
        seq = entry.seq or 0
        if seq in fill:
            entry = filled[seq] = completed(entry, state)
        broken = next(((r, reason) for r in _rules(type(entry)) if (reason := r.check(entry, state))), None)
        if broken is None:
            _mutator(type(entry))(entry, state)
            continue
        cause = None if seq in new_seqs else _cause(entry, new)
        source = sources.get(cause.seq or 0 if cause else seq)
        refusals.append(Refusal(broken[0].name, entry, broken[1], source, cause))
    return sorted(refusals, key=lambda r: (r.cause is not None, r.entry.seq or 0)), filled


def _cause(recorded: ev.Entry, new: list[ev.Entry]) -> ev.Entry | None:
    """The new entry most likely to break a recorded one: the first sharing a subject."""
    subjects = set(recorded.subjects())
    return next((e for e in new if subjects & set(e.subjects())), new[0] if new else None)
