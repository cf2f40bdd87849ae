"""eventsourcing's own SQLite and PostgreSQL recorders, extended with the ledger's index.

The ledger keeps every entry as one stored event of a single stream, so the
stream version is the entry's sequence number and the store's primary key
serialises writers: two processes appending the same next sequence cannot
both commit. Beside the events, in the same transaction (through the
recorders' `_insert_events` hook, the one eventsourcing gives process
recorders for tracking records), we write two small tables:

* `coop_entries`: sequence, entry id (unique), recorded time, content digest
  and chain hash, for idempotent imports, `--known-at` and the hash chain;
* `coop_subjects`: (subject, sequence), so that the timeline of one member,
  assembly or body is an indexed read, not a scan of the whole ledger;
* `coop_identities`: the identity store, the only place personal data lives
  (`ledger/identity.py`), whose rows an erasure deletes in its own transaction;
* `coop_meta`: the store format version (`FORMAT`), written when the ledger is created,
  and the ledger's id (`ledger_id`), written by its first checkpoint;
* `coop_tree`: the Merkle tree's subtree hashes of level `tree.STORED_LEVEL` and up
  (`ledger/tree.py`), written with the entries they complete;
* `coop_checkpoints`: every checkpoint `coopledger checkpoint` printed, as signed.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Sequence
from contextvars import ContextVar
from typing import Any, NamedTuple, TypeVar
from uuid import NAMESPACE_URL, uuid5

from eventsourcing.persistence import StoredEvent

from coopledger.ledger.identity import IdentityRecord

# The store format: 1 kept personal data inside the entries (coopledger up to commit
# 4ce54dc); 2 keeps it in the identity store, the entries holding commitments, and the read
# models the commitments too (up to commit 600e590); 3 has the read models name the entry
# whose identity record holds a value by its sequence number (up to commit 8a97ea5); 4 adds
# the register's running positions (`projections/register/positions.py`). The entries of 2, 3
# and 4 are the same: `rebuild` turns a ledger of format 2 or 3 into one of format 4
# (`READ_MODELS_ONLY`).
FORMAT = "4"
LAST_FORMAT_1 = "4ce54dc"
READ_MODELS_ONLY = frozenset({"2", "3"})  # older formats whose entries this version reads as they are

T = TypeVar("T")
LEDGER_STREAM = uuid5(NAMESPACE_URL, "https://coopledger/ledger")
ERASURE = "identity.erased"  # the topic of an erasure's stored event
# Rows from which a first write into an empty table (the index of entries) makes its index on
# random keys (content digests) after inserting them: one sort instead of as many inserts at
# random places.
FIRST_LOAD_ROWS = 1_000

# The driver connection of the write transaction in progress (see `Store.transaction`):
# while it is set, the recorders read through it, so the read models written in that
# transaction see the entries it has just appended, and nothing else does until commit.
TRANSACTION: ContextVar[Any] = ContextVar("coopledger_transaction", default=None)


class IndexRow(NamedTuple):
    """What the ledger indexes about one entry."""

    seq: int
    entry_id: str
    recorded: str
    digest: str
    hash: str
    subjects: tuple[str, ...]


# One stored event of the ledger's stream: (sequence number, journal type, canonical bytes).
EventRow = tuple[int, str, bytes]


def event_rows(stored_events: Iterable[StoredEvent]) -> list[EventRow]:
    """eventsourcing's stored events (of the ledger's stream) as the recorders write them."""
    return [(s.originator_version, s.topic, s.state) for s in stored_events]


class HeadRow(NamedTuple):
    """The last recorded entry: where the next one chains on."""

    seq: int
    recorded: str
    hash: str


class KnownEntry(NamedTuple):
    """An entry id already in the ledger, with what it was."""

    seq: int
    digest: str


class LedgerRecorder:
    """The write and read queries the ledger adds to an application recorder."""

    # The driver's own exceptions, which reads and writes through `TRANSACTION` raise.
    driver_errors: tuple[type[Exception], ...] = ()
    # Those of them that mean "this value does not fit", not "the store failed".
    data_errors: tuple[type[Exception], ...] = ()

    def write(
        self,
        connection: Any,
        events: Sequence[EventRow],
        index: Sequence[IndexRow],
        identities: Sequence[IdentityRecord] = (),
        erasures: Sequence[tuple[str, int]] = (),
        tree: Sequence[tuple[int, int, bytes]] = (),
    ) -> None:
        """Append events of the ledger's stream, (seq, topic, state), their index rows, identity
        records and the Merkle tree's new subtree hashes (level, start, hash) on a driver
        connection, inside its transaction; then erase, for each (subject, seq) of `erasures`,
        the subject's identity records from before that sequence number.

        Raises eventsourcing's `IntegrityError` when another writer took a sequence number.
        """
        raise NotImplementedError

    def format_version(self) -> str | None:
        """The store format written in `coop_meta`, None if there is none."""
        raise NotImplementedError

    def states_dated_from(self, day: str, types: Collection[str], limit: int | None = None) -> list[bytes]:
        """The stored bytes of the entries of the given `types` (journal names) dated on or after
        `day` (ISO), in sequence order; the first `limit` of them, if given."""
        raise NotImplementedError

    def subjects_named(self, prefix: str) -> set[str]:
        """The subjects of the subject index that start with `prefix`."""
        raise NotImplementedError

    def analyze(self) -> None:
        """Refresh the query planner's statistics of the ledger's tables, after a large write."""

    def set_format(self) -> None:
        """Write the store format of this version (once: an existing one is kept)."""
        raise NotImplementedError

    def identities(self, seqs: Sequence[int] | None) -> dict[int, IdentityRecord]:
        """The identity records written with the entries of these sequence numbers (every record
        if None), by sequence number."""
        raise NotImplementedError

    def identities_of(self, subject: str) -> list[IdentityRecord]:
        """Every identity record of one member or person, in sequence order."""
        raise NotImplementedError

    def erased_subjects(self, subjects: Sequence[str]) -> set[str]:
        """Those of these member or person ids whose identity an `identity.erased` entry erased."""
        raise NotImplementedError

    def head(self) -> HeadRow | None:
        raise NotImplementedError

    def known_ids(self, entry_ids: Sequence[str]) -> dict[str, KnownEntry]:
        raise NotImplementedError

    def digest_seqs(self, digests: Sequence[str]) -> dict[str, list[int]]:
        """The sequence numbers of the recorded entries with each of these content digests, in order."""
        raise NotImplementedError

    def seq_of(self, entry_id: str) -> int | None:
        raise NotImplementedError

    def seq_known_at(self, recorded: str) -> int:
        raise NotImplementedError

    def states_for_subjects(self, subjects: Sequence[str], upto: int | None) -> list[bytes]:
        raise NotImplementedError

    def states_between(self, after: int, upto: int | None) -> list[bytes]:
        raise NotImplementedError

    def index_rows(self) -> list[tuple[int, str, str, str, str]]:
        """Every row of coop_entries: (seq, entry_id, recorded, digest, hash), for `verify`."""
        raise NotImplementedError

    def subject_pairs(self) -> set[tuple[str, int]]:
        """Every row of coop_subjects, for `verify`."""
        raise NotImplementedError

    def tree_hash(self, level: int, start: int) -> bytes | None:
        """The stored hash of the perfect subtree (level, start) of the Merkle tree, if any."""
        raise NotImplementedError

    def tree_rows(self) -> list[tuple[int, int, bytes]]:
        """Every row of coop_tree (level, start, hash), for `verify`."""
        raise NotImplementedError

    def replace_tree(self, rows: Sequence[tuple[int, int, bytes]]) -> None:
        """Replace coop_tree with these rows, in a transaction of its own."""
        raise NotImplementedError

    def meta(self, key: str) -> str | None:
        raise NotImplementedError

    def meta_values(self, prefix: str) -> list[str]:
        """The values of the keys starting with `prefix`, ordered by key."""
        raise NotImplementedError

    def set_meta(self, key: str, value: str) -> None:
        """Write a coop_meta value once: an existing one is kept."""
        raise NotImplementedError

    def add_checkpoint(self, taken: str, size: int, note: str) -> None:
        raise NotImplementedError

    def checkpoint_rows(self) -> list[tuple[str, int, str]]:
        """The checkpoints taken (recorded time, tree size, signed note), oldest first."""
        raise NotImplementedError


# Where an entry's effective date sits in its stored bytes: the canonical encoding gives the
# `type` tag first, then `date` (`"date":"YYYY-MM-DD"`, docs/auditor-guide.md), so the first
# match is the entry's own date, whatever its free text holds further on. Cutting it out of
# the bytes is a tenth of the cost of parsing each entry as JSON (0.25 s against 3.3 s over
# 705,947 entries on PostgreSQL).
DATE_KEY = b'"date":"'


def stored_bytes(value: Any) -> bytes:
    """A stored hash or entry as bytes. SQLite keeps what it is given: a text or a number
    written there outside coopledger comes back as its text's bytes, which match no hash and
    are no entry, so that `verify` names the row (`bytes()` of a text fails, and of a number is
    that many zeros)."""
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    return str(value).encode()


def type_keys(types: Collection[str]) -> list[bytes]:
    """How the stored bytes of an entry of each type begin: msgspec writes the tag first."""
    return [b'{"type":' + json.dumps(name).encode() + b"," for name in sorted(types)]


def after(prefix: str) -> str:
    """The first string after every string that starts with `prefix` (a range's open end)."""
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


def chunks(items: Sequence[T], size: int = 500) -> Iterable[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
