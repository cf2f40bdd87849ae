"""What projections need from the event store, as a protocol (the store satisfies it)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Protocol

from coopledger.ledger.events import Entry
from coopledger.ledger.timeline import Find


class EntrySource(Protocol):
    """Read access to recorded entries, in sequence order."""

    def entries(self, after: int = 0, upto: int | None = None) -> Iterator[Entry]: ...

    def timelines(self, subjects: Sequence[str], upto: int | None = None) -> list[Entry]: ...

    def entry_by_id(self, entry_id: str) -> Entry | None: ...


def entries_after(source: EntrySource, start: int, recent: Sequence[Entry] = ()) -> list[Entry]:
    """Entries recorded after `start`: the caller's just-recorded ones when they follow on
    (no need to read back what was just written), then whatever the store has beyond them."""
    if recent and recent[0].seq == start + 1:
        return [*recent, *source.entries(after=recent[-1].seq or 0)]
    return list(source.entries(after=start))


def find_in(recent: Sequence[Entry], source: EntrySource) -> Find:
    """Look an entry up by id among `recent` first (just read), then in the store."""
    by_id = {e.id: e for e in recent}
    return lambda entry_id: by_id.get(entry_id) or source.entry_by_id(entry_id)
