"""The provenance the ledger stamps on an entry: its recorded time, digest and link in the chain.

One definition each, for the write path that stamps them, the audit that
checks them and the reports that quote them.
"""

from __future__ import annotations

import datetime as dt
import hashlib

import msgspec

from coopledger.ledger import events as ev

GENESIS = "0" * 64  # the chain hash before the first entry
RECORDED_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def format_recorded(moment: dt.datetime) -> str:
    """Recorded times are fixed-width UTC strings, so they sort as they compare."""
    return moment.astimezone(dt.UTC).strftime(RECORDED_FORMAT)


def parse_recorded(text: str) -> dt.datetime:
    return dt.datetime.strptime(text, RECORDED_FORMAT).replace(tzinfo=dt.UTC)


def content_digest(entry: ev.Entry) -> str:
    """What makes two entries with one id 'the same': everything but the id, the provenance
    and the identity (values or commitment), so that no digest is an unsalted hash of a name;
    the identity is compared apart, through its salted commitment (`identity.same_identity`)."""
    if isinstance(entry, ev.Identified):  # one copy for both
        blank: dict[str, object] = dict.fromkeys(entry.identity_names)
        entry = msgspec.structs.replace(
            entry, id=None, seq=None, recorded=None, hash=None, by=None, identity=None,
            identity_fields=(), personal=None, **blank,
        )  # fmt: skip
    elif any(value is not None for value in (entry.id, entry.seq, entry.recorded, entry.hash, entry.by)):
        entry = msgspec.structs.replace(entry, id=None, seq=None, recorded=None, hash=None, by=None)
    return hashlib.sha256(ev.encode(entry)).hexdigest()


def chain_hash(previous: str, entry: ev.Entry) -> str:
    """The entry's link in the hash chain: its bytes (hash left out) after the previous hash."""
    unhashed = msgspec.structs.replace(entry, hash=None)
    return hashlib.sha256(previous.encode() + ev.encode(unhashed)).hexdigest()
