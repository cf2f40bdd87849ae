"""Personal data out of the immutable history: salted commitments and the identity store.

The identity fields of an entry (`name`, `address`, `email` of a member; the `name`
of a mandate holder) never enter the hash chain. The chained entry carries instead
`identity`, the hex of HMAC-SHA256 keyed by a fresh 16-byte random salt over the
canonical identity bytes, and `identity_fields`, the names of the fields committed
to. The values and the salt are an `IdentityRecord` in the identity store
(`coop_identities`), written in the same transaction as the entry, and deleted when
the person's identity is erased (`identity.erased`). Without its salt a commitment
tells nothing, not even whether a guessed name is the right one.

Canonical identity bytes (docs/auditor-guide.md, "Personal data"):

    json.dumps({field: value, ...}, sort_keys=True, separators=(",", ":"),
               ensure_ascii=False).encode("utf-8")

over the identity fields present in the entry, as the clerk gave them.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Container, Mapping
from typing import NamedTuple

import msgspec

from coopledger.ledger import events as ev

SALT_BYTES = 16
# What views show where the identity store holds no value (docs/user-guide.md, "Personal data"):
ERASED = "[erased]"  # the person's identity was erased (`member forget`, an `identity.erased` entry)
NOT_HELD = "[not held]"  # never held: recorded without personal data (a pseudonymous export's line)


def not_shown(erased: bool) -> str:
    """The placeholder of a value the identity store does not hold: erased, or never held."""
    return ERASED if erased else NOT_HELD


class IdentityRecord(NamedTuple):
    """One row of the identity store: what one entry committed to, and the salt."""

    commitment: str
    subject: str  # the member id, or the person id of a mandate holder
    seq: int
    salt: str  # hex
    fields: str  # the canonical identity JSON


def canonical(values: Mapping[str, str]) -> bytes:
    """The canonical identity bytes of some identity fields (see the module's docstring).

    msgspec with sorted keys writes the same bytes as `json.dumps(..., sort_keys=True,
    separators=(",", ":"), ensure_ascii=False)` for texts without control characters (which
    the bounds refuse in names, addresses and e-mails), four times faster; a test holds them
    equal.
    """
    return _sorted_json(values, order="sorted")


_sorted_json = msgspec.json.encode
_canonical_json = msgspec.json.Encoder(order="sorted").encode  # one encoder, made once
_replace = msgspec.structs.replace
_IDENTIFIED = frozenset(ev.Identified.__args__)
# How seal_all seals each identified type: its identity fields in sorted order (the order of
# `identity_fields`), those fields set to None (what leaves the chained entry), and whose
# identity it is (the member, or the mandate's person).
_HOW: dict[type[ev.Entry], tuple[tuple[str, ...], dict[str, None], str]] = {
    cls: (
        tuple(sorted(cls.identity_names)),
        dict.fromkeys(cls.identity_names),
        "member" if issubclass(cls, ev.MemberEntry) else "person",
    )
    for cls in _IDENTIFIED
}
_SHA256 = hashlib.sha256
_BLOCK = 64  # SHA-256's block size: HMAC pads its key to it (RFC 2104)
_INNER = bytes(byte ^ 0x36 for byte in range(256))
_OUTER = bytes(byte ^ 0x5C for byte in range(256))
_ZEROS = [bytes(_BLOCK - length) for length in range(_BLOCK + 1)]  # a key's padding, by its length


def _hmac_sha256(key: bytes, message: bytes) -> bytes:
    """HMAC-SHA256 (RFC 2104) of a key of at most 64 bytes, as `hmac.digest(key, message,
    "sha256")` computes it, in two hashes: for a batch, OpenSSL's HMAC set-up per call costs
    more than the hashing (a test holds the two equal)."""
    padded = key + _ZEROS[len(key)]
    inner = _SHA256(padded.translate(_INNER) + message).digest()
    return _SHA256(padded.translate(_OUTER) + inner).digest()


def commit(salt: bytes, message: bytes) -> str:
    """The commitment: hex of HMAC-SHA256 keyed by the salt over the canonical bytes (in two
    plain hashes for a salt of at most a block, as every salt this ledger makes: `verify`
    recomputes one per record)."""
    if len(salt) <= _BLOCK:
        return _hmac_sha256(salt, message).hex()
    return hmac.digest(salt, message, hashlib.sha256).hex()


def values_of(entry: ev.Entry) -> dict[str, str]:
    """The identity fields an entry carries in clear (empty once sealed)."""
    return {name: value for name in entry.identity_names if (value := getattr(entry, name)) is not None}


def carries_identity(entry: ev.Entry) -> bool:
    """Whether an entry holds personal data or a commitment to it."""
    return isinstance(entry, ev.Identified) and (entry.identity is not None or bool(values_of(entry)))


def subject_of(entry: ev.Identified) -> str:
    """Whose identity an entry carries: the member, or the mandate's person."""
    return entry.member if isinstance(entry, ev.MemberEntry) else entry.person


def sealed(entry: ev.Identified, salts: bytes | None = None) -> tuple[ev.Entry, IdentityRecord | None]:
    """The chained form of an entry stamped with its sequence number, and its identity record.

    An entry with values in clear gets a fresh salt (or the first 16 bytes of `salts`) and
    its commitment; a full export's line (`identity` with `personal`) keeps its commitment
    and salt; a pseudonymous line (`identity` alone) has no record.
    """
    seq, subject = entry.seq or 0, subject_of(entry)
    if entry.identity is not None:
        personal = entry.personal
        if personal is None:
            return entry, None
        values = {k: v for k in entry.identity_names if (v := getattr(personal, k)) is not None}
        record = IdentityRecord(entry.identity, subject, seq, personal.salt, canonical(values).decode())
        return msgspec.structs.replace(entry, personal=None), record
    values = {name: value for name in entry.identity_names if (value := getattr(entry, name)) is not None}
    if not values:
        return entry, None
    salt = salts[:SALT_BYTES] if salts else secrets.token_bytes(SALT_BYTES)
    fields = _sorted_json(values, order="sorted")
    commitment = commit(salt, fields)
    chained = _replace(
        entry, identity=commitment, identity_fields=tuple(sorted(values)), **dict.fromkeys(values)
    )
    return chained, IdentityRecord(commitment, subject, seq, salt.hex(), fields.decode())


def seal_all(
    entries: list[ev.Entry],
) -> tuple[list[ev.Entry], list[IdentityRecord], list[tuple[str, int]]]:
    """The chained form of a stamped batch, the identity records to write, and the erasures.

    Each entry with identity values in clear gets a fresh salt of `SALT_BYTES` random bytes
    (one call to the system's generator for the batch) and its commitment, computed as
    `sealed` does, in one pass; a full export's line keeps its commitment and salt, and a
    pseudonymous line has no record (both through `sealed`). A record that the batch itself
    erases later (an import holding both) is never written. The erasures are (subject, seq)
    of each `identity.erased` entry.
    """
    salts = secrets.token_bytes(SALT_BYTES * len(entries))
    chained: list[ev.Entry] = []
    records: list[IdentityRecord] = []
    erasures: list[tuple[str, int]] = []
    keep, record, make, replace = chained.append, records.append, tuple.__new__, _replace
    at = 0
    for entry in entries:
        at += SALT_BYTES
        how = _HOW.get(type(entry))
        if how is None:
            if type(entry) is ev.IdentityErased:
                erasures.append((entry.member, entry.seq or 0))
            keep(entry)
            continue
        names, cleared, whose = how
        if entry.identity is not None:  # type: ignore[attr-defined]
            entry, held = sealed(entry)  # type: ignore[arg-type]
            if held is not None:
                record(held)
            keep(entry)
            continue
        values = {name: value for name in names if (value := getattr(entry, name)) is not None}
        if not values:
            keep(entry)
            continue
        salt = salts[at - SALT_BYTES : at]
        fields = _canonical_json(values)
        commitment = _hmac_sha256(salt, fields).hex()
        keep(replace(entry, identity=commitment, identity_fields=tuple(values), **cleared))
        seq = entry.seq or 0
        record(make(IdentityRecord, (commitment, getattr(entry, whose), seq, salt.hex(), fields.decode())))
    if erasures:
        last = dict(erasures)
        records = [r for r in records if r.seq > last.get(r.subject, 0)]
    return chained, records, erasures


def opens(record: IdentityRecord) -> bool:
    """Whether the record's salt and fields recompute its commitment."""
    if not isinstance(record.salt, str) or not isinstance(record.fields, str):
        return False  # bytes or a number written there outside coopledger
    try:
        salt = bytes.fromhex(record.salt)
    except ValueError:
        return False
    return hmac.compare_digest(commit(salt, record.fields.encode("utf-8")), record.commitment)


def same_identity(entry: ev.Entry, record: IdentityRecord | None, stored: str | None) -> bool | None:
    """Whether a re-imported entry carries the identity recorded for it.

    True or False when it can be told: values in clear are committed again with the
    stored salt, a commitment is compared. None when the stored identity is no longer
    held (erased, or imported without personal data) and the entry brings values:
    the erasure wins, the values are not restored.
    """
    if not isinstance(entry, ev.Identified):
        return True
    if entry.identity is not None:
        return entry.identity == stored
    values = values_of(entry)
    if not values:
        return stored is None
    if record is None:
        return None
    salt = bytes.fromhex(record.salt)
    return hmac.compare_digest(commit(salt, canonical(values)), record.commitment)


def personal_of(record: IdentityRecord) -> ev.Personal:
    """A record as the `personal` member of a full export's line."""
    return ev.Personal(salt=record.salt, **msgspec.json.decode(record.fields))


def revealed(entry: ev.Entry, held: Mapping[int, Mapping[str, str]], erased: Container[str] = ()) -> ev.Entry:
    """A chained entry with its identity fields in clear for a view: the values (`held`, by the
    sequence number of the entry that wrote them), or `[erased]` if its person's identity was
    erased (their id in `erased`), `[not held]` if it never was."""
    if not isinstance(entry, ev.Identified) or entry.identity is None:
        return entry
    values = held.get(entry.seq or 0)
    missing = not_shown(subject_of(entry) in erased)
    shown = {k: (values.get(k, missing) if values is not None else missing) for k in entry.identity_fields}
    return msgspec.structs.replace(entry, identity=None, identity_fields=(), **shown)


def field_value(
    seq: int | None, name: str, held: Mapping[int, Mapping[str, str]], missing: str = ERASED
) -> str | None:
    """One identity field of a read-model row (which holds the sequence number of the entry
    whose identity record gives it): the value, or `missing` (`not_shown`: `[erased]` or
    `[not held]`) where the identity store has none."""
    if seq is None:
        return None
    values = held.get(seq)
    if values is None:
        return missing
    return values.get(name)
