"""Rules on the batch being recorded, checked by the ledger before the fold.

They read what the fold cannot: the ids already recorded, and what each
retraction withdraws (an entry of the batch or a recorded one).
"""

from __future__ import annotations

from collections.abc import Callable

from coopledger.ledger import events as ev
from coopledger.ledger.rules.registry import batch_rule


@batch_rule("entry-id-unique")
def entry_id_unique(
    entry: ev.Entry, digest: str, earlier: str | None, same_identity: bool = True
) -> str | None:
    """An id already recorded (or given earlier in the batch) is not reused for a different entry.

    The digest leaves the identity out; `same_identity` says whether the identity is the one
    recorded (its commitment recomputed with the recorded salt: `ledger/identity.py`).
    """
    if earlier is None or (earlier == digest and same_identity):
        return None
    if earlier == digest:
        return f"id {entry.id!r} is already used by an entry with a different identity"
    return f"id {entry.id!r} is already used by a different entry"


@batch_rule("retraction-target")
def retraction_target(
    entry: ev.EntryRetracted, target: ev.Entry | None, retracted: Callable[[ev.Entry], bool]
) -> str | None:
    """A retraction names an existing, live entry that is not itself a retraction or an erasure."""
    if target is None:
        return f"no recorded entry {entry.entry!r}"
    if isinstance(target, ev.EntryRetracted):
        return f"{entry.entry!r} is a retraction; record the entry again instead"
    if isinstance(target, ev.IdentityErased):
        return (
            f"{entry.entry!r} erased {target.member}'s identity, which is gone for good: an erasure "
            "cannot be retracted"
        )
    if retracted(target):
        return f"{entry.entry!r} is already retracted"
    return None
