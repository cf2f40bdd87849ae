"""The RFC 9162 Merkle tree over the ledger's entries, its proofs and their verification.

The tree is the one of Certificate Transparency (RFC 9162 §2.1, the same as
RFC 6962): SHA-256, a leaf hashed as ``H(0x00 || data)``, an inner node as
``H(0x01 || left || right)``, and a tree of ``n`` leaves split at the largest
power of two below ``n``. Using that exact tree lets any RFC 9162 tool check
our checkpoints and proofs.

Appending keeps a :class:`Frontier`, the roots of the perfect subtrees along
the right edge (one per set bit of the size), so the root after each append
costs O(log n) and no re-read. Proofs are generated from a :data:`SubtreeHash`
source, a function returning the stored hash of a perfect subtree: a proof
then takes O(log n) reads whatever the size of the ledger.
:class:`MemoryTree` is that source over a list of leaf hashes, for tests and
small trees.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()  # RFC 9162 §2.1.1: the hash of an empty list

SubtreeHash = Callable[[int, int], bytes]
"""``(start, level) -> MTH(D[start : start + 2**level])``, ``start`` a multiple of ``2**level``."""

Subtree = tuple[int, int, bytes]
"""A perfect subtree as ``(start, level, hash)``."""


class ProofError(ValueError):
    """A proof that does not prove what it claims; the message says why."""


def leaf_hash(data: bytes) -> bytes:
    """The leaf's hash, prefixed 0x00 so that no leaf can pass for an inner node."""
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two strictly below ``n`` (n >= 2): where RFC 9162 splits a tree."""
    return 1 << ((n - 1).bit_length() - 1)


def root_of(leaf_hashes: Sequence[bytes]) -> bytes:
    """MTH(D[n]) by the RFC's recursive definition, the reference the faster paths are tested against."""
    n = len(leaf_hashes)
    if n == 0:
        return EMPTY_ROOT
    if n == 1:
        return leaf_hashes[0]
    k = _split(n)
    return node_hash(root_of(leaf_hashes[:k]), root_of(leaf_hashes[k:]))


def _fold(hashes: Sequence[bytes]) -> bytes:
    """The root of consecutive perfect subtrees of decreasing size: fold them from the right."""
    root = hashes[-1]
    for left in reversed(hashes[:-1]):
        root = node_hash(left, root)
    return root


def _decompose(start: int, end: int) -> list[tuple[int, int]]:
    """[start, end) as perfect subtrees ``(start, level)``, largest first (``start`` aligned)."""
    parts = []
    while start < end:
        level = (end - start).bit_length() - 1
        parts.append((start, level))
        start += 1 << level
    return parts


class Frontier:
    """The right edge of the tree: the perfect subtree hashes that the root and later appends need.

    ``hashes[i]`` is the root of the i-th perfect subtree from the left, one
    per set bit of ``size``, largest first: O(log n) state to store beside the
    journal head.
    """

    __slots__ = ("hashes", "size")

    def __init__(self, size: int = 0, hashes: Iterable[bytes] = ()) -> None:
        self.size = size
        self.hashes = list(hashes)
        if size < 0 or len(self.hashes) != size.bit_count():
            raise ValueError(
                f"a frontier of size {size} has {size.bit_count()} hashes, not {len(self.hashes)}"
            )

    @classmethod
    def from_subtrees(cls, size: int, subtree: SubtreeHash) -> Frontier:
        """The frontier at ``size`` read from stored subtree hashes (log n reads)."""
        return cls(size, (subtree(start, level) for start, level in _decompose(0, size)))

    def subtrees(self) -> list[Subtree]:
        """The frontier's perfect subtrees as ``(start, level, hash)``."""
        return [
            (start, level, digest)
            for (start, level), digest in zip(_decompose(0, self.size), self.hashes, strict=True)
        ]

    def append(self, leaf: bytes) -> list[Subtree]:
        """Add a leaf hash; return the perfect subtrees it completes (the leaf first), to store."""
        start, level, digest = self.size, 0, leaf
        completed = [(start, level, digest)]
        while (self.size >> level) & 1:  # the subtree to the left is as large: merge
            digest = node_hash(self.hashes.pop(), digest)
            level += 1
            start -= 1 << (level - 1)
            completed.append((start, level, digest))
        self.hashes.append(digest)
        self.size += 1
        return completed

    def extend(self, leaves: Iterable[bytes], lowest: int = 1) -> list[tuple[int, int, bytes]]:
        """Add leaf hashes in turn, as `append` does; return the perfect subtrees they complete
        of level `lowest` (at least 1) or more, as ``(level, start, hash)``: what a store keeps."""
        hashes, size, completed = self.hashes, self.size, []
        pop, push, sha256 = hashes.pop, hashes.append, hashlib.sha256
        for digest in leaves:
            level = 0
            while (size >> level) & 1:  # the subtree to the left is as large: merge
                digest = sha256(b"\x01" + pop() + digest).digest()
                level += 1
                if level >= lowest:
                    completed.append((level, size + 1 - (1 << level), digest))
            push(digest)
            size += 1
        self.size = size
        return completed

    def root(self) -> bytes:
        return _fold(self.hashes) if self.hashes else EMPTY_ROOT


class MemoryTree:
    """Every perfect subtree hash of a tree held in memory: a :data:`SubtreeHash` for tests."""

    def __init__(self, leaf_hashes: Iterable[bytes] = ()) -> None:
        self.levels: list[list[bytes]] = [[]]
        for leaf in leaf_hashes:
            self.append(leaf)

    @property
    def size(self) -> int:
        return len(self.levels[0])

    def append(self, leaf: bytes) -> None:
        self.levels[0].append(leaf)
        level = 0
        while len(self.levels[level]) % 2 == 0:
            row = self.levels[level]
            if level + 1 == len(self.levels):
                self.levels.append([])
            self.levels[level + 1].append(node_hash(row[-2], row[-1]))
            level += 1

    def subtree(self, start: int, level: int) -> bytes:
        if start % (1 << level) or start + (1 << level) > self.size:
            raise ValueError(f"no perfect subtree of level {level} at {start} in a tree of {self.size}")
        return self.levels[level][start >> level]


def range_hash(start: int, end: int, subtree: SubtreeHash) -> bytes:
    """MTH(D[start:end]) for a node of the tree (``start`` aligned): O(log n) subtree reads."""
    if start >= end:
        raise ValueError(f"empty range [{start}, {end})")
    return _fold([subtree(s, level) for s, level in _decompose(start, end)])


def tree_root(size: int, subtree: SubtreeHash) -> bytes:
    return range_hash(0, size, subtree) if size else EMPTY_ROOT


def inclusion_proof(index: int, size: int, subtree: SubtreeHash) -> list[bytes]:
    """PATH(index, D[size]) of RFC 9162 §2.1.3.1, leaf level first."""
    if not 0 <= index < size:
        raise ValueError(f"leaf {index} is not in a tree of {size}")
    path: list[bytes] = []
    lo, hi = 0, size
    while hi - lo > 1:  # walk from the root down; the sibling of each step goes in front
        k = _split(hi - lo)
        if index - lo < k:
            path.append(range_hash(lo + k, hi, subtree))
            hi = lo + k
        else:
            path.append(range_hash(lo, lo + k, subtree))
            lo += k
    path.reverse()
    return path


def consistency_proof(size1: int, size2: int, subtree: SubtreeHash) -> list[bytes]:
    """PROOF(size1, D[size2]) of RFC 9162 §2.1.4.1 (SUBPROOF with b = true), leaf level first."""
    if not 0 < size1 <= size2:
        raise ValueError(f"no consistency proof from {size1} to {size2} entries")
    path: list[bytes] = []
    lo, hi, m, complete = 0, size2, size1, True
    while m != hi - lo:
        k = _split(hi - lo)
        if m <= k:
            path.append(range_hash(lo + k, hi, subtree))
            hi = lo + k
        else:
            path.append(range_hash(lo, lo + k, subtree))
            lo, m, complete = lo + k, m - k, False
    if not complete:
        path.append(range_hash(lo, hi, subtree))
    path.reverse()
    return path


def _check_hashes(proof: Sequence[bytes]) -> None:
    for i, digest in enumerate(proof):
        if len(digest) != HASH_SIZE:
            raise ProofError(f"proof hash {i} has {len(digest)} bytes, not {HASH_SIZE}")


def verify_inclusion(index: int, size: int, leaf: bytes, proof: Sequence[bytes], root: bytes) -> None:
    """RFC 9162 §2.1.3.2: raise :class:`ProofError` unless ``proof`` puts ``leaf`` at ``index``."""
    if not 0 <= index < size:
        raise ProofError(f"leaf {index} is not in a tree of {size}")
    if len(leaf) != HASH_SIZE:
        raise ProofError(f"the leaf hash has {len(leaf)} bytes, not {HASH_SIZE}")
    _check_hashes(proof)
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            raise ProofError(f"the proof is longer than a tree of {size} allows")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ProofError(f"the proof is shorter than a tree of {size} needs")
    if r != root:
        raise ProofError(f"the proof of leaf {index} leads to another root than the tree of {size}'s")


def verify_consistency(size1: int, size2: int, root1: bytes, root2: bytes, proof: Sequence[bytes]) -> None:
    """RFC 9162 §2.1.4.2: raise :class:`ProofError` unless the tree (size2, root2) extends (size1, root1)."""
    if not 0 < size1 <= size2:
        raise ProofError(f"no consistency proof from {size1} to {size2} entries")
    if size1 == size2:
        if proof:
            raise ProofError("equal sizes take an empty proof")
        if root1 != root2:
            raise ProofError(f"two different roots for the same size {size1}")
        return
    if not proof:
        raise ProofError("the consistency proof is empty")
    _check_hashes(proof)
    path = [root1, *proof] if size1 & (size1 - 1) == 0 else list(proof)
    fn, sn = size1 - 1, size2 - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise ProofError(f"the proof is longer than from {size1} to {size2} allows")
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while not fn & 1 and fn:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ProofError(f"the proof is shorter than from {size1} to {size2} needs")
    if fr != root1:
        raise ProofError(f"the proof does not lead to the root of the tree of {size1}")
    if sr != root2:
        raise ProofError(f"the proof does not lead to the root of the tree of {size2}")
