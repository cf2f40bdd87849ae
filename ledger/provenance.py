"""The provenance the ledger stamps on an entry: its recorded time, digest and link in the chain.

One definition each, for the write path that stamps them, the audit that
checks them and the reports that quote them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import NamedTuple

import msgspec

from coopledger.ledger import events as ev
from coopledger.ledger.merkle import leaf_hash

GENESIS = "0" * 64  # the chain hash before the first entry
RECORDED_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def format_recorded(moment: dt.datetime) -> str:
    """Recorded times are fixed-width UTC strings, so they sort as they compare."""
    return moment.astimezone(dt.UTC).strftime(RECORDED_FORMAT)


def parse_recorded(text: str) -> dt.datetime:
    return dt.datetime.strptime(text, RECORDED_FORMAT).replace(tzinfo=dt.UTC)


_PROVENANCE: dict[str, object] = dict.fromkeys(("id", "seq", "recorded", "hash", "by"))
# Per entry type, what content_digest blanks: the provenance, and the identity if it has one.
_BLANK: dict[type[ev.Entry], dict[str, object]] = {
    cls: {
        **_PROVENANCE,
        **dict.fromkeys(cls.identity_names),
        "identity": None,
        "identity_fields": (),
        "personal": None,
    }
    if cls.identity_names
    else _PROVENANCE
    for cls in ev.EVENT_TYPES.values()
}


def content_digest(entry: ev.Entry) -> str:
    """What makes two entries with one id 'the same': everything but the id, the provenance
    and the identity (values or commitment), so that no digest is an unsalted hash of a name;
    the identity is compared apart, through its salted commitment (`identity.same_identity`)."""
    if entry.identity_names or entry.id is not None or entry.by is not None or entry.seq is not None:
        entry = msgspec.structs.replace(entry, **_BLANK[type(entry)])  # one copy, whatever it blanks
    elif entry.recorded is not None or entry.hash is not None:
        entry = msgspec.structs.replace(entry, **_PROVENANCE)
    return hashlib.sha256(ev.encode(entry)).hexdigest()


_RECORDED = b'"recorded":"'


class Chained(NamedTuple):
    """A batch as the store appends it: the entries with their hashes, their stored bytes,
    and their leaf hashes in the Merkle tree (`ledger/merkle.py`)."""

    entries: list[ev.Entry]
    states: list[bytes]
    leaves: list[bytes]


def chain(entries: list[ev.Entry], previous: str) -> Chained:
    """Link each entry (stamped, without its hash) after the previous hash, in one encoding each.

    An entry's canonical chained bytes (its encoding without `hash`) give its link in the
    chain (`chain_hash`), its leaf in the Merkle tree (`tree.leaf_data` of its state), and its
    stored state: the same bytes with `"hash":"…"` after `recorded`, the field declared just
    before it, which is exactly how msgspec encodes the entry with its hash (a test holds
    them equal for every entry type).
    """
    sha256, replace, encode = hashlib.sha256, msgspec.structs.replace, ev.encode
    chained, states, leaves = [], [], []
    link = previous.encode()
    for entry in entries:
        if entry.hash is not None or entry.recorded is None:
            raise ValueError("only a stamped entry without its hash is chained")
        unhashed = encode(entry)
        digest = sha256(link + unhashed).hexdigest()
        link = digest.encode()
        # `recorded` is plain ASCII: its value ends at the next quote, where `hash` goes.
        at = unhashed.index(b'"', unhashed.index(_RECORDED) + len(_RECORDED)) + 1
        states.append(b"".join((unhashed[:at], b',"hash":"', link, b'"', unhashed[at:])))
        leaves.append(leaf_hash(unhashed))
        chained.append(replace(entry, hash=digest))
    return Chained(chained, states, leaves)


def chain_hash(previous: str, entry: ev.Entry) -> str:
    """The entry's link in the hash chain: its bytes (hash left out) after the previous hash."""
    unhashed = msgspec.structs.replace(entry, hash=None)
    return hashlib.sha256(previous.encode() + ev.encode(unhashed)).hexdigest()
