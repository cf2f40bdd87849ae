"""What the views show of personal data: values from the identity store, `[erased]` where none is held.

Entries and read-model rows hold commitments (`ledger/identity.py`); a view looks
the values up here, at the moment it prints. So an erasure, which deletes the
identity records, takes the values out of every view at once, and no read model
ever held them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from coopledger.ledger import events as ev
from coopledger.ledger.identity import field_value, revealed
from coopledger.ledger.store import Store

Held = dict[str, dict[str, str]]
IDENTITY_COLUMNS = ("name", "address", "email")
EVERYTHING = 2_000  # commitments beyond which the whole identity store is read at once


def held(store: Store, commitments: Iterable[str | None]) -> Held:
    """Commitment -> the identity fields it holds, for those the identity store still has."""
    wanted = sorted({c for c in commitments if c})
    records = store.identities(None if len(wanted) > EVERYTHING else wanted)
    return {c: json.loads(r.fields) for c, r in records.items()}


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


def resolve_names(store: Store, items: Sequence[Any]) -> list[Any]:
    """NamedTuples whose `name` holds a commitment (a board's holders), with the name."""
    values: Mapping[str, Mapping[str, str]] = held(store, (item.name for item in items))
    return [item._replace(name=field_value(item.name, "name", values)) for item in items]
