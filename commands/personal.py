"""What the views show of personal data: values from the identity store, `[erased]` where none is held.

Entries and read-model rows hold commitments (`ledger/identity.py`); a view looks
the values up here, at the moment it prints. So an erasure, which deletes the
identity records, takes the values out of every view at once, and no read model
ever held them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

import msgspec

from coopledger.ledger import events as ev
from coopledger.ledger.identity import ERASED, field_value, revealed
from coopledger.ledger.store import Store
from coopledger.projections.register.queries import IDENTITY_COLUMNS

Held = dict[str, dict[str, str]]
EVERYTHING = 2_000  # commitments beyond which the whole identity store is read at once


def held(store: Store, commitments: Iterable[str | None]) -> Held:
    """Commitment -> the identity fields it holds, for those the identity store still has."""
    wanted = sorted({c for c in commitments if c})
    records = store.identities(None if len(wanted) > EVERYTHING else wanted)
    decode = msgspec.json.Decoder(dict[str, str]).decode
    return {c: decode(r.fields) for c, r in records.items()}


def reveal(store: Store, entries: Sequence[ev.Entry]) -> list[ev.Entry]:
    """Entries as a view shows them: their identity fields in clear, or `[erased]`."""
    values = held(store, (getattr(e, "identity", None) for e in entries))
    return [revealed(e, values) for e in entries]


def resolve_rows(
    store: Store, rows: Sequence[Sequence[Any]], columns: Sequence[str]
) -> list[tuple[Any, ...]]:
    """Read-model rows with the values of their identity columns (which hold commitments)."""
    at = [(i, c) for i, c in enumerate(columns) if c in IDENTITY_COLUMNS]
    if not at or not rows:
        return [tuple(row) for row in rows]
    values = held(store, (row[i] for row in rows for i, _ in at))
    resolved = []
    for row in rows:
        cells = list(row)
        for i, name in at:
            cells[i] = field_value(cells[i], name, values)
        resolved.append(tuple(cells))
    return resolved


def resolve_joined(
    chunks: Iterable[Sequence[Sequence[Any]]], columns: Sequence[str]
) -> Iterator[list[tuple[Any, ...]]]:
    """Rows of `register_chunks(..., identities=True)` with the values of their identity
    columns: each such column's commitment is replaced from the fields joined at the row's end."""
    at = [i for i, c in enumerate(columns) if c in IDENTITY_COLUMNS]
    width = len(columns)
    decode = msgspec.json.Decoder(dict[str, str]).decode
    for chunk in chunks:
        if not at:
            yield [tuple(row) for row in chunk]
            continue
        resolved = []
        for row in chunk:
            cells = list(row[:width])
            for i, fields in zip(at, row[width:], strict=True):
                if cells[i] is not None:
                    cells[i] = ERASED if fields is None else decode(fields).get(columns[i])
            resolved.append(tuple(cells))
        yield resolved


def resolve_names(store: Store, items: Sequence[Any]) -> list[Any]:
    """NamedTuples whose `name` holds a commitment (a board's holders), with the name."""
    values: Mapping[str, Mapping[str, str]] = held(store, (item.name for item in items))
    return [item._replace(name=field_value(item.name, "name", values)) for item in items]
