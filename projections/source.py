"""What projections need from the event store, as a protocol (the store satisfies it)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Protocol

from ledger.events import Entry


class EntrySource(Protocol):
    """Read access to recorded entries, in sequence order."""

    def entries(self, after: int = 0, upto: int | None = None) -> Iterator[Entry]: ...

    def timelines(self, subjects: Sequence[str], upto: int | None = None) -> list[Entry]: ...

    def entry_by_id(self, entry_id: str) -> Entry | None: ...
