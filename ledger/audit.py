"""The auditor's checks of the ledger itself, returning what they find as data.

`audit` reads every stored entry once, in sequence order, and hands each to
every check, which compares it as it goes with the rows of the table it
checks, read in the same order (`ledger/scan.py`): the hash chain and the
stored bytes, the entry and subject indexes, the Merkle tree, the identity
store. The second half folds the rules over the whole history in effective
order and checks the read models (`projections.audit`), over the entries the
pass kept, or beside it in a second process (`projections.beside`). Nothing
holds a table: memory stays bounded whatever the length of the ledger.

Each check gives a `Finding`: its name, its problems (none: ok), and the first
entry the problems name; `coopledger verify` only renders the findings.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import NamedTuple, Protocol

import msgspec
from sqlalchemy import Connection

from coopledger.ledger import scan
from coopledger.ledger.events import (
    MAX_SEQ,
    Entry,
    EntryRetracted,
    Identified,
    IdentityErased,
    decode,
    encode,
)
from coopledger.ledger.identity import IdentityRecord, opens, subject_of
from coopledger.ledger.merkle import Frontier, leaf_hash
from coopledger.ledger.provenance import GENESIS, chain_hash, content_digest
from coopledger.ledger.recorders import stored_bytes
from coopledger.ledger.scan import Ahead
from coopledger.ledger.state import LedgerState
from coopledger.ledger.store import Store
from coopledger.ledger.timeline import Reordered, joins
from coopledger.ledger.tree import STORED_LEVEL, leaf_data
from coopledger.ledger.validate import fold
from coopledger.ledger.words import counted

SHOWN = 20  # problem lines kept per check; the rest are counted
TREE = "Merkle tree (coop_tree)"  # the tree's finding
IN_MEMORY = 100_000  # entries kept from the single pass for the folds after it; beyond, read again
# What the checks of `audit`'s `more` do of their work (`Pass.part`): all of it; only what takes
# the entries in sequence order (during the ledger's own pass); only what does not (in a worker).
ALL, ORDERED, SUBJECTS_PART = "all", "ordered", "subjects"


@dataclass(frozen=True)
class Finding:
    """What one check found: nothing (ok), or one line per problem; and the sequence number of
    the first entry the problems name, where they name one."""

    name: str
    problems: Sequence[str]
    first: int | None = None


class Stored(NamedTuple):
    """An entry as stored: its place in the stored order (1, 2, 3...), its bytes, and its
    chained bytes (the bytes without the `"hash"` member: what the chain hashes, the tree's leaf)."""

    position: int
    state: bytes
    chained: bytes


class Check(Protocol):
    """One check of the single pass: shown every entry in stored order, then asked what it found."""

    def see(self, entry: Entry, stored: Stored) -> None: ...

    def findings(self) -> list[Finding]: ...


@dataclass(frozen=True)
class LedgerAudit:
    """How many entries were read, the last one, and what every check found."""

    size: int
    last: Entry | None
    findings: list[Finding]


class Problems:
    """A check's problem lines, the first `SHOWN` of them (a broken ledger can have millions),
    and the first entry they name."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.more = 0
        self.first: int | None = None

    def add(self, line: str, seq: int | None = None) -> None:
        if len(self.lines) < SHOWN:
            self.lines.append(line)
        else:
            self.more += 1
        if isinstance(seq, int) and seq <= MAX_SEQ and (self.first is None or seq < self.first):
            # (a stray row's number may be text, or none of an entry's)
            self.first = seq

    def finding(self, name: str) -> Finding:
        more = [f"... and {self.more} more"] if self.more else []
        return Finding(name, [*self.lines, *more], self.first)


def _quiet(_: str) -> None:
    return None


class Pass:
    """A pass as the checks share it: the read transaction, the store, the progress callback,
    and the entries kept for the checks that read them again after it (every entry, up to
    `limit`, `IN_MEMORY` unless given; a longer ledger is read again, a page at a time)."""

    def __init__(
        self, conn: Connection, store: Store, phase: Callable[[str], None], limit: int | None = None
    ) -> None:
        self.conn, self.store, self.phase = conn, store, phase
        self.limit = IN_MEMORY if limit is None else limit
        self.entries: list[Entry] | None = []
        self.complete = False  # every entry has been read (and kept, up to `limit`)
        self.part = ALL  # what the checks of `more` do here (`ORDERED`, `SUBJECTS_PART`)
        head = store.head()
        # The rules' fold goes with the read models while the entries are kept; on a longer
        # ledger, whose second half reads them twice more, it stays with the first half.
        self.rules_first = head is not None and head.seq > self.limit

    def keep(self, entry: Entry) -> None:
        if self.entries is not None:
            if len(self.entries) < self.limit:
                self.entries.append(entry)
            else:
                self.entries = None

    def reading(self) -> Iterator[Entry]:
        """Every entry that decodes, read now and kept."""
        for entry in scan.decodable(self.store.states()):
            self.keep(entry)
            yield entry
        self.complete = True

    def again(self) -> Iterable[Entry]:
        """Every entry that decodes once more, in sequence order."""
        return self.entries if self.entries is not None else scan.decodable(self.store.states())


class Beside(Protocol):
    """The second half of the checks (the rules, and the read models' `more`) run elsewhere: in
    a second process, on the second core, over the same snapshot."""

    def start(self, shared: Pass) -> None:
        """The main pass's snapshot is taken: take the same one."""

    def findings(self) -> list[Finding] | None:
        """What the second half found; None if it could not run on the same snapshot."""


def audit(
    store: Store,
    more: Callable[[Pass], Sequence[Check]] = lambda _: (),
    phase: Callable[[str], None] = _quiet,
    beside: Beside | None = None,
) -> LedgerAudit:
    """Run every check of the ledger, and the checks `more` gives (the read models'), all in one
    read transaction.

    The ledger's own checks (chain, indexes, tree, identities) read the stored entries once;
    the rules and `more` take them after that pass (`second_half`), or beside it in a second
    process (`beside`) when one is given and sees the same snapshot, reading them there (on a
    ledger longer than the entries kept, the tree goes there too, and the rules stay here).
    """
    with scan.snapshot(store) as conn:
        # Named first: the checks' first reads below wait for the server's sorts (seconds on a
        # long ledger), which a terminal would otherwise show as the phase before.
        phase("checking the hash chain, the indexes, the tree and the identities")
        shared = Pass(conn, store, phase)
        if beside is not None:
            beside.start(shared)
        # A ledger longer than the entries kept, with a worker: the checks of `more` take the
        # entries in this pass, and the worker does the rest of their work without a pass of its
        # own (it read every entry for the rows of a few hundred assemblies and statutes).
        divided = beside is not None and shared.rules_first
        shared.part = ORDERED if divided else ALL
        chain = Chain()
        # Divided, the tree is checked in the second half, over a read of its own (`TreeRead`);
        # its finding keeps its place here.
        tree = Tree(scan.tree_rows(conn)) if not divided else None
        checks: list[Check] = [
            chain,
            Indexes(conn, store),
            tree if tree is not None else Elsewhere(TREE),
            Identities(conn, store),
            *([Rules(shared)] if shared.rules_first else []),
            *(more(shared) if divided else []),
        ]
        position, last = 0, None
        for position, state in enumerate(store.states(), start=1):
            state = state if type(state) is bytes else stored_bytes(state)
            chained = leaf_data(state)
            try:
                entry = decode(state)
            except msgspec.MsgspecError as e:
                chain.problems.add(f"entry #{position}: the stored bytes are not an entry ({e})", position)
                chain.size += 1
                if tree is not None:  # a leaf is the stored bytes, an entry or not
                    tree.add(chained)
                continue
            stored = Stored(position, state, chained)
            for check in checks:
                check.see(entry, stored)
            shared.keep(entry)
            last = entry
        shared.complete = True
        findings = [finding for check in checks for finding in check.findings()]
        second = None
        if beside is not None:
            phase("checking the rules and the read models")
            second = beside.findings()
        if second is None:
            shared.part = SUBJECTS_PART if divided else ALL
            second = second_half(shared, more)
    return LedgerAudit(position, last, merged(findings, second))


def second_half(shared: Pass, more: Callable[[Pass], Sequence[Check]]) -> list[Finding]:
    """The rules and the checks `more` gives, over the entries a first pass kept (`Pass.again`),
    or over one pass of them now (in a worker: kept for the checks' own second reads); with
    no pass at all for the part of `more` that takes no entries (`SUBJECTS_PART`)."""
    checks: list[Check] = [
        *([] if shared.rules_first else [Rules(shared)]),
        *([TreeRead(shared)] if shared.part == SUBJECTS_PART else []),
        *more(shared),
    ]
    if shared.part == SUBJECTS_PART:
        shared.entries = None  # none kept: what needs them reads them again
    else:
        entries = shared.again() if shared.complete else shared.reading()
        for entry in entries:
            stored = Stored(entry.seq or 0, b"", b"")
            for check in checks:
                check.see(entry, stored)
    return [finding for check in checks for finding in check.findings()]


def merged(first: list[Finding], second: list[Finding]) -> list[Finding]:
    """The findings of the two halves, in the order of the first; a check divided between them
    (`Pass.part`) gives a finding of the same name in each, whose problems (one part's tables
    or the other's) make one finding."""
    found = list(first)
    at = {finding.name: i for i, finding in enumerate(found)}
    for finding in second:
        if (i := at.get(finding.name)) is None:
            found.append(finding)
            continue
        one = found[i]
        firsts = [f for f in (one.first, finding.first) if f is not None]
        found[i] = Finding(one.name, [*one.problems, *finding.problems], min(firsts, default=None))
    return found


def finder(store: Store) -> Callable[[str], Entry | None]:
    """An entry by its id, as the checks look up the target of a retraction: one whose stored
    bytes are no entry is none (the chain names it), not a crash of the whole check."""

    def find(entry_id: str) -> Entry | None:
        try:
            return store.entry_by_id(entry_id)
        except msgspec.MsgspecError:
            return None

    return find


def described(entry: Entry) -> str:
    """An entry named in full: sequence number, id, type, date, and whom it is about."""
    subject = next(iter(entry.subjects()), "")
    kind, _, who = subject.partition(":")
    about = f", {kind} {who}" if who else (f", {subject}" if subject else "")
    if isinstance(entry, EntryRetracted):
        about = f", withdrawing {entry.entry}"
    return f"#{entry.seq} (id {entry.id}, {entry.type}, dated {entry.date}{about})"


def named(store: Store, seq: int) -> str:
    """The entry stored under a sequence number, in full (`described`), or what stands there."""
    try:
        entry = store.entry(seq)
    except msgspec.MsgspecError:
        return f"#{seq} (its stored bytes are not an entry)"
    if entry is None:
        return f"#{seq} (no entry is stored under that number)"
    return described(entry) + ("" if entry.seq == seq else f", stored as #{seq}")


# -- the hash chain and the stored bytes ----------------------------------------------------


class Chain:
    """Sequence numbers 1..n, recorded times increasing, each hash the chain's, each stored entry
    exactly its canonical bytes."""

    def __init__(self) -> None:
        self.problems = Problems()
        self.size = 0
        self.previous_hash, self.previous_recorded = GENESIS, ""

    def see(self, entry: Entry, stored: Stored) -> None:
        self.check(entry, stored.position, stored.state, stored.chained)

    def check(self, entry: Entry, position: int, state: bytes | None, chained: bytes | None) -> None:
        problems, seq = self.problems, entry.seq
        self.size += 1
        if seq != position:
            problems.add(f"entry {entry.id}: sequence {seq}, expected {position}", position)
        recorded = entry.recorded or ""
        if recorded <= self.previous_recorded:
            problems.add(
                f"entry #{seq}: recorded {entry.recorded} not after {self.previous_recorded}", position
            )
        canonical = state is not None and encode(entry) == state
        if canonical and chained is not None:  # the stored bytes are the entry's: hash them as they are
            digest = hashlib.sha256(self.previous_hash.encode() + chained).hexdigest()
        else:
            digest = chain_hash(self.previous_hash, entry)
        if digest != entry.hash:
            problems.add(f"entry #{seq}: hash does not match its content and the previous hash", position)
        if state is not None and not canonical:
            problems.add(f"entry #{seq}: stored bytes are not its canonical encoding", position)
        self.previous_hash, self.previous_recorded = entry.hash or "", recorded

    def findings(self) -> list[Finding]:
        return [self.problems.finding(f"hash chain ({counted(self.size, 'entry', 'entries')})")]


def chain_problems(entries: Iterable[Entry]) -> list[str]:
    """Breaks in the sequence, the recorded clock or the hash chain of these entries."""
    chain = Chain()
    for position, entry in enumerate(entries, start=1):
        chain.check(entry, position, None, None)
    return list(chain.findings()[0].problems)


# -- the ledger's own indexes ----------------------------------------------------------------


class Indexes:
    """`coop_entries` and `coop_subjects` must say exactly what the entries say."""

    def __init__(self, conn: Connection, store: Store) -> None:
        self.index = Ahead(scan.entry_index(conn), key=itemgetter(0))
        self.subjects = Ahead(scan.subject_index(conn), key=itemgetter(0))
        self.find = finder(store)
        self.problems = Problems()
        self.rows = self.entries = 0

    def see(self, entry: Entry, stored: Stored) -> None:
        problems, position = self.problems, stored.position
        self.entries += 1
        strays, rows = self.index.take(position)
        for row in strays:
            self.rows += 1
            problems.add(f"coop_entries row for #{row[0]} does not match the entry", row[0])
        self.rows += len(rows)
        if not rows:
            problems.add(f"coop_entries lacks the row of #{position}", position)
        elif rows[0] != (entry.seq, entry.id, entry.recorded, content_digest(entry), entry.hash):
            problems.add(f"coop_entries row for #{position} does not match the entry", position)
        strays, indexed = self.subjects.take(position)
        for seq, subject in strays:
            problems.add(f"coop_subjects has a stray ({subject}, #{seq})", seq)
        subjects = joins(entry, self.find) if isinstance(entry, EntryRetracted) else entry.subjects()
        if len(indexed) == len(subjects) == 1 and indexed[0] == (entry.seq, subjects[0]):
            return  # one subject, indexed: the common case
        seq = entry.seq or 0
        wanted = {(subject, seq) for subject in subjects}
        have = {(subject, at) for at, subject in indexed}
        for subject, seq in sorted(wanted - have):
            problems.add(f"coop_subjects lacks ({subject}, #{seq})", position)
        for subject, seq in sorted(have - wanted):
            problems.add(f"coop_subjects has a stray ({subject}, #{seq})", position)

    def findings(self) -> list[Finding]:
        problems = self.problems
        for row in self.index.rest():
            self.rows += 1
            problems.add(f"coop_entries row for #{row[0]} does not match the entry", row[0])
        for seq, subject in self.subjects.rest():
            problems.add(f"coop_subjects has a stray ({subject}, #{seq})", seq)
        if self.rows != self.entries:
            entries = counted(self.entries, "entry", "entries")
            problems.add(f"coop_entries has {counted(self.rows, 'row')} for {entries}")
        return [problems.finding("entry and subject indexes")]


# -- the Merkle tree -------------------------------------------------------------------------


class Tree:
    """The stored subtree hashes must be those of the entries' leaves, no more, no fewer."""

    BATCH = 4_096  # leaves added to the frontier at a time (one call, not one per entry)

    def __init__(self, stored: Iterable[tuple[int, int, bytes]]) -> None:
        self.frontier = Frontier()
        self.stored = Ahead(stored, key=lambda row: (row[1] + (1 << row[0]), row[0]))
        self.problems = Problems()
        self.leaves: list[bytes] = []  # chained bytes of the entries not yet added

    def see(self, entry: Entry, stored: Stored) -> None:
        self.add(stored.chained)

    def add(self, chained: bytes) -> None:
        self.leaves.append(chained)
        if len(self.leaves) >= self.BATCH:
            self._flush()

    def _flush(self) -> None:
        leaves, self.leaves = self.leaves, []
        for level, start, digest in self.frontier.extend(map(leaf_hash, leaves), STORED_LEVEL):
            key = (start + (1 << level), level)
            self._strays(self.stored.before(key))
            found = self.stored.at(key)
            span = f"entries #{start + 1}-#{start + (1 << level)}"
            if not found:
                self.problems.add(f"coop_tree lacks the subtree of {span}")
            elif found[0][2] != digest:
                self.problems.add(f"subtree of {span} does not match them")

    def _strays(self, rows: Iterable[tuple[int, int, bytes]]) -> None:
        for level, start, _ in rows:
            self.problems.add(f"coop_tree has a stray subtree (level {level} at {start})")

    def findings(self) -> list[Finding]:
        self._flush()
        self._strays(self.stored.rest())
        return [self.problems.finding(TREE)]


class TreeRead(Tree):
    """The tree's check with a read of the stored entries of its own, for the second half of a
    divided pass (`SUBJECTS_PART`): in the worker, it takes a tenth of the main pass's work to
    the other core (the main pass, with the rules' fold after it, is the longer half)."""

    def __init__(self, shared: Pass) -> None:
        super().__init__(scan.tree_rows(shared.conn))
        self.store = shared.store

    def see(self, entry: Entry, stored: Stored) -> None:
        return None  # its leaves come from its own read

    def findings(self) -> list[Finding]:
        for state in self.store.states():
            self.add(leaf_data(state))
        return super().findings()


class Elsewhere:
    """A check made in the other half, whose finding keeps its place in this one's (`merged`)."""

    def __init__(self, name: str) -> None:
        self.name = name

    def see(self, entry: Entry, stored: Stored) -> None:
        return None

    def findings(self) -> list[Finding]:
        return [Finding(self.name, [])]


def tree_problems(states: Iterable[bytes], stored: Iterable[tuple[int, int, bytes]]) -> list[str]:
    """The stored subtree hashes (level, start, hash) against the tree of these entries."""
    tree = Tree(sorted(stored, key=lambda row: (row[1] + (1 << row[0]), row[0])))
    for state in states:
        tree.add(leaf_data(state))
    return list(tree.findings()[0].problems)


# -- the identity store ----------------------------------------------------------------------


class Identities:
    """Each identity record opens the commitment of its entry; none outlives its erasure."""

    def __init__(self, conn: Connection, store: Store) -> None:
        self.store = store
        self.records = Ahead(map(IdentityRecord._make, scan.identity_rows(conn)), key=itemgetter(2))
        self.problems = Problems()
        self.held = self.erased = 0
        self.pending: dict[str, int] = defaultdict(int)  # subject -> identities not held since its erasure
        self.erasures: dict[str, int] = {}  # subject -> its last erasure

    def see(self, entry: Entry, stored: Stored) -> None:
        strays, found = self.records.take(stored.position)
        for record in strays:
            self.problems.add(
                f"identity record of #{record.seq} is not the commitment of that entry", record.seq
            )
        if isinstance(entry, IdentityErased):
            self.erasures[entry.member] = entry.seq or 0
            self.erased += self.pending.pop(entry.member, 0)
        if isinstance(entry, Identified) and entry.identity is not None:
            if found and found[0].commitment == entry.identity:
                self.held += 1
            else:
                self.pending[subject_of(entry)] += 1
        for record in found:
            self.compare(record, entry)

    def compare(self, record: IdentityRecord, entry: Entry) -> None:
        problems, seq = self.problems, record.seq
        if not isinstance(entry, Identified) or entry.identity != record.commitment:
            problems.add(f"identity record of #{seq} is not the commitment of that entry", seq)
        elif subject_of(entry) != record.subject:
            problems.add(f"identity record of #{seq} names another subject", seq)
        elif not opens(record):
            problems.add(f"identity record of #{seq} does not open its commitment", seq)
        elif sorted(msgspec.json.decode(record.fields)) != list(entry.identity_fields):
            problems.add(f"identity record of #{seq} holds other fields than the entry commits to", seq)

    def findings(self) -> list[Finding]:
        for record in self.records.rest():
            self.problems.add(
                f"identity record of #{record.seq} is not the commitment of that entry", record.seq
            )
        for subject, erased_at in sorted(self.erasures.items()):  # erasures are few: one read each
            for record in self.store.identities_of(subject):
                if record.seq < erased_at:
                    self.problems.add(
                        f"identity record of #{record.seq} outlived the erasure of {subject}", record.seq
                    )
        persons = counted(len(self.erasures), "person", "people")
        absent = sum(self.pending.values())
        name = f"identity store ({self.held} held, {self.erased} erased of {persons}"
        name += f", {absent} imported without personal data)" if absent else ")"
        return [self.problems.finding(name)]


# -- the rules -------------------------------------------------------------------------------


class Rules:
    """Every rule re-checked on the whole history, folded in effective order.

    The write path's fold (`validate.fold`) with no new entry, as `ledger.validate.check(entries,
    set(), {}, None)` (a test holds them equal), without sorting the ledger: the pass is the
    first read of `Reordered`, and the entries read again (`Pass.again`) its second.
    """

    def __init__(self, shared: Pass) -> None:
        self.shared = shared
        self.order = Reordered()
        self.seen = 0

    def see(self, entry: Entry, stored: Stored) -> None:
        self.seen += 1
        self.order.see(entry, state=stored.state or None)  # the main pass's bytes: kept, not the entry

    def findings(self) -> list[Finding]:
        self.shared.phase(f"checking the rules on {counted(self.seen, 'entry', 'entries')}")
        state = LedgerState(statutes=self.order.statutes())
        refusals, _ = fold(self.order.live(self.shared.again()), state, [], {}, frozenset())
        problems = Problems()
        for refusal in refusals:  # in sequence order
            problems.add(str(refusal), refusal.entry.seq)
        return [problems.finding("rules (every entry re-checked on its effective date)")]
