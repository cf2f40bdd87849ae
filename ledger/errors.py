"""The ledger's exception hierarchy and its refusals.

A `Refusal` is data: the rule, the entry and the reason. Refusals are
collected, not raised one by one, so a file with several bad lines reports
them all; `Refused` carries them out of the ledger. Faults of input that is
not even a valid entry are `JournalError`s (bad usage, exit 2); faults of the
infrastructure are `StoreError`s.
"""

from __future__ import annotations

from dataclasses import dataclass

from coopledger.ledger.events import Assertion, Entry


class LedgerError(Exception):
    """Base of every error the ledger raises on purpose."""


@dataclass(frozen=True)
class Source:
    """Where an entry came from: a file and line, or a command."""

    origin: str
    line: int | None = None
    unit: str = "line"  # a spreadsheet's entries come from rows

    @property
    def where(self) -> str:
        """`line 12: ` (or `row 12: `), or nothing for an entry typed at the command line."""
        return f"{self.unit} {self.line}: " if self.line is not None else ""

    def __str__(self) -> str:
        return f"{self.origin}:{self.line}" if self.line is not None else self.origin


def describe(entry: Entry, recorded: bool = True) -> str:
    """A short human name of an entry: type, subject, date, and sequence (or the clerk's id)."""
    subject = next(iter(entry.subjects()), "")
    who = subject.partition(":")[2] or subject
    if isinstance(entry, Assertion):  # a figure of the whole register (or of one category)
        who = entry.category or ""
    clerk_id = entry.id if entry.id and not entry.id.startswith("@") else ""
    where = f"#{entry.seq}" if recorded and entry.seq else clerk_id
    parts = [entry.type, who, entry.date.isoformat(), f"({where})" if where else ""]
    return " ".join(p for p in parts if p)


@dataclass(frozen=True)
class Refusal:
    """One broken rule: which rule, which entry, why, and where it came from.

    When a new entry would break an entry already recorded (a backdated exit
    before a recorded transfer), `entry` is the recorded one and `cause` the
    new one, with its source.
    """

    rule: str
    entry: Entry
    reason: str
    source: Source | None = None
    cause: Entry | None = None

    def __str__(self) -> str:
        """One line: where, which entry, which rule, why."""
        where = self.source.where if self.source else ""
        if self.cause is None:
            return f"{where}{describe(self.entry, recorded=False)}: {self.rule}: {self.reason}"
        cause = describe(self.cause, recorded=False)
        return (
            f"{where}{cause}: would break recorded entry {describe(self.entry)}: {self.rule}: {self.reason}"
        )


class Refused(LedgerError):
    """The ledger refused a batch of entries; nothing was written."""

    def __init__(self, refusals: list[Refusal]):
        self.refusals = refusals
        super().__init__("; ".join(str(r) for r in refusals[:3]))


class JournalError(LedgerError):
    """An input line is not a valid entry (bad JSON, unknown type, missing field...)."""

    def __init__(self, message: str, source: Source | None = None):
        self.source = source
        super().__init__(f"{source.where if source else ''}{message}")


class StoreError(LedgerError):
    """The event store failed or is not usable (wrong URL, server down)."""


class ConcurrentWrite(StoreError):
    """Another writer appended first; the caller reloads and tries again."""


class UnstorableValue(StoreError):
    """A value of the batch does not fit the database; the transaction rolled back."""


class StoreFailed(StoreError):
    """The opened store failed (disk full, connection lost, I/O error) while in use."""


class WriteFailed(StoreFailed):
    """The store failed inside the write transaction; it rolled back, nothing was written."""


class CommitUncertain(StoreFailed):
    """The store failed while committing: the batch may or may not have been recorded."""


class StoreDamaged(StoreFailed):
    """The ledger's own tables hold rows coopledger did not write: a write met one already
    there though no other writer had appended, or the last entry's recorded time is no time.
    Trying again would meet them again."""


class ReadModelDamaged(StoreDamaged):
    """A read model's row holds a value that is not of its column's type: written outside
    coopledger. The entries are untouched; `rebuild` writes the read models again from them."""


class Clash(ConcurrentWrite):
    """The database refused an appended row as already there. Another writer's, as a rule;
    the ledger tells that from a damaged store by whether its head has moved."""
