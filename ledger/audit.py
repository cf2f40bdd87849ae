"""The auditor's checks of the ledger itself, returning what they find as data.

`audit` re-reads every stored entry and checks the hash chain, the stored
bytes, the ledger's own indexes and every rule over the whole history.
Each check gives a `Finding`: its name and its problems (none: ok). The
read models are checked beside these (`projections.read_models.audit`);
`coopledger verify` only renders the findings.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from coopledger.ledger.events import Entry, Identified, IdentityErased, decode, encode
from coopledger.ledger.identity import IdentityRecord, opens, subject_of
from coopledger.ledger.provenance import GENESIS, chain_hash, content_digest
from coopledger.ledger.store import Store
from coopledger.ledger.timeline import joins
from coopledger.ledger.tree import rows_for
from coopledger.ledger.validate import check
from coopledger.ledger.words import counted


@dataclass(frozen=True)
class Finding:
    """What one check found: nothing (ok), or one line per problem."""

    name: str
    problems: Sequence[str]


@dataclass(frozen=True)
class LedgerAudit:
    """Every entry as stored, and what the ledger's checks found in them."""

    entries: list[Entry]
    findings: list[Finding]


def audit(store: Store) -> LedgerAudit:
    """Read every entry and index row once, and run every check of the ledger on them."""
    states = list(store.states())
    entries = [decode(state) for state in states]
    index, subjects = store.index_rows(), store.subject_pairs()
    records = store.identities()
    return LedgerAudit(
        entries,
        [
            Finding(
                f"hash chain ({counted(len(entries), 'entry', 'entries')})",
                chain_problems(entries) + encoding_problems(entries, states),
            ),
            Finding("entry and subject indexes", index_problems(entries, index, subjects)),
            Finding("Merkle tree (coop_tree)", tree_problems(states, store.tree_rows())),
            Finding(identity_summary(entries, records), identity_problems(entries, records)),
            Finding(
                "rules (every entry re-checked on its effective date)",
                [str(r) for r in check(entries, set(), {}, None)],
            ),
        ],
    )


def _erased_before(entries: list[Entry]) -> dict[str, int]:
    """Subject -> the sequence number of its last erasure: its identities before it are gone."""
    return {e.member: e.seq or 0 for e in entries if isinstance(e, IdentityErased)}


def identity_summary(entries: list[Entry], records: dict[str, IdentityRecord]) -> str:
    """How many identities the store holds, how many were erased, how many it never held."""
    erased_before = _erased_before(entries)
    held = erased = absent = 0
    for e in entries:
        if isinstance(e, Identified) and e.identity is not None:
            if e.identity in records:
                held += 1
            elif (e.seq or 0) < erased_before.get(subject_of(e), 0):
                erased += 1
            else:
                absent += 1
    persons = len(erased_before)
    summary = f"identity store ({held} held, {erased} erased of {counted(persons, 'person', 'people')}"
    return summary + (f", {absent} imported without personal data)" if absent else ")")


def identity_problems(entries: list[Entry], records: dict[str, IdentityRecord]) -> list[str]:
    """Each identity record opens the commitment of its entry; none outlives its erasure."""
    by_seq = {e.seq: e for e in entries}
    erased_before = _erased_before(entries)
    problems = []
    for record in sorted(records.values(), key=lambda r: r.seq):
        entry = by_seq.get(record.seq)
        if not isinstance(entry, Identified) or entry.identity != record.commitment:
            problems.append(f"identity record of #{record.seq} is not the commitment of that entry")
        elif subject_of(entry) != record.subject:
            problems.append(f"identity record of #{record.seq} names another subject")
        elif not opens(record):
            problems.append(f"identity record of #{record.seq} does not open its commitment")
        elif sorted(json.loads(record.fields)) != list(entry.identity_fields):
            problems.append(f"identity record of #{record.seq} holds other fields than the entry commits to")
        if record.seq < erased_before.get(record.subject, 0):
            problems.append(f"identity record of #{record.seq} outlived the erasure of {record.subject}")
    return problems


def chain_problems(entries: list[Entry]) -> list[str]:
    """Breaks in the sequence, the recorded clock or the hash chain."""
    problems = []
    previous_hash, previous_recorded = GENESIS, ""
    for expected, entry in enumerate(entries, start=1):
        if entry.seq != expected:
            problems.append(f"entry {entry.id}: sequence {entry.seq}, expected {expected}")
        if (entry.recorded or "") <= previous_recorded:
            problems.append(f"entry #{entry.seq}: recorded {entry.recorded} not after {previous_recorded}")
        if chain_hash(previous_hash, entry) != entry.hash:
            problems.append(f"entry #{entry.seq}: hash does not match its content and the previous hash")
        previous_hash, previous_recorded = entry.hash or "", entry.recorded or ""
    return problems


def encoding_problems(entries: list[Entry], states: list[bytes]) -> list[str]:
    """Each stored entry must be exactly its canonical bytes: an edit that decodes the same
    (spaces, key order, escapes) would otherwise pass the hash chain unseen."""
    return [
        f"entry #{entry.seq}: stored bytes are not its canonical encoding"
        for entry, state in zip(entries, states, strict=True)
        if encode(entry) != bytes(state)
    ]


def index_problems(
    entries: list[Entry], index: list[tuple[int, str, str, str, str]], subjects: set[tuple[str, int]]
) -> list[str]:
    """The ledger's own indexes must say exactly what the entries say."""
    expected = {(e.seq, e.id, e.recorded, content_digest(e), e.hash) for e in entries}
    problems = [
        f"coop_entries row for #{row[0]} does not match the entry"
        for row in index
        if tuple(row) not in expected
    ]
    if len(index) != len(expected):
        problems.append(
            f"coop_entries has {counted(len(index), 'row')} for {counted(len(entries), 'entry', 'entries')}"
        )
    by_id = {e.id: e for e in entries}
    wanted = {(subject, e.seq or 0) for e in entries for subject in joins(e, by_id.get)}
    problems += [f"coop_subjects lacks ({s}, #{seq})" for s, seq in sorted(wanted - subjects)]
    problems += [f"coop_subjects has a stray ({s}, #{seq})" for s, seq in sorted(subjects - wanted)]
    return problems


def tree_problems(states: Sequence[bytes], stored: list[tuple[int, int, bytes]]) -> list[str]:
    """The stored subtree hashes must be those of the entries' leaves, no more, no fewer."""
    _, rows = rows_for(states)
    expected = {(level, start): digest for level, start, digest in rows}
    found = {(level, start): digest for level, start, digest in stored}
    problems = [
        f"subtree of entries #{start + 1}-#{start + (1 << level)} does not match them"
        for (level, start), digest in sorted(found.items(), key=lambda kv: (kv[0][1], -kv[0][0]))
        if (level, start) in expected and expected[level, start] != digest
    ]
    problems += [
        f"coop_tree lacks the subtree of entries #{start + 1}-#{start + (1 << level)}"
        for level, start in sorted(expected.keys() - found.keys(), key=lambda k: (k[1], -k[0]))
    ]
    problems += [
        f"coop_tree has a stray subtree (level {level} at {start})"
        for level, start in sorted(found.keys() - expected.keys())
    ]
    return problems[:20] + ([f"... and {len(problems) - 20} more"] if len(problems) > 20 else [])
