"""Checkpoints: the tree's size and root as a C2SP signed note, and the Ed25519 keys that sign them.

A checkpoint (c2sp.org/tlog-checkpoint) is a few lines of text small enough
to be copied into the minutes of a general assembly, and a standard one, so
tools outside coopledger can check it::

    ORIGIN
    TREE SIZE (decimal)
    BASE64(ROOT HASH)
    (a blank line)
    — KEY NAME BASE64(KEY ID || SIGNATURE)

The signed-note form (c2sp.org/signed-note) lets a witness (the auditor, a
federation) add its own signature line beside the ledger's.

Key files, one line each, in the forms of Go's golang.org/x/mod/sumdb/note so
that its tools read them too:

* ``STEM.pub``, the verifier key: ``NAME+KEYID+BASE64(0x01 || public key)``;
* ``STEM.key``, the signer key, mode 0600: ``PRIVATE+KEY+NAME+KEYID+BASE64(0x01 || 32-byte seed)``;

where KEYID is the 8 hex digits of the key id, the first four bytes of
``SHA-256(NAME || 0x0A || 0x01 || public key)``, and STEM the key name with
'-' for any character a file name should not hold (the '/' of a URL-like name).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from coopledger.ledger.merkle import HASH_SIZE

ED25519 = 0x01  # the signed-note signature type of Ed25519
EM_DASH = "\u2014"
PRIVATE_PREFIX = "PRIVATE+KEY+"


class CheckpointError(ValueError):
    """A checkpoint, note or key that is malformed, or a signature that does not hold."""


def _b64decode(text: str, what: str) -> bytes:
    try:
        raw = base64.b64decode(text, validate=True)
    except binascii.Error as exc:
        raise CheckpointError(f"{what} is not base64: {text!r}") from exc
    if base64.b64encode(raw).decode() != text:  # one encoding per value, so a copy compares equal
        raise CheckpointError(f"{what} is not in canonical base64: {text!r}")
    return raw


def _check_name(name: str) -> None:
    if not name or any(c.isspace() or c == "+" for c in name):
        raise CheckpointError(f"a key name must be non-empty, without spaces or '+': {name!r}")


def _check_text(text: str) -> None:
    """Signed notes are UTF-8 text ending in a newline, with no other control character."""
    if not text.endswith("\n"):
        raise CheckpointError("a note must end with a newline")
    bad = next((c for c in text if c < " " and c != "\n"), None)
    if bad is not None:
        raise CheckpointError(f"a note may not contain the control character {bad!r}")


def key_id(name: str, public: bytes) -> bytes:
    """The signed-note key id of an Ed25519 key: SHA-256(name || 0x0A || 0x01 || public)[:4]."""
    return hashlib.sha256(name.encode() + b"\n" + bytes([ED25519]) + public).digest()[:4]


@dataclass(frozen=True)
class Checkpoint:
    """The note text of a tlog checkpoint: origin, tree size, root, optional extension lines."""

    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.origin or "\n" in self.origin:
            raise CheckpointError(f"the origin must be one non-empty line: {self.origin!r}")
        if self.size < 0:
            raise CheckpointError(f"a tree size is not negative: {self.size}")
        if len(self.root) != HASH_SIZE:
            raise CheckpointError(f"a root hash has {HASH_SIZE} bytes, not {len(self.root)}")
        if any(not line or "\n" in line for line in self.extensions):
            raise CheckpointError("extension lines must be non-empty single lines")

    def text(self) -> str:
        lines = [self.origin, str(self.size), base64.b64encode(self.root).decode(), *self.extensions]
        return "".join(line + "\n" for line in lines)

    @classmethod
    def parse(cls, text: str) -> Checkpoint:
        _check_text(text)
        lines = text[:-1].split("\n")
        if len(lines) < 3:
            raise CheckpointError(f"a checkpoint has at least 3 lines (origin, size, root), not {len(lines)}")
        origin, size, root, *extensions = lines
        if not re.fullmatch(r"0|[1-9][0-9]*", size):
            raise CheckpointError(f"the tree size must be a decimal number without leading zeros: {size!r}")
        return cls(origin, int(size), _b64decode(root, "the root hash"), tuple(extensions))


@dataclass(frozen=True)
class Signature:
    """One signature line: the key's name and id, and the signature bytes."""

    name: str
    key_id: bytes
    signature: bytes

    def line(self) -> str:
        return f"{EM_DASH} {self.name} {base64.b64encode(self.key_id + self.signature).decode()}\n"

    @classmethod
    def parse(cls, line: str) -> Signature:
        parts = line.split(" ")
        if len(parts) != 3 or parts[0] != EM_DASH:
            raise CheckpointError(f"not a signature line ('\u2014 NAME BASE64'): {line!r}")
        _check_name(parts[1])
        raw = _b64decode(parts[2], f"the signature of {parts[1]}")
        if len(raw) < 5:
            raise CheckpointError(f"the signature of {parts[1]} is too short")
        return cls(parts[1], raw[:4], raw[4:])


@dataclass(frozen=True)
class SignedNote:
    """A note text and its signature lines; the text is covered by every signature."""

    text: str
    signatures: tuple[Signature, ...] = ()

    def format(self) -> str:
        return self.text + "\n" + "".join(s.line() for s in self.signatures)

    @classmethod
    def parse(cls, data: str) -> SignedNote:
        _check_text(data)
        split = data.rfind("\n\n")  # the last blank line separates the text from the signatures
        if split < 0:
            raise CheckpointError("a signed note has a blank line before its signatures")
        text, block = data[: split + 1], data[split + 2 :]
        if not block:
            raise CheckpointError("the note has no signature line")
        return cls(text, tuple(Signature.parse(line) for line in block[:-1].split("\n")))

    def checkpoint(self) -> Checkpoint:
        return Checkpoint.parse(self.text)


@dataclass(frozen=True)
class PublicKey:
    """A verifier key: a name and a 32-byte Ed25519 public key."""

    name: str
    public: bytes

    def __post_init__(self) -> None:
        _check_name(self.name)
        if len(self.public) != 32:
            raise CheckpointError(f"an Ed25519 public key has 32 bytes, not {len(self.public)}")

    @property
    def key_id(self) -> bytes:
        return key_id(self.name, self.public)

    def vkey(self) -> str:
        encoded = base64.b64encode(bytes([ED25519]) + self.public).decode()
        return f"{self.name}+{self.key_id.hex()}+{encoded}"

    @classmethod
    def parse(cls, vkey: str) -> PublicKey:
        name, hex_id, raw = _split_key(vkey.strip(), "verifier key")
        key = cls(name, raw)
        if key.key_id.hex() != hex_id:
            raise CheckpointError(f"the verifier key {name} states key id {hex_id}, not its own")
        return key

    def verifies(self, message: bytes, signature: bytes) -> bool:
        try:
            Ed25519PublicKey.from_public_bytes(self.public).verify(signature, message)
        except InvalidSignature:
            return False
        return True


@dataclass(frozen=True)
class PrivateKey:
    """A signer key: a name and the 32-byte Ed25519 seed (RFC 8032's secret key)."""

    name: str
    seed: bytes

    def __post_init__(self) -> None:
        _check_name(self.name)
        if len(self.seed) != 32:
            raise CheckpointError(f"an Ed25519 secret key has 32 bytes, not {len(self.seed)}")

    @classmethod
    def generate(cls, name: str) -> PrivateKey:
        return cls(name, Ed25519PrivateKey.generate().private_bytes_raw())

    def _key(self) -> Ed25519PrivateKey:
        return Ed25519PrivateKey.from_private_bytes(self.seed)

    def public_key(self) -> PublicKey:
        return PublicKey(self.name, self._key().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw))

    def sign(self, text: str) -> Signature:
        _check_text(text)
        return Signature(self.name, self.public_key().key_id, self._key().sign(text.encode()))

    def skey(self) -> str:
        encoded = base64.b64encode(bytes([ED25519]) + self.seed).decode()
        return f"{PRIVATE_PREFIX}{self.name}+{self.public_key().key_id.hex()}+{encoded}"

    @classmethod
    def parse(cls, skey: str) -> PrivateKey:
        skey = skey.strip()
        if not skey.startswith(PRIVATE_PREFIX):
            raise CheckpointError(f"a signer key starts with {PRIVATE_PREFIX!r}")
        name, hex_id, raw = _split_key(skey[len(PRIVATE_PREFIX) :], "signer key")
        key = cls(name, raw)
        if key.public_key().key_id.hex() != hex_id:
            raise CheckpointError(f"the signer key {name} states key id {hex_id}, not its own")
        return key


def _split_key(text: str, what: str) -> tuple[str, str, bytes]:
    """NAME+KEYID+BASE64(type || key) into its parts, checking the form and the type."""
    parts = text.split("+", 2)
    if len(parts) != 3 or not re.fullmatch(r"[0-9a-f]{8}", parts[1]):
        raise CheckpointError(f"a {what} reads NAME+KEYID+BASE64, not {text[:40]!r}")
    raw = _b64decode(parts[2], f"the {what} {parts[0]}")
    if not raw or raw[0] != ED25519:
        raise CheckpointError(f"the {what} {parts[0]} is not an Ed25519 key")
    return parts[0], parts[1], raw[1:]


def sign(checkpoint: Checkpoint, key: PrivateKey) -> SignedNote:
    return SignedNote(checkpoint.text(), (key.sign(checkpoint.text()),))


def cosign(note: SignedNote, key: PrivateKey) -> SignedNote:
    """Add a witness's signature; a second signature under one name would make a verifier pick one."""
    if any(s.name == key.name for s in note.signatures):
        raise CheckpointError(f"the note is already signed by {key.name}")
    return SignedNote(note.text, (*note.signatures, key.sign(note.text)))


def verify(note: SignedNote, keys: Sequence[PublicKey]) -> tuple[str, ...]:
    """The names of the given keys that signed the note.

    As c2sp.org/signed-note asks: signatures by other keys are ignored; one by
    a known key (same name and id) that fails rejects the note, and so does a
    note that no known key signed.
    """
    known = {(k.name, k.key_id): k for k in keys}
    signed = []
    for s in note.signatures:
        key = known.get((s.name, s.key_id))
        if key is None:
            continue
        if not key.verifies(note.text.encode(), s.signature):
            raise CheckpointError(f"the signature of {s.name} does not match the note")
        signed.append(s.name)
    if not signed:
        names = ", ".join(sorted({k.name for k in keys})) or "no key"
        raise CheckpointError(f"the note is signed by none of the given keys ({names})")
    return tuple(signed)


def key_file_stem(name: str) -> str:
    """A key's file name without suffix: its name, with '-' for what a file name should not hold ('/')."""
    return re.sub(r"[^A-Za-z0-9._-]", "-", name)


def write_key_pair(directory: Path, key: PrivateKey) -> tuple[Path, Path]:
    """Write STEM.key (mode 0600, never over an existing file) and STEM.pub; return both paths."""
    directory.mkdir(parents=True, exist_ok=True)
    stem = key_file_stem(key.name)
    private, public = directory / f"{stem}.key", directory / f"{stem}.pub"
    for path in (private, public):
        if path.exists():
            raise CheckpointError(f"{path} exists; a key is not overwritten")
    fd = os.open(private, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        os.fchmod(out.fileno(), 0o600)  # whatever the umask
        out.write(key.skey() + "\n")
    public.write_text(key.public_key().vkey() + "\n", encoding="utf-8")
    return private, public


def read_private_key(path: Path) -> PrivateKey:
    return PrivateKey.parse(path.read_text(encoding="utf-8"))


def read_public_key(path: Path) -> PublicKey:
    return PublicKey.parse(path.read_text(encoding="utf-8"))


def read_note(path: Path) -> SignedNote:
    return SignedNote.parse(path.read_text(encoding="utf-8"))
