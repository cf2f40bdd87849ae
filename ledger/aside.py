"""The entries a streamed fold keeps aside (`timeline.Reordered`), in bounded memory.

A ledger recorded in effective order keeps a handful aside (the backdated entries);
one recorded far out of it (a history imported newest year first, an archive of
older years imported after the current ones) keeps most of its entries aside, and
held in memory they were the peak: 735 MiB for `verify` of a 589,189-entry ledger
imported newest year first, against 212 MiB in order. Beyond `SPILL` entries,
`Aside` writes them out sorted in effective order, a run in a temporary file each,
and merges the runs back with those still held (an external merge sort): memory
holds a run being filled and one entry of each run.

Only chained entries go to disk: their stored form, which holds a commitment to a
person's identity, never the identity. The entries of a batch being checked may
still carry names in clear (they are sealed after the check), so they stay in
memory (`keep(..., spill=False)`). The files are deleted when the merge ends, or
when the process does, however it ends (`tempfile.TemporaryFile`).
"""

from __future__ import annotations

import heapq
import tempfile
from collections.abc import Container, Iterator
from operator import itemgetter
from typing import IO

from coopledger.ledger import events as ev

SPILL = 50_000  # entries held before a run is written out (about 20 MiB of stored bytes)
_LENGTH = 4  # bytes of each record's length, little-endian, before its bytes


class Aside:
    """Entries kept aside, given back once in effective order (`merged`).

    A chained entry is held as its stored bytes when it comes as bytes (`keep_stored`: the
    write path's whole check decodes only what places it), else as the entry; either is
    written out as its bytes and decoded once, when it is given back."""

    def __init__(self, spill: int | None = None) -> None:
        self.spill = SPILL if spill is None else spill
        self.held: list[tuple[ev.Place, ev.Entry | bytes]] = []  # chained: written out once `spill` are held
        self.private: list[ev.Entry] = []  # a batch's own entries: never written out
        self.runs: list[IO[bytes]] = []
        self.written = 0  # entries written out, in all

    def keep(self, entry: ev.Entry, spill: bool = True) -> None:
        """Keep an entry; `spill`: a chained entry, which may be written out."""
        if not spill:
            self.private.append(entry)
            return
        self._hold(ev.effective_order(entry), entry)

    def keep_stored(self, place: ev.Place, state: bytes) -> None:
        """Keep a stored entry, undecoded, by its place (its date, phase and sequence number)."""
        self._hold(place, bytes(state))

    def _hold(self, place: ev.Place, kept: ev.Entry | bytes) -> None:
        self.held.append((place, kept))
        if len(self.held) >= self.spill:
            self._write_run()

    def _write_run(self) -> None:
        run = tempfile.TemporaryFile()  # noqa: SIM115 (closed by `merged`, or with the process)
        for _, kept in sorted(self.held, key=itemgetter(0)):
            data = kept if isinstance(kept, bytes) else ev.encode(kept)
            run.write(len(data).to_bytes(_LENGTH, "little"))
            run.write(data)
        run.seek(0)
        self.runs.append(run)
        self.written += len(self.held)
        self.held = []

    def merged(self, withdrawn: Container[str]) -> Iterator[ev.Entry]:
        """Every entry kept but the `withdrawn` (by id), in effective order; the runs are
        read once, and closed."""
        entries = [ev.decode(kept) if isinstance(kept, bytes) else kept for _, kept in self.held]
        held = sorted((e for e in (*entries, *self.private) if e.id not in withdrawn), key=ev.effective_order)
        self.held, self.private = [], []
        if not self.runs:
            yield from held
            return
        runs, self.runs = self.runs, []
        try:
            yield from heapq.merge(held, *(_read(run, withdrawn) for run in runs), key=ev.effective_order)
        finally:
            for run in runs:
                run.close()


def _read(run: IO[bytes], withdrawn: Container[str]) -> Iterator[ev.Entry]:
    """A run's entries, in the order written, but the `withdrawn`."""
    while size := run.read(_LENGTH):
        entry = ev.decode(run.read(int.from_bytes(size, "little")))
        if entry.id not in withdrawn:
            yield entry
