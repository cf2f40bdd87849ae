"""The auditor's fresh replay: the same answers as the persisted register, from entries alone."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from coopledger.ledger import events as ev
from coopledger.ledger.timeline import member_timelines
from coopledger.projections.register.fold import Movement, Spell, member_history


def replay_register(
    entries: Iterable[ev.Entry], as_of: dt.date, known_seq: int | None = None, include_former: bool = False
) -> list[Spell]:
    """The register on `as_of` as known after `known_seq`, by folding every timeline."""
    rows = []
    for member, timeline in member_timelines(entries).items():
        member_spells, _ = member_history(member, timeline, known_seq)
        for spell in member_spells:
            valid = spell.valid_from <= as_of and (spell.valid_to is None or spell.valid_to > as_of)
            if valid and (include_former or spell.status == "member"):
                rows.append(spell)
    return sorted(rows, key=lambda s: s.member)


def replay_movements(
    entries: Iterable[ev.Entry], start: dt.date, end: dt.date, known_seq: int | None = None
) -> list[Movement]:
    """Every movement dated in [start, end] as known after `known_seq`."""
    found = [
        movement
        for member, timeline in member_timelines(entries).items()
        for movement in member_history(member, timeline, known_seq)[1]
        if start <= movement.date <= end
    ]
    return sorted(found, key=lambda m: (m.date, m.seq, m.member))
