"""The ledger's Merkle tree as stored: its leaves, the subtree hashes kept, proofs read from them.

The leaf of entry #n is its canonical chained bytes: the stored state without
its ``"hash"`` member, which is what the hash chain hashes too, and holds no
personal data (an erasure never changes a leaf). The tree is RFC 9162's over
the leaves in sequence order (`ledger/merkle.py`).

What is stored (``coop_tree``, written in the same transaction as the entries):
the hash of every complete perfect subtree of level ``STORED_LEVEL`` or more,
as ``(level, start, hash)``, ``start`` counted from 0. A subtree below that
level (at most ``2**STORED_LEVEL - 1`` leaves) is recomputed from the entries'
stored bytes when a proof or the frontier needs it. So the table holds about
``n / 2**(STORED_LEVEL - 1)`` rows, the root or a proof costs O(log n) row
reads plus at most a few dozen entries, and an append reads the frontier
(O(log n) rows) and writes the subtrees it completes.

A ledger written before the tree existed gets it on first open
(`Store.__init__` calls :func:`ensure`), in one transaction that holds a lock
(PostgreSQL: an advisory lock of the ledger's schema, as table creation holds
one; SQLite: the write lock, taken first): of several processes opening such a
ledger at once, one builds the tree and the others, waiting, find it built.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING

from coopledger.ledger.merkle import Frontier, Subtree, leaf_hash, root_of, tree_root

if TYPE_CHECKING:
    from coopledger.ledger.store import Store

STORED_LEVEL = 5  # subtrees of 32 leaves and more are stored; smaller ones recomputed
_HASH_MEMBER = b',"hash":"'
_HASH_LEN = len(_HASH_MEMBER) + 64 + 1


def leaf_data(state: bytes) -> bytes:
    """The canonical chained bytes of a stored entry: its state without the ``"hash"`` member."""
    state = bytes(state)
    at = state.find(_HASH_MEMBER)
    return state if at < 0 else state[:at] + state[at + _HASH_LEN :]


def leaves(states: Iterable[bytes]) -> list[bytes]:
    return [leaf_hash(leaf_data(state)) for state in states]


def kept(completed: Iterable[Subtree]) -> list[tuple[int, int, bytes]]:
    """The subtrees an append completes that are stored: ``(level, start, hash)``."""
    return [(level, start, digest) for start, level, digest in completed if level >= STORED_LEVEL]


class StoredTree:
    """The tree of a store as a :data:`ledger.merkle.SubtreeHash` source (reads cached per instance)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.read = lru_cache(maxsize=4096)(self._read)

    def _read(self, start: int, level: int) -> bytes:
        if level >= STORED_LEVEL:
            digest = self.store.tree_hash(level, start)
            if digest is None:
                raise LookupError(f"no stored subtree of level {level} at {start}")
            return digest
        return root_of(leaves(self.store.states(start, start + (1 << level))))

    def __call__(self, start: int, level: int) -> bytes:
        return self.read(start, level)

    def frontier(self, size: int) -> Frontier:
        return Frontier.from_subtrees(size, self)

    def root(self, size: int) -> bytes:
        return tree_root(size, self)


def rows_for(states: Iterable[bytes]) -> tuple[Frontier, list[tuple[int, int, bytes]]]:
    """The whole tree of these entries: its frontier and the rows to store."""
    frontier, rows = Frontier(), []
    for leaf in leaves(states):
        rows += kept(frontier.append(leaf))
    return frontier, rows


def appended(store: Store, first_seq: int, states: Sequence[bytes]) -> list[tuple[int, int, bytes]]:
    """The rows that appending these entries (the first of sequence ``first_seq``) stores."""
    return extended(store, first_seq, leaves(states))


def extended(store: Store, first_seq: int, leaf_hashes: Iterable[bytes]) -> list[tuple[int, int, bytes]]:
    """The rows that appending entries of these leaf hashes (the first of sequence ``first_seq``) stores."""
    return StoredTree(store).frontier(first_seq - 1).extend(leaf_hashes, STORED_LEVEL)


def missing(store: Store, size: int) -> bool:
    """Whether a ledger of ``size`` entries lacks its stored tree (written before it existed)."""
    block = 1 << STORED_LEVEL
    if size < block:
        return False
    return store.tree_hash(STORED_LEVEL, (size // block - 1) * block) is None


# The advisory lock key held while the tree is built ("tree"), paired with the schema's hash:
# one builder per ledger on a server (`postgres_recorder.CREATION_LOCK` serialises creation).
BUILD_LOCK = 0x74726565


def ensure(store: Store) -> int | None:
    """Build the stored tree of a ledger that lacks it, once however many processes open it at
    the same moment; the rows written, None when the tree was there (one indexed read)."""
    head = store.head()
    if head is None or not missing(store, head.seq):
        return None
    return build(store, only_if_missing=True)


def build(store: Store, only_if_missing: bool = False) -> int | None:
    """Recompute `coop_tree` from the entries in one transaction holding the build lock; with
    `only_if_missing`, nothing if another process built it meanwhile (None)."""
    with store.transaction() as conn:
        postgres = conn.dialect.name == "postgresql"
        if postgres:  # released with the transaction; a second builder waits here
            conn.exec_driver_sql(
                "SELECT pg_advisory_xact_lock(%s, hashtext(current_schema()))", (BUILD_LOCK,)
            )
        else:  # the write lock first: no append or other builder until this one commits
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        if only_if_missing:  # read again under the lock: another process may have built it
            head = store.head()
            if head is None or not missing(store, head.seq):
                return None
        _, rows = rows_for(store.states())
        conn.exec_driver_sql("DELETE FROM coop_tree")
        if rows:
            marks = ", ".join(["%s" if postgres else "?"] * 3)
            conn.exec_driver_sql(f"INSERT INTO coop_tree (level, start, hash) VALUES ({marks})", rows)
    return len(rows)
