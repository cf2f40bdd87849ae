"""Check entries against the rules on the effective timeline.

The new entries are merged with the recorded ones they touch and the whole
timeline is folded in effective order (date, exits first, sequence). Every
entry, old or new, is checked against the state as of its date; so a
backdated entry is checked against everything dated around it, and an old
entry that a new one would break is reported too.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Container, Iterable, Sequence
from functools import cache

from coopledger.ledger import events as ev
from coopledger.ledger.errors import Refusal, Source
from coopledger.ledger.rules import Rule, rules_for
from coopledger.ledger.state import LedgerState, apply, completed
from coopledger.ledger.timeline import Reordered, live_entries, statutes_of


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
    new = [e for e in timeline if (e.seq or 0) in new_seqs]
    return fold(live, LedgerState(statutes=statutes_of(live), known=known), new, sources, fill)


def check_whole(
    recorded: Callable[[], Iterable[bytes]],
    new: Sequence[ev.Entry],
    sources: dict[int, Source],
    fill: Container[int],
) -> tuple[list[Refusal], dict[int, ev.Entry]]:
    """`check_and_fill` of every recorded entry and the new ones (`known` None), streamed.

    `recorded` reads the stored entries in sequence order, and is called twice (`Reordered`):
    a batch that reaches most of a long ledger (an amendment dated years back, a file as long
    as the ledger) is checked in the memory of the state and the backdated entries, not of
    the whole history.
    """
    order = Reordered()
    for state in recorded():
        order.see_stored(state)
    for entry in new:
        order.see(entry)
    live = order.live(itertools.chain(map(ev.decode, recorded()), new))
    return fold(live, LedgerState(statutes=order.statutes()), list(new), sources, fill)


def fold(
    live: Iterable[ev.Entry],
    state: LedgerState,
    new: list[ev.Entry],
    sources: dict[int, Source],
    fill: Container[int],
) -> tuple[list[Refusal], dict[int, ev.Entry]]:
    """Check each live entry, in effective order, on the state folded so far (`verify`'s
    rules fold too, with no new entry): the refusals, a recorded entry's naming the new one
    most likely to break it, and the entries numbered in `fill` as completed."""
    new_seqs = {e.seq or 0 for e in new}
    refusals: list[Refusal] = []
    filled: dict[int, ev.Entry] = {}
    for entry in live:
        seq = entry.seq or 0
        if seq in fill:
            entry = filled[seq] = completed(entry, state)
        kind = type(entry)
        for rule in _rules(kind):  # the first rule the entry breaks refuses it
            if reason := rule.check(entry, state):
                cause = None if seq in new_seqs else _cause(entry, new)
                source = sources.get(cause.seq or 0 if cause else seq)
                refusals.append(Refusal(rule.name, entry, reason, source, cause))
                break
        else:
            _mutator(kind)(entry, state)
    return sorted(refusals, key=lambda r: (r.cause is not None, r.entry.seq or 0)), filled


def _cause(recorded: ev.Entry, new: list[ev.Entry]) -> ev.Entry | None:
    """The new entry most likely to break a recorded one: the first sharing a subject."""
    subjects = set(recorded.subjects())
    return next((e for e in new if subjects & set(e.subjects())), new[0] if new else None)
