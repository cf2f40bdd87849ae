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
from coopledger.ledger.timeline import Find, Reordered, live_entries, stands_for, statutes_of


@cache
def _rules(entry_type: type[ev.Entry]) -> list[Rule]:
    return rules_for(entry_type)


@cache
def _reading(parameters: frozenset[str]) -> Callable[[type[ev.Entry]], list[Rule]]:
    """The rules of a type that read one of `parameters` of the statutes, looked up once a type."""

    @cache
    def rules(entry_type: type[ev.Entry]) -> list[Rule]:
        return [rule for rule in _rules(entry_type) if parameters.intersection(rule.statutes)]

    return rules


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
    reading: frozenset[str] | None = None,
) -> tuple[list[Refusal], dict[int, ev.Entry]]:
    """`check`, filling in on the way what the ledger computes for the entries numbered in `fill`.

    Each of them is completed from the state on its effective date (`state.completed`: a
    transfer's `paid_up`), then checked and folded as completed; returns the refusals and the
    completed entries by sequence number. `reading`: see `fold`.
    """
    live = live_entries(timeline)
    new = [e for e in timeline if (e.seq or 0) in new_seqs]
    return fold(live, LedgerState(statutes=statutes_of(live), known=known), new, sources, fill, reading)


def check_whole(
    recorded: Callable[[], Iterable[bytes]],
    new: Sequence[ev.Entry],
    sources: dict[int, Source],
    fill: Container[int],
    reading: frozenset[str] | None = None,
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
        order.see(entry, chained=False)  # may still carry personal data: never written out
    live = order.live(itertools.chain(map(ev.decode, recorded()), new))
    return fold(live, LedgerState(statutes=order.statutes()), list(new), sources, fill, reading)


def statutes_only(new: Sequence[ev.Entry], find: Find) -> frozenset[str] | None:
    """The parameters a batch changes if it changes nothing but the statutes (amendments, and
    retractions of amendments): `fold`'s `reading`; None for any other batch."""
    parameters = set()
    for entry in new:
        target = stands_for(entry, find)
        if not isinstance(target, ev.StatutesAmended):
            return None
        parameters.add(target.parameter.partition(".")[0])
    return frozenset(parameters)


def fold(
    live: Iterable[ev.Entry],
    state: LedgerState,
    new: list[ev.Entry],
    sources: dict[int, Source],
    fill: Container[int],
    reading: frozenset[str] | None = None,
) -> tuple[list[Refusal], dict[int, ev.Entry]]:
    """Check each live entry, in effective order, on the state folded so far (`verify`'s
    rules fold too, with no new entry): the refusals, a recorded entry's naming the new one
    most likely to break it, and the entries numbered in `fill` as completed.

    `reading`: the statutes parameters a batch that changes nothing else changes (amendments,
    and the retractions of amendments). A recorded entry is then checked only by the rules
    that read one of them, until a first refusal: every other rule gave its answer when the
    entry was recorded, on the same state, since no update of the state reads the statutes
    (`verify` re-checks every rule). From the first refusal on, the state differs, and every
    rule is checked again, so the refusals are those of the full fold."""
    new_seqs = {e.seq or 0 for e in new}
    refusals: list[Refusal] = []
    filled: dict[int, ev.Entry] = {}
    narrow = _rules if reading is None else _reading(reading)
    for entry in live:
        seq = entry.seq or 0
        if seq in fill:
            entry = filled[seq] = completed(entry, state)
        kind = type(entry)
        for rule in _rules(kind) if refusals or seq in new_seqs else narrow(kind):  # the first broken refuses
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
