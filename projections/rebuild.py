"""`rebuild`, subject by subject: what one catch-up from nothing writes, in bounded memory.

A catch-up from position 0 holds every entry of the ledger and every row it makes: 16 GiB at
5,000,000 members. Its rows are exactly what `verify` expects of the read models
(`audit.SubjectFold.expected`: the projectors' own folds and refold), so `rebuild` writes
those instead:

- each member's and each body's rows, from its timeline read through the subject index
  (`scan.timelines`, which `verify` checks against the entries), `SUBJECTS` subjects at a
  time, the indexes of their tables made once they are all in;
- the assembly and statutes rows in one pass over the stored entries, a page at a time,
  decoding only the entries the governance read model follows (and retractions), each
  retraction closing its target's row.

Memory holds a chunk of subjects or a page of entries, whatever the ledger's length.
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING

from sqlalchemy import Connection

from coopledger.ledger import events as ev
from coopledger.ledger import scan
from coopledger.projections.audit import BODIES, REGISTER, SUBJECTS, SubjectFold
from coopledger.projections.governance.projector import FOLLOWS, AssemblyChanges, followed
from coopledger.projections.source import find_in
from coopledger.projections.tables import bulk_insert, indexes_after

if TYPE_CHECKING:
    from coopledger.ledger.store import Store

PAGE = 20_000  # entries decoded at once for the assembly and statutes rows
_TYPE = b'{"type":"'  # how every stored entry begins (msgspec writes the tag first)
# The entry types that can give an assembly or statutes row, or withdraw one.
_ROWS = frozenset(
    name.encode()
    for name, cls in ev.EVENT_TYPES.items()
    if (issubclass(cls, FOLLOWS) and not issubclass(cls, ev.BodyEntry)) or cls is ev.EntryRetracted
)


def write_all(conn: Connection, store: Store, page: int = PAGE) -> int:
    """Write every read model's rows into its empty tables; the last sequence number (0: none).
    `page`: entries decoded at once for the assembly and statutes rows."""
    head = store.head()
    if head is None:
        return 0
    for fold in (REGISTER, BODIES):
        _subjects(conn, store, fold)
    _assemblies(conn, store, page)
    return head.seq


def _subjects(conn: Connection, store: Store, fold: SubjectFold) -> None:
    timelines, find = scan.timelines(conn, store, fold.prefix), store.entry_by_id
    with indexes_after(conn, fold.tables):
        while chunk := list(itertools.islice(timelines, SUBJECTS)):
            rows: tuple[list[tuple[object, ...]], list[tuple[object, ...]]] = ([], [])
            for subject, timeline in chunk:
                first, second = fold.expected(subject, timeline, find)
                rows[0].extend(first)
                rows[1].extend(second)
            for table, table_rows in zip(fold.tables, rows, strict=True):
                if table_rows:
                    bulk_insert(conn, table, table_rows)


def _assemblies(conn: Connection, store: Store, size: int) -> None:
    states = store.states()
    while page := list(itertools.islice(states, size)):
        entries = [ev.decode(state) for state in page if _gives_rows(state)]
        changes = AssemblyChanges()
        for entry, target in followed(entries, find_in(entries, store)):
            changes.see(entry, target)
        changes.write(conn)


def _gives_rows(state: bytes) -> bool:
    """Whether a stored entry may give or withdraw an assembly or statutes row, from its type."""
    if not state.startswith(_TYPE):
        return True  # not the usual encoding: decode it and see
    return state[len(_TYPE) : state.find(b'"', len(_TYPE))] in _ROWS
