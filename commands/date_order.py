"""A journal file's lines in effective-date order, a part at a time (`import --in-date-order`).

A history exported member by member, or newest year first, is far out of date order. Recorded
as it comes, a part needs lines further on (a payment needs its member's admission) and the
file is checked and recorded in one batch, holding all of it (docs/architecture.md). Recorded
in effective order, each part needs only the parts before it, and memory holds one part.

The order is the one the rules fold in (`events.effective_order`): the date, then on one date
exit requests, refusals and exits first, then the file's own order. So the rules judge the
lines as they judge the file in one batch; only the sequence numbers follow the dates rather
than the lines. The file is read twice: once for each line's place (its date and type,
`events.placed`), kept as one integer a line and sorted, then its lines in that order through
a memory map, a part at a time.
"""

from __future__ import annotations

import mmap
from array import array
from collections.abc import Iterator
from typing import IO

import msgspec

from coopledger.commands.journal import BOM, decoded, passed_over  # the journal's own reading
from coopledger.ledger import bounds
from coopledger.ledger import events as ev
from coopledger.ledger.errors import Source

_NUMBER = 38  # bits of a line's number in its key; above them its phase (2 bits), then its day
_PHASE = 2


class DateOrdered:
    """The parts of a journal file on disk, its lines in effective-date order (`parts`)."""

    def __init__(self, stream: IO[bytes], name: str, size: int) -> None:
        self.stream, self.name, self.size = stream, name, size
        self.starts = array("q")  # where each line starts, by its number - 1; then the file's end
        self.order: array[int] | None = None  # the lines' keys, sorted

    def parts(self) -> Iterator[list[tuple[ev.Entry, Source]]]:
        """The lines' entries, `size` at a time, in effective-date order (each call from the start)."""
        if self.stream.seek(0, 2) == 0:
            return
        with mmap.mmap(self.stream.fileno(), 0, access=mmap.ACCESS_READ) as data:
            order = self.order if self.order is not None else self._sort(data)
            mask, starts = (1 << _NUMBER) - 1, self.starts
            for at in range(0, len(order), self.size):
                numbers = [key & mask for key in order[at : at + self.size]]
                lines = [data[starts[n - 1] : starts[n]].rstrip(b"\r\n") for n in numbers]
                plain = bounds.is_plain(b"".join(lines))
                yield decoded(lines, plain, self.name, 0, numbers=numbers)

    def _sort(self, data: mmap.mmap) -> array[int]:
        """Each line's key (day, phase, number), sorted; a line without a date or a known type
        is decoded in full, which names what is wrong with it and where."""
        keys, starts = [], self.starts
        start = len(BOM) if data[: len(BOM)] == BOM else 0
        number, end = 0, len(data)
        while start < end:
            stop = data.find(b"\n", start)
            stop = end if stop < 0 else stop + 1
            number += 1
            starts.append(start)
            line = data[start:stop]
            start = stop
            if line[:1] != b"{" and passed_over(line):
                continue
            try:
                placed = ev.placed(line)
                kind = ev.EVENT_TYPES[placed.type]
            except (msgspec.MsgspecError, KeyError):
                decoded([line.rstrip(b"\r\n")], False, self.name, number - 1)  # raises, naming the line
                raise
            keys.append((placed.date.toordinal() << (_PHASE + _NUMBER)) | (kind.phase << _NUMBER) | number)
        starts.append(end)
        keys.sort()
        self.order = array("q", keys)
        return self.order
