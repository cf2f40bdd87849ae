#!/usr/bin/env python3
"""Check a coopledger auditor's bundle, or a member's proofs, with the Python standard library alone.

    python3 verify_bundle.py DIR [--checkpoint FILE ...] [--key PUBKEY ...]
    python3 verify_bundle.py --proof FILE --checkpoint FILE [--key PUBKEY ...]

DIR holds ``journal.jsonl``, ``checkpoints/*.txt`` and ``keys/*.pub``. The
script recomputes the journal's hash chain and its RFC 9162 Merkle tree, checks
each checkpoint's signatures (``--key`` replaces the bundle's own keys: use the
keys you were given, not the ones that came with the journal) and that the
checkpoint's tree is the journal's first entries. With ``--proof`` it checks a
member's entries and their inclusion proofs against one checkpoint.

Exit 0 when everything holds; 1 with the first problem on one line (stderr);
2 for bad usage. Nothing here imports coopledger: the script is its own
second implementation, so that a bug in coopledger cannot vouch for itself.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import hashlib
import json
import re
import sys
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")


class Problem(Exception):
    """The first thing found not to hold; its message is printed on one line."""


# Ed25519 verification, RFC 8032 §5.1 (a verifier only: the bundle never signs).

P = 2**255 - 19
L = 2**252 + 27742317777372353535851937790883648493  # the order of the base point
D = -121665 * pow(121666, P - 2, P) % P
SQRT_M1 = pow(2, (P - 1) // 4, P)
Point = tuple[int, int, int, int]  # extended coordinates (X, Y, Z, T): x = X/Z, y = Y/Z, x*y = T/Z


def _add(p: Point, q: Point) -> Point:
    """Point addition, RFC 8032 §5.1.4 (complete: it also doubles)."""
    a = (p[1] - p[0]) * (q[1] - q[0]) % P
    b = (p[1] + p[0]) * (q[1] + q[0]) % P
    c = 2 * p[3] * q[3] * D % P
    d = 2 * p[2] * q[2] % P
    e, f, g, h = b - a, d - c, d + c, b + a
    return (e * f % P, g * h % P, f * g % P, e * h % P)


def _multiply(scalar: int, point: Point) -> Point:
    result: Point = (0, 1, 1, 0)  # the neutral element
    while scalar:
        if scalar & 1:
            result = _add(result, point)
        point = _add(point, point)
        scalar >>= 1
    return result


def _same(p: Point, q: Point) -> bool:
    return (p[0] * q[2] - q[0] * p[2]) % P == 0 and (p[1] * q[2] - q[1] * p[2]) % P == 0


def _decode_point(encoded: bytes) -> Point | None:
    """RFC 8032 §5.1.3; None for an encoding that is not a canonical point of the curve."""
    y = int.from_bytes(encoded, "little")
    sign, y = y >> 255, y & ((1 << 255) - 1)
    if y >= P:
        return None
    u, v = (y * y - 1) % P, (D * y * y + 1) % P
    x = u * pow(v, 3, P) * pow(u * pow(v, 7, P), (P - 5) // 8, P) % P
    if v * x * x % P == (-u) % P:
        x = x * SQRT_M1 % P
    if v * x * x % P != u:
        return None
    if x == 0 and sign:
        return None
    if x & 1 != sign:
        x = P - x
    return (x, y, 1, x * y % P)


BASE = _decode_point((4 * pow(5, P - 2, P) % P).to_bytes(32, "little"))


def ed25519_verify(public: bytes, message: bytes, signature: bytes) -> bool:
    """RFC 8032 §5.1.7: the group equation [8][S]B = [8]R + [8][k]A."""
    if len(public) != 32 or len(signature) != 64 or BASE is None:
        return False
    a, r = _decode_point(public), _decode_point(signature[:32])
    s = int.from_bytes(signature[32:], "little")
    if a is None or r is None or s >= L:
        return False
    k = int.from_bytes(hashlib.sha512(signature[:32] + public + message).digest(), "little") % L
    return _same(_multiply(8 * s, BASE), _multiply(8, _add(r, _multiply(k, a))))


# The Merkle tree, RFC 9162 §2.1: SHA-256, leaves H(0x00 || d), nodes H(0x01 || left || right).

EMPTY_ROOT = hashlib.sha256(b"").digest()


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def roots_at(leaves: Iterable[bytes], sizes: Iterable[int]) -> dict[int, bytes]:
    """The tree root at each of ``sizes`` (none beyond the leaves), in one pass over the leaf hashes.

    It keeps the right edge: one perfect subtree per set bit of the size.
    """
    wanted = set(sizes)
    roots: dict[int, bytes] = {0: EMPTY_ROOT} if 0 in wanted else {}
    edge: list[bytes] = []
    for size, leaf in enumerate(leaves, start=1):
        digest, level = leaf, 0
        while ((size - 1) >> level) & 1:  # the subtree to the left is as large: merge
            digest = node_hash(edge.pop(), digest)
            level += 1
        edge.append(digest)
        if size in wanted:
            root = edge[-1]
            for left in reversed(edge[:-1]):
                root = node_hash(left, root)
            roots[size] = root
    return roots


def _check_hashes(proof: Sequence[bytes]) -> None:
    for i, digest in enumerate(proof):
        if len(digest) != 32:
            raise Problem(f"proof hash {i} has {len(digest)} bytes, not 32")


def verify_inclusion(index: int, size: int, leaf: bytes, proof: Sequence[bytes], root: bytes) -> None:
    """RFC 9162 §2.1.3.2: raise Problem unless ``proof`` puts the leaf hash at ``index``."""
    if not 0 <= index < size:
        raise Problem(f"leaf {index} is not in a tree of {size}")
    if len(leaf) != 32:
        raise Problem(f"the leaf hash has {len(leaf)} bytes, not 32")
    _check_hashes(proof)
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            raise Problem(f"the proof is longer than a tree of {size} allows")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise Problem(f"the proof is shorter than a tree of {size} needs")
    if r != root:
        raise Problem(f"the proof of leaf {index} leads to another root than the tree of {size}'s")


def verify_consistency(size1: int, size2: int, root1: bytes, root2: bytes, proof: Sequence[bytes]) -> None:
    """RFC 9162 §2.1.4.2: raise Problem unless the tree (size2, root2) extends (size1, root1)."""
    if not 0 < size1 <= size2:
        raise Problem(f"no consistency proof from {size1} to {size2} entries")
    if size1 == size2:
        if proof or root1 != root2:
            raise Problem(f"the trees of {size1} entries differ" if root1 != root2 else "a proof too many")
        return
    if not proof:
        raise Problem("the consistency proof is empty")
    _check_hashes(proof)
    path = [root1, *proof] if size1 & (size1 - 1) == 0 else list(proof)
    fn, sn = size1 - 1, size2 - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise Problem(f"the proof is longer than from {size1} to {size2} allows")
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while not fn & 1 and fn:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise Problem(f"the proof is shorter than from {size1} to {size2} needs")
    if fr != root1 or sr != root2:
        raise Problem(f"the tree of {size2} entries does not extend the tree of {size1}")


# Checkpoints (c2sp.org/tlog-checkpoint) in signed notes (c2sp.org/signed-note), Ed25519 keys.


def _b64(text: str, what: str) -> bytes:
    try:
        raw = base64.b64decode(text, validate=True)
    except binascii.Error:
        raise Problem(f"{what} is not base64") from None
    if base64.b64encode(raw).decode() != text:
        raise Problem(f"{what} is not in canonical base64")
    return raw


def key_id(name: str, public: bytes) -> bytes:
    return hashlib.sha256(name.encode() + b"\n\x01" + public).digest()[:4]


def parse_vkey(text: str) -> tuple[str, bytes]:
    """A verifier key ``NAME+KEYID+BASE64(0x01 || public key)`` as (name, public key)."""
    parts = text.strip().split("+", 2)
    if len(parts) != 3 or not parts[0] or not re.fullmatch(r"[0-9a-f]{8}", parts[1]):
        raise Problem("a public key reads NAME+KEYID+BASE64")
    raw = _b64(parts[2], f"the public key {parts[0]}")
    if len(raw) != 33 or raw[0] != 1:
        raise Problem(f"the public key {parts[0]} is not an Ed25519 key")
    if key_id(parts[0], raw[1:]).hex() != parts[1]:
        raise Problem(f"the public key {parts[0]} states a key id not its own")
    return parts[0], raw[1:]


def parse_note(data: str) -> tuple[str, list[tuple[str, bytes, bytes]]]:
    """A signed note as its text and its signatures (name, key id, signature)."""
    if not data.endswith("\n") or any(c < " " and c != "\n" for c in data):
        raise Problem("a note is text ending with a newline, without control characters")
    split = data.rfind("\n\n")
    if split < 0 or split + 2 == len(data):
        raise Problem("a note has a blank line, then its signature lines")
    signatures = []
    for line in data[split + 2 : -1].split("\n"):
        parts = line.split(" ")
        if len(parts) != 3 or parts[0] != "\u2014" or not parts[1] or "+" in parts[1]:
            raise Problem(f"not a signature line: {line[:60]!r}")
        raw = _b64(parts[2], f"the signature of {parts[1]}")
        signatures.append((parts[1], raw[:4], raw[4:]))
    return data[: split + 1], signatures


def parse_checkpoint(text: str) -> tuple[str, int, bytes]:
    """The origin, tree size and root hash of a checkpoint's note text."""
    lines = text[:-1].split("\n")
    if len(lines) < 3 or not lines[0] or any(not line for line in lines[3:]):
        raise Problem("a checkpoint reads: origin, tree size, root hash, optional extension lines")
    if not re.fullmatch(r"0|[1-9][0-9]*", lines[1]):
        raise Problem(f"the tree size {lines[1][:30]!r} is not a decimal number")
    root = _b64(lines[2], "the root hash")
    if len(root) != 32:
        raise Problem(f"the root hash has {len(root)} bytes, not 32")
    return lines[0], int(lines[1]), root


def check_signatures(
    text: str, signatures: list[tuple[str, bytes, bytes]], keys: dict[str, bytes]
) -> list[str]:
    """The names of the known keys that signed; unknown keys are ignored, a bad known signature fails."""
    signed = []
    for name, kid, signature in signatures:
        public = keys.get(name)
        if public is None or key_id(name, public) != kid:
            continue
        if not ed25519_verify(public, text.encode(), signature):
            raise Problem(f"the signature of {name} does not match")
        signed.append(name)
    if not signed:
        raise Problem(f"signed by none of the keys ({', '.join(sorted(keys)) or 'none given'})")
    return signed


def _in_file(path: Path, parse: Callable[[str], T]) -> T:
    """``parse`` applied to the file's text, a problem named after the file."""
    try:
        return parse(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeError) as exc:
        raise Problem(f"{path}: cannot be read ({exc})") from None
    except Problem as problem:
        raise Problem(f"{path}: {problem}") from None


def read_checkpoint(path: Path, keys: dict[str, bytes] | None) -> tuple[str, int, bytes, list[str]]:
    """A checkpoint file as origin, size, root and who signed it (nobody checked when keys is None)."""

    def parse(data: str) -> tuple[str, int, bytes, list[str]]:
        text, signatures = parse_note(data)
        signed = [] if keys is None else check_signatures(text, signatures, keys)
        return (*parse_checkpoint(text), signed)

    return _in_file(path, parse)


def read_keys(paths: Iterable[Path]) -> dict[str, bytes]:
    return dict(_in_file(path, parse_vkey) for path in paths)


# The journal.


PERSONAL = b',"personal":{'


def journal_leaf(line: bytes) -> bytes:
    """The Merkle leaf of a journal line: the entry's canonical chained bytes, what its hash chains.

    Exactly what the auditor's guide's chain script hashes: the exported line
    without its last member ``,"personal":{...}`` if it has one (a full export's
    personal data, never chained), and without ``,"hash":"<hex>"``.
    """
    entry = json.loads(line)
    if "personal" in entry:  # the last member: a string inside holds '\"', never this
        at = line.find(PERSONAL)
        if at < 0 or not line.endswith(b"}}"):
            raise Problem('the "personal" member is not the last one, in the exported form')
        line = line[:at] + b"}"
        del entry["personal"]
        if json.loads(line) != entry:
            raise Problem('the "personal" member is not the last one, in the exported form')
    member = b',"hash":"' + str(entry["hash"]).encode() + b'"'
    if member not in line:
        raise Problem('no "hash" member in the exported form')
    return line.replace(member, b"", 1)


def read_journal(path: Path) -> list[bytes]:
    """The journal's lines, checked as the auditor's guide does: sequence, recorded time, hash chain."""
    try:
        lines = path.read_bytes().split(b"\n")
    except OSError as exc:
        raise Problem(f"{path}: cannot be read ({exc})") from None
    if lines[-1]:
        raise Problem(f"{path}: the last line does not end with a newline")
    leaves, previous, last_recorded = [], "0" * 64, ""
    for seq, line in enumerate(lines[:-1], start=1):
        try:
            entry = json.loads(line)
            unhashed = journal_leaf(line)
        except (ValueError, KeyError, TypeError):
            raise Problem(f"{path}: line {seq} is not a journal entry") from None
        except Problem as problem:
            raise Problem(f"{path}: line {seq}: {problem}") from None
        if entry.get("seq") != seq:
            raise Problem(f"{path}: line {seq} holds sequence number {entry.get('seq')}")
        if not str(entry.get("recorded", "")) > last_recorded:
            raise Problem(
                f"{path}: line {seq} is recorded at {entry.get('recorded')}, not after line {seq - 1}"
            )
        if hashlib.sha256(previous.encode() + unhashed).hexdigest() != entry["hash"]:
            raise Problem(f"{path}: line {seq}: the hash does not match the entry and the one before it")
        previous, last_recorded = entry["hash"], entry["recorded"]
        leaves.append(leaf_hash(unhashed))
    return leaves


def check_bundle(directory: Path, extra_checkpoints: Sequence[Path], key_paths: Sequence[Path]) -> list[str]:
    """Check the journal against every checkpoint; return what was checked, one line each."""
    leaves = read_journal(directory / "journal.jsonl")
    keys = read_keys(key_paths or sorted((directory / "keys").glob("*.pub")))
    if not keys:
        raise Problem(f"no public key: none in {directory / 'keys'} and no --key")
    paths = [*sorted((directory / "checkpoints").glob("*.txt")), *extra_checkpoints]
    if not paths:
        raise Problem(f"no checkpoint: none in {directory / 'checkpoints'} and no --checkpoint")
    checkpoints = [(path, *read_checkpoint(path, keys)) for path in paths]
    roots = roots_at(leaves, (size for _, _, size, _, _ in checkpoints))
    origins = {origin for _, origin, _, _, _ in checkpoints}
    if len(origins) > 1:
        raise Problem(f"the checkpoints are of different logs: {', '.join(sorted(origins))}")
    report = [f"journal: {len(leaves)} entries, hash chain intact"]
    report += [f"key {name}: {key_id(name, public).hex()}" for name, public in sorted(keys.items())]
    for path, _, size, root, signed in checkpoints:
        if size > len(leaves):
            raise Problem(f"{path}: the checkpoint has {size} entries, the journal only {len(leaves)}")
        if roots[size] != root:
            raise Problem(
                f"{path}: the journal's first {size} entries are not the tree this checkpoint signs"
            )
        report.append(f"{path.name}: {size} entries, signed by {', '.join(signed)}: in the journal")
    return report


# The year's headline figures, recomputed from the journal.

EXITS = {"member.resigned": "resigned", "member.left": "left_by_right", "member.excluded": "excluded"}
PHASES = {
    "member.exit_requested": 0,
    "member.exit_refused": 0,
    "assembly.convened": 0,
    **dict.fromkeys(EXITS, 1),
}


def year_figures(lines: Sequence[bytes], year: int) -> dict[str, object]:
    """Members at the start and end of the fiscal year by category, admissions and exits by kind.

    The journal's own rules, restated: an entry withdrawn by `entry.retracted` does not count;
    entries take effect in (date, exits first, sequence) order; the fiscal year starts on the
    statutes' `fiscal_year_start` (MM-DD, default 01-01) in YEAR.
    """
    entries = [json.loads(journal_leaf(line)) for line in lines]
    withdrawn = {str(e["entry"]) for e in entries if e["type"] == "entry.retracted"}
    live = [e for e in entries if e.get("id") not in withdrawn and e["type"] != "entry.retracted"]
    live.sort(key=lambda e: (e["date"], PHASES.get(e["type"], 2), e["seq"]))
    starts = [str(e["value"]) for e in live if e["type"] == "statutes.amended"
              and e["parameter"] == "fiscal_year_start" and e["date"] <= f"{year}-12-31"]  # fmt: skip
    month_day = starts[-1] if starts else "01-01"
    first, after = f"{year}-{month_day}", f"{year + 1}-{month_day}"

    def members_before(day: str) -> dict[str, str]:
        members: dict[str, str] = {}
        for e in live:
            if e["date"] >= day:
                break
            joins = e["type"] == "member.admitted"
            if joins or (e["type"] == "member.category_changed" and e["member"] in members):
                members[e["member"]] = e["category"]
            elif e["type"] in EXITS:
                members.pop(e["member"], None)
        return members

    named = [str(e["value"]) for e in live if e["type"] == "statutes.amended"
             and e["parameter"] == "categories" and e["date"] < after]  # fmt: skip
    known = {c.strip() for c in (named[-1] if named else "").split(",") if c.strip()}
    known |= {e["category"] for e in live if "category" in e and e["date"] < after}

    def by_category(members: dict[str, str]) -> dict[str, int]:
        counts = dict.fromkeys(known, 0)
        for category in members.values():
            counts[category] = counts.get(category, 0) + 1
        return dict(sorted(counts.items()))

    during = [e for e in live if first <= e["date"] < after]
    start, end = members_before(first), members_before(after)
    figures: dict[str, object] = {
        "period": f"{first} to the day before {after}",
        "at_start": len(start),
        "by_category_at_start": by_category(start),
        "admitted": sum(e["type"] == "member.admitted" for e in during),
    }
    for kind, name in EXITS.items():
        figures[name] = sum(e["type"] == kind for e in during)
    figures["total_at_end"] = len(end)
    figures["by_category_at_end"] = by_category(end)
    return figures


def check_proofs(proof_path: Path, checkpoint_path: Path, key_paths: Sequence[Path]) -> list[str]:
    """Check each entry of a member's proof file against the checkpoint's root."""
    keys = read_keys(key_paths) if key_paths else None
    origin, size, root, signed = read_checkpoint(checkpoint_path, keys)
    try:
        document = _in_file(proof_path, json.loads)
        entries, stated = document["entries"], (document["origin"], document["tree_size"])
    except (ValueError, KeyError, TypeError) as exc:
        raise Problem(f"{proof_path}: not a proof file ({exc})") from None
    if stated != (origin, size):
        raise Problem(
            f"{proof_path}: the proofs are for {stated[0]} at {stated[1]}, the checkpoint {origin} at {size}"
        )
    for n, item in enumerate(entries, start=1):
        try:
            index, line = int(item["index"]), str(item["line"]).encode()
            proof = [_b64(str(h), "a proof hash") for h in item["proof"]]
            if json.loads(line).get("seq") != index + 1:
                raise Problem(f"the entry is not entry #{index + 1}")
            verify_inclusion(index, size, leaf_hash(journal_leaf(line)), proof, root)
        except (ValueError, KeyError, TypeError, AttributeError):
            raise Problem(f"{proof_path}: entry {n} is not an entry with its index and proof") from None
        except Problem as problem:
            raise Problem(f"{proof_path}: entry {n}: {problem}") from None
    who = f"signed by {', '.join(signed)}" if keys is not None else "signature NOT checked (no --key)"
    return [
        f"{checkpoint_path.name}: {origin}, {size} entries, {who}",
        f"{len(entries)} entries proved in it",
    ]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("directory", nargs="?", type=Path, help="the bundle: journal, checkpoints, keys")
    parser.add_argument("--proof", type=Path, help="a member's proof file, checked against --checkpoint")
    parser.add_argument("--checkpoint", type=Path, action="append", default=[], help="a checkpoint file")
    parser.add_argument("--key", type=Path, action="append", default=[], help="a public key file (.pub)")
    parser.add_argument("--year", type=int, help="also recompute this fiscal year's membership figures")
    args = parser.parse_args(argv)
    if (args.directory is None) == (args.proof is None):
        parser.error("give either a bundle DIR or --proof FILE")
    if args.proof is not None and len(args.checkpoint) != 1:
        parser.error("--proof takes exactly one --checkpoint")
    try:
        if args.proof is not None:
            report = check_proofs(args.proof, args.checkpoint[0], args.key)
        else:
            report = check_bundle(args.directory, args.checkpoint, args.key)
            if args.year is not None:
                lines = (args.directory / "journal.jsonl").read_bytes().split(b"\n")[:-1]
                figures = year_figures(lines, args.year)
                report.append(f"figures of {args.year}: " + json.dumps(figures, sort_keys=False))
    except Problem as problem:
        print(f"verify_bundle: {problem}", file=sys.stderr)
        return 1
    print("\n".join([*report, "all holds"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
