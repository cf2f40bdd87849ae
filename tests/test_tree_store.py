"""The stored Merkle tree (ledger/tree.py): written with the entries, the same appended one by one
or in bulk, rebuilt for a ledger that lacks it, checked by verify; on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib

from coopledger.ledger import tree
from coopledger.ledger.audit import tree_problems
from coopledger.ledger.database import parse_database
from coopledger.ledger.events import encode
from coopledger.ledger.merkle import MemoryTree, inclusion_proof, leaf_hash, root_of, verify_inclusion
from coopledger.ledger.provenance import chain_hash
from coopledger.ledger.store import Store
from tests.conftest import Book
from tests.journal import admit

SIZE = 70  # two stored level-5 subtrees, one level-6, and a ragged edge below them


def _fill(book: Book, one_by_one: int) -> None:
    lines = [admit(f"M{n:03}", "2024-01-10") for n in range(1, SIZE + 1)]
    book.record(*lines[: SIZE - one_by_one])
    for line in lines[SIZE - one_by_one :]:
        book.record(line)


def test_the_stored_tree_is_rfc_9162_over_the_chained_bytes(book: Book) -> None:
    _fill(book, one_by_one=9)
    entries = list(book.store.entries())
    expected = [leaf_hash(encode(e.__class__(**{**_fields(e), "hash": None}))) for e in entries]
    # the leaf is what the chain hashes: the entry without its hash
    previous = "0" * 64
    for e in entries:
        chained = previous.encode() + tree.leaf_data(encode(e))
        assert chain_hash(previous, e) == hashlib.sha256(chained).hexdigest()
        previous = e.hash or ""
    stored = tree.StoredTree(book.store)
    assert stored.root(SIZE) == root_of(expected)
    for size in (1, 31, 32, 33, 64, 69, SIZE):
        assert stored.root(size) == root_of(expected[:size])
    memory = MemoryTree(expected)
    for index in (0, 31, 40, 68):
        proof = inclusion_proof(index, SIZE, stored)
        assert proof == inclusion_proof(index, SIZE, memory.subtree)
        verify_inclusion(index, SIZE, expected[index], proof, root_of(expected))
    assert {(level, start) for level, start, _ in book.store.tree_rows()} == {(5, 0), (5, 32), (6, 0)}
    assert tree_problems(list(book.store.states()), book.store.tree_rows()) == []


def _fields(entry: object) -> dict[str, object]:
    return {name: getattr(entry, name) for name in entry.__struct_fields__}  # type: ignore[attr-defined]


def test_a_ledger_without_its_tree_gets_it_on_open(book: Book) -> None:
    _fill(book, one_by_one=0)
    rows = book.store.tree_rows()
    book.store.recorder.replace_tree([])
    assert tree_problems(list(book.store.states()), []) != []
    if book.url == "sqlite://":
        book.store.build_tree()
    else:
        Store(parse_database(book.url)).close()
    assert book.store.tree_rows() == rows
