"""Journal assertions (`assert.members`, `assert.shares`): the register's figures a clerk pinned.

An assertion states what the register holds on a date, as a signed report gave it. It is
checked on the persisted register, one indexed query each: in the write transaction, after
the batch's rows are projected (a batch after which one fails is refused, naming the
assertion and the batch's first entry that reaches back to its date); by `check`; and by
`verify`, once it has found the register equal to a fresh replay of the entries.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import NamedTuple

from sqlalchemy import Connection

from coopledger.ledger import events as ev
from coopledger.ledger.errors import Refusal
from coopledger.ledger.store import Store
from coopledger.ledger.timeline import Find, live_entries, retractions, stands_for
from coopledger.projections.register.queries import members_on
from coopledger.projections.source import find_in


class Unheld(NamedTuple):
    """An assertion the register disagrees with, and what the register holds instead."""

    assertion: ev.Assertion
    held: int

    @property
    def reason(self) -> str:
        what = "members" if isinstance(self.assertion, ev.MembersAsserted) else "shares"
        of = f" of category {self.assertion.category}" if self.assertion.category is not None else ""
        return (
            f"{self.assertion.count:,} {what}{of} asserted on {self.assertion.date}, "
            f"the register holds {self.held:,}"
        )


def asserted(store: Store, known_seq: int | None = None) -> list[ev.Assertion]:
    """The live assertions recorded by `known_seq` (all of them if None)."""
    timeline = store.timelines([ev.ASSERTIONS], known_seq)
    return [e for e in live_entries(timeline, known_seq) if isinstance(e, ev.Assertion)]


def unheld(
    conn: Connection, assertions: Sequence[ev.Assertion], known_seq: int | None = None
) -> list[Unheld]:
    """The assertions the register (as known after `known_seq`) disagrees with, in date order."""
    found = []
    for assertion in sorted(assertions, key=ev.effective_order):
        shares = isinstance(assertion, ev.SharesAsserted)
        held = members_on(conn, assertion.date, known_seq, assertion.category, shares)
        if held != assertion.count:
            found.append(Unheld(assertion, held))
    return found


def refusals(conn: Connection, store: Store, batch: Sequence[ev.Entry]) -> list[Refusal]:
    """Why a batch, just projected, is refused: each assertion the register now disagrees with.

    The batch's own assertions are read, and the recorded ones dated on or after the earliest
    date the batch reaches back to: an entry changes the register from its date on (a
    retraction from its target's). The ledger adds each refusal's source.
    """
    withdrawn = retractions(batch)
    new = [e for e in batch if isinstance(e, ev.Assertion) and e.id not in withdrawn]
    on_record = asserted(store)
    if not new and not on_record:  # the everyday case, and an import without assertions
        return []
    find = find_in(batch, store)
    reach = {
        entry.seq: _reaches_back_to(entry, find) for entry in batch if not isinstance(entry, ev.Assertion)
    }
    since = min(reach.values(), default=None)
    own = {assertion.seq for assertion in new}  # recorded too by now: each is read once
    recorded = [
        a
        for a in on_record
        if since is not None and a.date >= since and a.id not in withdrawn and a.seq not in own
    ]
    found = []
    for failing in unheld(conn, [*recorded, *new]):
        assertion = failing.assertion
        if assertion.seq in own:
            found.append(Refusal(assertion.type, assertion, failing.reason))
        else:
            cause = next((e for e in batch if e.seq in reach and reach[e.seq] <= assertion.date), None)
            found.append(Refusal(assertion.type, assertion, failing.reason, cause=cause))
    return found


def broken(conn: Connection, store: Store) -> list[Refusal]:
    """Every live assertion the register disagrees with, each its own refusal: for a ledger
    whose read models were just written from all its entries at once (`Ledger.project_all`)."""
    return [Refusal(u.assertion.type, u.assertion, u.reason) for u in unheld(conn, asserted(store))]


def _reaches_back_to(entry: ev.Entry, find: Find) -> dt.date:
    """The first date on which an entry changes the register: its own, or its retraction target's."""
    target = stands_for(entry, find)
    return min(entry.date, target.date) if target is not None else entry.date
