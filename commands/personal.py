"""What the views show of personal data: values from the identity store, or why there are none.

Entries hold commitments (`ledger/identity.py`), and read-model rows the sequence
number of the entry whose identity record holds a value; a view looks the values
up here, at the moment it prints. So an erasure, which deletes the
identity records, takes the values out of every view at once, and no read model
ever held them. Where the store holds no value, a view shows `[erased]` if the
person's identity was erased (an `identity.erased` entry), and `[not held]` if the
ledger never had it (an entry imported from a pseudonymous export).
"""

from __future__ import annotations

from collections.abc import Container, Iterable, Iterator, Mapping, Sequence
from typing import Any, cast

import msgspec

from coopledger.ledger import events as ev
from coopledger.ledger.identity import field_value, not_shown, revealed, subject_of
from coopledger.ledger.store import Store
from coopledger.projections.register.queries import IDENTITY_COLUMNS

Held = dict[int, dict[str, str]]
EVERYTHING = 2_000  # records beyond which the whole identity store is read at once


def held(store: Store, seqs: Iterable[int | None]) -> Held:
    """Sequence number of an entry -> the identity fields its record holds, for those the
    identity store still has."""
    wanted = sorted({seq for seq in seqs if seq})
    records = store.identities(None if len(wanted) > EVERYTHING else wanted)
    decode = msgspec.json.Decoder(dict[str, str]).decode
    return {seq: decode(r.fields) for seq, r in records.items()}


def erased_among(store: Store, subjects: Iterable[str]) -> set[str]:
    """Those of these member or person ids whose identity was erased (read only when asked)."""
    return store.erased_subjects(sorted(set(subjects)))


def reveal(store: Store, entries: Sequence[ev.Entry]) -> list[ev.Entry]:
    """Entries as a view shows them: their identity fields in clear, or `[erased]` / `[not held]`."""
    values = held(store, (e.seq for e in entries if getattr(e, "identity", None)))
    missing = (
        subject_of(e)
        for e in entries
        if isinstance(e, ev.Identified) and e.identity is not None and (e.seq or 0) not in values
    )
    erased = erased_among(store, missing)
    return [revealed(e, values, erased) for e in entries]


def _subject_at(columns: Sequence[str]) -> int | None:
    """Where a row names its person: the `member` column, else `person` (None: nowhere)."""
    for name in ("member", "person"):
        if name in columns:
            return list(columns).index(name)
    return None


def resolve_rows(
    store: Store, rows: Sequence[Sequence[Any]], columns: Sequence[str]
) -> list[tuple[Any, ...]]:
    """Read-model rows with the values of their identity columns (which hold sequence numbers)."""
    at = [(i, c) for i, c in enumerate(columns) if c in IDENTITY_COLUMNS]
    if not at or not rows:
        return [tuple(row) for row in rows]
    values = held(store, (row[i] for row in rows for i, _ in at))
    whose = _subject_at(columns)
    missing = [row for row in rows if any(row[i] is not None and row[i] not in values for i, _ in at)]
    erased = erased_among(store, (row[whose] for row in missing)) if whose is not None else set()
    resolved = []
    for row in rows:
        cells = list(row)
        gone = not_shown(whose is None or row[whose] in erased)
        for i, name in at:
            cells[i] = field_value(cells[i], name, values, gone)
        resolved.append(tuple(cells))
    return resolved


def resolve_joined(
    chunks: Iterable[Sequence[Sequence[Any]]], columns: Sequence[str], store: Store | None = None
) -> Iterator[list[tuple[Any, ...]]]:
    """Rows of `register_chunks(..., identities=True)` with the values of their identity
    columns: each such column's sequence number is replaced from the fields joined at the row's end.
    Where none was joined: `[erased]`, or `[not held]` if the `store` knows no erasure of the
    row's member (without a store: `[erased]`)."""
    width = len(columns)
    identity = [i for i, c in enumerate(columns) if c in IDENTITY_COLUMNS]
    # (where the joined fields are, the column whose value they hold, its name)
    joined = [(width + k, i, columns[i]) for k, i in enumerate(identity)]
    whose = _subject_at(columns)
    decode = msgspec.json.Decoder(dict[str, str]).decode
    for chunk in chunks:
        if not joined:
            yield [tuple(row) for row in chunk]
            continue
        erased: Container[str] = ()
        if store is not None and whose is not None:
            missing = {
                row[whose] for j, i, _ in joined for row in chunk if row[j] is None and row[i] is not None
            }
            erased = erased_among(store, missing) if missing else ()
        unknown = store is None or whose is None  # no erasure can be looked up: `[erased]`
        # A column at a time, each row rebuilt in one comprehension (a row at a time in a loop
        # took twice as long: 1.0 s of a 450,000-line register).
        for j, i, name in joined:
            chunk = [
                (
                    *row[:i],
                    None
                    if row[i] is None
                    else not_shown(unknown or row[whose] in erased)  # type: ignore[index]
                    if row[j] is None
                    else decode(row[j]).get(name),
                    *row[i + 1 :],
                )
                for row in chunk
            ]
        rebuilt = cast(list[tuple[Any, ...]], chunk)  # each row rebuilt as a tuple above
        yield [row[:width] for row in rebuilt]


def resolve_names(store: Store, items: Sequence[Any]) -> list[Any]:
    """NamedTuples whose `name` holds the sequence number of the entry that gave the name and
    `person` the person (a board's holders), with the name."""
    values: Mapping[int, Mapping[str, str]] = held(store, (item.name for item in items))
    missing = (item.person for item in items if item.name is not None and item.name not in values)
    erased = erased_among(store, missing)
    return [
        item._replace(name=field_value(item.name, "name", values, not_shown(item.person in erased)))
        for item in items
    ]
