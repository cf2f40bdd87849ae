"""Every problem `check` reports, in one run: the journal assertions the register disagrees
with, and the secretary's flags, each with its rule, its entry and its date."""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

from sqlalchemy import Engine

from coopledger.ledger import events as ev
from coopledger.ledger.store import Store
from coopledger.ledger.timeline import live_entries
from coopledger.projections.assertions import asserted, unheld
from coopledger.projections.governance.flags import Raised, flags


class Problem(NamedTuple):
    """One problem: the rule (an assertion's type, or a flag's name), its date, the entry it is
    about (id and sequence number), whose seat of which body, and what is wrong."""

    rule: str
    date: dt.date
    entry: str | None
    seq: int | None
    person: str
    body: str
    detail: str


def problems(engine: Engine, store: Store, day: dt.date, known_seq: int | None) -> list[Problem]:
    """Every problem as known after `known_seq`: every assertion, and the flags raised on `day`;
    in date order."""
    with engine.connect() as conn:
        failing = unheld(conn, asserted(store, known_seq), known_seq)
    found = [
        Problem(f.assertion.type, f.assertion.date, f.assertion.id, f.assertion.seq, "", "", f.reason)
        for f in failing
    ]
    timelines: dict[str, list[ev.Entry]] = {}
    for name, raised in flags(engine, day, known_seq):
        if raised.timeline not in timelines:
            timelines[raised.timeline] = live_entries(
                store.timelines([raised.timeline], known_seq), known_seq
            )
        entry = _raising(timelines[raised.timeline], raised)
        seq = entry.seq if entry is not None else None
        found.append(
            Problem(
                name, raised.date, entry.id if entry else None, seq, raised.person, raised.body, raised.detail
            )
        )
    return sorted(found, key=lambda p: (p.date, p.rule, p.person))


def _raising(timeline: list[ev.Entry], raised: Raised) -> ev.Entry | None:
    """The last live entry of the flag's types, about its person, on its date."""
    return next(
        (
            e
            for e in reversed(timeline)
            if isinstance(e, raised.types)
            and e.date == raised.date
            and raised.person in (getattr(e, "person", None), getattr(e, "member", None))
        ),
        None,
    )
