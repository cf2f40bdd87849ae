"""The Merkle tree against published known answers, and proofs that must fail.

Known answers: the RFC 6962 test tree of transparency-dev/merkle (its
``testonly`` leaves, node and root hashes, the inclusion and consistency
proofs of ``proof/verify_test.go``, the corruptions its ``testdata/`` probes
are made of, and the proof shapes of ``proof/proof_test.go``), the hasher
answers of ``rfc6962/rfc6962_test.go``. Each verification runs on both
implementations: ``ledger.merkle`` and the standalone ``verify_bundle.py``.
"""

from __future__ import annotations

import hashlib
import importlib.util
from collections.abc import Callable, Sequence
from pathlib import Path
from types import ModuleType

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coopledger.ledger import merkle
from coopledger.ledger.merkle import EMPTY_ROOT, Frontier, MemoryTree, leaf_hash, node_hash


def _load_script() -> ModuleType:
    path = Path(merkle.__file__).parent / "bundle" / "verify_bundle.py"
    spec = importlib.util.spec_from_file_location("verify_bundle", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


script = _load_script()

Verifiers = tuple[Callable[..., None], Callable[..., None], type[Exception]]
VERIFIERS: dict[str, Verifiers] = {
    "ledger": (merkle.verify_inclusion, merkle.verify_consistency, merkle.ProofError),
    "script": (script.verify_inclusion, script.verify_consistency, script.Problem),
}
IMPLEMENTATIONS = [pytest.param(v, id=name) for name, v in VERIFIERS.items()]

LEAVES = [
    bytes.fromhex(h)
    for h in (
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    )
]
ROOTS = [EMPTY_ROOT] + [
    bytes.fromhex(h)
    for h in (
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    )
]
NODES = [  # NODES[level][index]: every perfect subtree of the 8-leaf tree
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d "
    "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7 "
    "0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7 "
    "07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7 "
    "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b "
    "4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658 "
    "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f "
    "46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125 "
    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e "
    "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a "
    "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7 "
    "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
INCLUSION = [  # (leaf index, tree size, proof as hex prefixes of NODES hashes)
    (0, 8, ["96a296d2", "5f083f0a", "6b47aaf2"]),
    (5, 8, ["bc1a0643", "ca854ea1", "d37ee418"]),
    (2, 3, ["fac54203"]),
    (1, 5, ["6e340b9c", "5f083f0a", "bc1a0643"]),
]
CONSISTENCY = [  # (size1, size2, proof)
    (1, 1, []),
    (1, 8, ["96a296d2", "5f083f0a", "6b47aaf2"]),
    (6, 8, ["0ebc5d34", "ca854ea1", "d37ee418"]),
    (2, 5, ["5f083f0a", "bc1a0643"]),
    (6, 7, ["0ebc5d34", "b08693ec", "d37ee418"]),
]
SOME_HASH = bytes.fromhex("abacaba000000000000000000000000000000000000000000060061e00123456")


def _node(prefix: str) -> bytes:
    (match,) = {h for row in NODES for h in row.split() if h.startswith(prefix)}
    return bytes.fromhex(match)


def _tree(leaves: Sequence[bytes] = LEAVES) -> MemoryTree:
    return MemoryTree(leaf_hash(leaf) for leaf in leaves)


def test_hasher_known_answers() -> None:
    assert EMPTY_ROOT.hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert leaf_hash(b"").hex() == "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"
    assert leaf_hash(b"L123456").hex() == "395aa064aa4c29f7010acfe3f25db9485bbd4b91897b6ad7ad547639252b4d56"
    assert (
        node_hash(b"N123", b"N456").hex()
        == "aa217fe888e47007fa15edab33c2b492a722cb106c64667fc2b044444de66bbb"
    )
    assert script.leaf_hash(b"L123456") == leaf_hash(b"L123456")
    assert script.node_hash(b"N123", b"N456") == node_hash(b"N123", b"N456")


def test_roots_and_nodes_of_the_rfc_6962_tree() -> None:
    frontier, tree = Frontier(), _tree()
    assert frontier.root() == ROOTS[0] == merkle.tree_root(0, tree.subtree)
    for size, leaf in enumerate(LEAVES, start=1):
        frontier.append(leaf_hash(leaf))
        hashes = [leaf_hash(d) for d in LEAVES[:size]]
        assert (
            frontier.root() == merkle.root_of(hashes) == merkle.tree_root(size, tree.subtree) == ROOTS[size]
        )
        assert Frontier.from_subtrees(size, tree.subtree).hashes == frontier.hashes
    assert [[h.hex() for h in row] for row in tree.levels] == [row.split() for row in NODES]
    assert script.roots_at((leaf_hash(d) for d in LEAVES), range(9)) == dict(enumerate(ROOTS))


def test_append_reports_the_subtrees_it_completes() -> None:
    frontier, completed = Frontier(), []
    for leaf in LEAVES:
        completed += frontier.append(leaf_hash(leaf))
    tree = _tree()
    assert sorted(completed) == sorted(
        (index << level, level, digest)
        for level, row in enumerate(tree.levels)
        for index, digest in enumerate(row)
    )
    assert frontier.subtrees() == [(0, 3, ROOTS[8])]


def test_the_frontier_is_the_compact_range() -> None:
    """transparency-dev's CompactTrees: at 7 leaves, the subtrees [0, 4), [4, 6) and [6, 7)."""
    frontier = Frontier()
    for leaf in LEAVES[:7]:
        frontier.append(leaf_hash(leaf))
    level = [row.split() for row in NODES]
    assert [h.hex() for h in frontier.hashes] == [level[2][0], level[1][2], level[0][6]]
    assert [(start, lvl) for start, lvl, _ in frontier.subtrees()] == [(0, 2), (4, 1), (6, 0)]
    with pytest.raises(ValueError):
        Frontier(7, frontier.hashes[:2])


@pytest.mark.parametrize(("index", "size", "proof"), INCLUSION)
def test_inclusion_proofs_known_answers(index: int, size: int, proof: list[str]) -> None:
    assert merkle.inclusion_proof(index, size, _tree().subtree) == [_node(p) for p in proof]


@pytest.mark.parametrize(("size1", "size2", "proof"), CONSISTENCY)
def test_consistency_proofs_known_answers(size1: int, size2: int, proof: list[str]) -> None:
    assert merkle.consistency_proof(size1, size2, _tree().subtree) == [_node(p) for p in proof]


def _flip(proof: list[bytes], i: int, bit: int) -> list[bytes]:
    changed = list(proof)
    changed[i] = bytes([changed[i][0] ^ bit]) + changed[i][1:]
    return changed


@pytest.mark.parametrize("verifiers", IMPLEMENTATIONS)
@pytest.mark.parametrize(("index", "size", "hexes"), INCLUSION)
def test_inclusion_verifies_and_every_corruption_fails(
    verifiers: Verifiers, index: int, size: int, hexes: list[str]
) -> None:
    """The corruptions of transparency-dev's corruptInclusionProof, each one refused."""
    verify, _, error = verifiers
    proof, root, leaf = [_node(p) for p in hexes], ROOTS[size], leaf_hash(LEAVES[index])
    verify(index, size, leaf, proof, root)
    probes = [
        (index - 1, size, leaf, proof, root),
        (index + 1, size, leaf, proof, root),
        (index ^ 2, size, leaf, proof, root),
        (index, size * 2, leaf, proof, root),
        (index, size // 2, leaf, proof, root),
        (index, size, b"WrongLeaf", proof, root),
        (index, size, leaf, proof, EMPTY_ROOT),
        (index, size, leaf, proof, SOME_HASH),
        (index, size, leaf, [*proof, b""], root),
        (index, size, leaf, [*proof, root], root),
        (index, size, leaf, [b"", *proof], root),
        (index, size, leaf, [root, *proof], root),
        (index, size, leaf, proof[:-1], root),
        (index, size, leaf, [proof[0], SOME_HASH, *proof[1:]], root),
        *((index, size, leaf, _flip(proof, i, 8), root) for i in range(len(proof))),
    ]
    for probe in probes:
        with pytest.raises(error):
            verify(*probe)


@pytest.mark.parametrize("verifiers", IMPLEMENTATIONS)
@pytest.mark.parametrize(("size1", "size2", "hexes"), CONSISTENCY[1:])
def test_consistency_verifies_and_every_corruption_fails(
    verifiers: Verifiers, size1: int, size2: int, hexes: list[str]
) -> None:
    """The corruptions of transparency-dev's corruptConsistencyProof, each one refused."""
    _, verify, error = verifiers
    proof, root1, root2 = [_node(p) for p in hexes], ROOTS[size1], ROOTS[size2]
    verify(size1, size2, root1, root2, proof)
    probes = [
        (size1 - 1, size2, root1, root2, proof),
        (size1 + 1, size2, root1, root2, proof),
        (size1 ^ 2, size2, root1, root2, proof),
        (size1, size2 * 2, root1, root2, proof),
        (size1, size2 // 2, root1, root2, proof),
        (size1, size2, b"WrongRoot", root2, proof),
        (size1, size2, root1, b"WrongRoot", proof),
        (size1, size2, root2, root1, proof),
        (size1, size2, root1, root2, []),
        (size1, size2, root1, root2, [*proof, b""]),
        (size1, size2, root1, root2, [*proof, root1]),
        (size1, size2, root1, root2, [*proof, root2]),
        (size1, size2, root1, root2, [b"", *proof]),
        (size1, size2, root1, root2, [root1, *proof]),
        (size1, size2, root1, root2, [root2, *proof]),
        (size1, size2, root1, root2, [proof[0], *proof]),
        (size1, size2, root1, root2, proof[:-1]),
        *((size1, size2, root1, root2, _flip(proof, i, 16)) for i in range(len(proof))),
    ]
    for probe in probes:
        with pytest.raises(error):
            verify(*probe)


ROOT_1 = leaf_hash(b"data")
EDGE_CASES = [  # transparency-dev testdata/*/additional and single-entry: (kind, arguments, holds)
    ("inclusion", (0, 1, ROOT_1, [], ROOT_1), True),
    ("inclusion", (0, 1, b"", [], ROOT_1), False),
    ("inclusion", (0, 1, ROOT_1, [], b""), False),
    ("inclusion", (0, 1, b"", [], b""), False),
    ("inclusion", (0, 0, SOME_HASH, [], EMPTY_ROOT), False),
    ("inclusion", (0, 0, b"", [], EMPTY_ROOT), False),
    ("inclusion", (1, 0, SOME_HASH, [], EMPTY_ROOT), False),
    ("inclusion", (2, 1, SOME_HASH, [], SOME_HASH), False),
    ("consistency", (0, 0, EMPTY_ROOT, EMPTY_ROOT, []), False),
    ("consistency", (0, 1, EMPTY_ROOT, EMPTY_ROOT, [EMPTY_ROOT]), False),
    ("consistency", (0, 1, EMPTY_ROOT, b"don't care 2", []), False),
    ("consistency", (1, 0, b"don't care 1", b"don't care 2", []), False),
    ("consistency", (2, 1, b"don't care 1", b"don't care 2", []), False),
    ("consistency", (1, 1, b"don't care 2", b"don't care 2", []), True),
    ("consistency", (1, 1, b"don't care 1", b"don't care 2", []), False),
    ("consistency", (1, 1, EMPTY_ROOT, EMPTY_ROOT, [EMPTY_ROOT]), False),
    ("consistency", (1, 2, b"don't care 1", b"don't care 2", []), False),
]


@pytest.mark.parametrize("verifiers", IMPLEMENTATIONS)
@pytest.mark.parametrize(("kind", "arguments", "holds"), EDGE_CASES)
def test_edge_cases(verifiers: Verifiers, kind: str, arguments: tuple[object, ...], holds: bool) -> None:
    inclusion, consistency, error = verifiers
    verify = inclusion if kind == "inclusion" else consistency
    if holds:
        verify(*arguments)
    else:
        with pytest.raises(error):
            verify(*arguments)


Node = tuple[int, int]  # (level, index), as compact.NewNodeID
SHAPES = [  # proof/proof_test.go: (kind, m, size, nodes, [begin, end) folded into one hash)
    ("inclusion", 0, 7, [(0, 1), (1, 1), (0, 6), (1, 2)], (2, 4)),
    ("inclusion", 4, 7, [(0, 5), (0, 6), (2, 0)], (1, 2)),
    ("inclusion", 3, 5, [(0, 2), (1, 0), (0, 4)], (2, 3)),
    ("inclusion", 10, 15, [(0, 11), (1, 4), (0, 14), (1, 6), (3, 0)], (2, 4)),
    ("inclusion", 24, 31, [(0, 25), (1, 13), (0, 30), (1, 14), (3, 2), (4, 0)], (2, 4)),
    ("inclusion", 81, 95, [(0, 80), (1, 41), (2, 21), (0, 94), (1, 46), (2, 22), (4, 4), (6, 0)], (3, 6)),
    ("consistency", 1, 6, [(0, 1), (1, 1), (1, 2)], (2, 3)),
    ("consistency", 3, 7, [(0, 2), (0, 3), (1, 0), (0, 6), (1, 2)], (3, 5)),
    ("consistency", 7, 8, [(0, 6), (0, 7), (1, 2), (2, 0)], (0, 0)),
    ("consistency", 10, 15, [(1, 4), (1, 5), (0, 14), (1, 6), (3, 0)], (2, 4)),
    ("consistency", 24, 31, [(3, 2), (0, 30), (1, 14), (2, 6), (4, 0)], (1, 4)),
    (
        "consistency",
        81,
        95,
        [(0, 80), (0, 81), (1, 41), (2, 21), (0, 94), (1, 46), (2, 22), (4, 4), (6, 0)],
        (4, 7),
    ),
]


@pytest.mark.parametrize(("kind", "m", "size", "nodes", "fold"), SHAPES)
def test_proof_shapes(kind: str, m: int, size: int, nodes: list[Node], fold: tuple[int, int]) -> None:
    """Larger trees: the proof is those nodes, the ones in [begin, end) hashed into their ancestor."""
    tree = _tree([i.to_bytes(2, "big") for i in range(size)])
    hashes = [tree.levels[level][index] for level, index in nodes]
    begin, end = fold
    if end > begin:
        folded = hashes[begin]
        for left in hashes[begin + 1 : end]:
            folded = node_hash(left, folded)
        hashes[begin:end] = [folded]
    make = merkle.inclusion_proof if kind == "inclusion" else merkle.consistency_proof
    assert make(m, size, tree.subtree) == hashes


@pytest.mark.parametrize(("index", "size"), [(0, 0), (1, 0), (2, 1), (3, 0), (8, 7), (-1, 3)])
def test_no_inclusion_proof_outside_the_tree(index: int, size: int) -> None:
    with pytest.raises(ValueError):
        merkle.inclusion_proof(index, size, _tree().subtree)


@pytest.mark.parametrize(("size1", "size2"), [(5, 0), (9, 8), (0, 5), (0, 0)])
def test_no_consistency_proof_backwards_or_from_nothing(size1: int, size2: int) -> None:
    with pytest.raises(ValueError):
        merkle.consistency_proof(size1, size2, _tree().subtree)


def _alterations(proof: list[bytes]) -> list[list[bytes]]:
    """Every proof one step away: a bit flipped in each hash, one hash dropped, one added."""
    changed = [_flip(proof, i, 1) for i in range(len(proof))]
    changed += [proof[:i] + proof[i + 1 :] for i in range(len(proof))]
    changed += [[*proof, SOME_HASH], [SOME_HASH, *proof]]
    return changed


@settings(max_examples=60, deadline=None)
@given(st.lists(st.binary(max_size=8), min_size=1, max_size=70), st.data())
def test_generated_proofs_verify_and_altered_ones_do_not(leaves: list[bytes], data: st.DataObject) -> None:
    hashes = [leaf_hash(leaf) for leaf in leaves]
    tree, frontier = MemoryTree(hashes), Frontier()
    for size, digest in enumerate(hashes, start=1):
        frontier.append(digest)
        assert frontier.root() == merkle.root_of(hashes[:size]) == merkle.tree_root(size, tree.subtree)
    size2 = data.draw(st.integers(1, len(leaves)), label="size2")
    size1 = data.draw(st.integers(1, size2), label="size1")
    index = data.draw(st.integers(0, size2 - 1), label="index")
    root1, root2 = merkle.root_of(hashes[:size1]), merkle.root_of(hashes[:size2])
    assert Frontier.from_subtrees(size2, tree.subtree).root() == root2

    inclusion = merkle.inclusion_proof(index, size2, tree.subtree)
    consistency = merkle.consistency_proof(size1, size2, tree.subtree)
    for implementation in (merkle, script):
        implementation.verify_inclusion(index, size2, hashes[index], inclusion, root2)
        implementation.verify_consistency(size1, size2, root1, root2, consistency)
    for verify_inclusion, verify_consistency, error in VERIFIERS.values():
        for altered in _alterations(inclusion):
            with pytest.raises(error):
                verify_inclusion(index, size2, hashes[index], altered, root2)
        if size1 < size2:
            for altered in _alterations(consistency):
                with pytest.raises(error):
                    verify_consistency(size1, size2, root1, root2, altered)
        with pytest.raises(error):
            verify_inclusion(index, size2, hashlib.sha256(b"another").digest(), inclusion, root2)
