"""The auditor's fresh replay of the year's figures, from entries alone.

Folds every member's timeline as known after one entry (the same
`member_history` the persisted register uses) and tallies the spells and
movements in Python; assemblies and the board come from the governance
replay. The tests hold the SQL of `compute.py` to these answers
for random histories.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from coopledger.ledger import events as ev
from coopledger.ledger.timeline import member_timelines
from coopledger.projections.figures.compute import Figures, Tally, figures_of, new_tally, provenance_of
from coopledger.projections.governance.replay import replay_assemblies, replay_board_figures
from coopledger.projections.register.fold import Spell, member_history
from coopledger.projections.tables import cents


def _in_force(spells: list[Spell], day: dt.date) -> Spell | None:
    """The member's spell covering `day` (end of day), if any."""
    return next((s for s in spells if s.valid_from <= day and (s.valid_to is None or s.valid_to > day)), None)


def replay_tally(entries: Iterable[ev.Entry], start: dt.date, end: dt.date, seq: int) -> Tally:
    """The raw sums of `compute.tallies`, by folding every timeline."""
    tally = new_tally()
    eve = start - dt.timedelta(days=1)
    for member, timeline in member_timelines(entries).items():
        spells, movements = member_history(member, timeline, seq)
        for day in (eve, end):
            spell = _in_force(spells, day)
            if spell is not None and spell.status == "member":
                totals = tally.positions[(day, spell.category)]
                totals[0] += 1
                totals[1] += spell.shares
                totals[2] += cents(spell.shares * spell.share_price)
                totals[3] += cents(spell.paid_up)
        for movement in movements:
            if not start <= movement.date <= end:
                continue
            amount = movement.amount
            if movement.kind in ("admitted", "transferred"):
                priced = [s for s in spells if s.valid_from <= movement.date]
                amount = (movement.count or 0) * priced[-1].share_price if priced else None
            totals = tally.flows[(movement.kind, movement.reason if movement.kind == "left" else None)]
            totals[0] += 1
            totals[1] += movement.count or 0
            totals[2] += cents(amount) if amount is not None else 0
    return tally


def replay_figures(
    entries: Iterable[ev.Entry], start: dt.date, end: dt.date, seq: int, known: str | None = None
) -> Figures:
    """Every figure of the report for [start, end] as known after entry `seq`, from entries alone."""
    entries = list(entries)
    tally = replay_tally(entries, start, end, seq)
    last = next((e for e in entries if e.seq == seq), None)
    assemblies = replay_assemblies(entries, start, end, seq)
    board = replay_board_figures(entries, start, end, seq)
    return figures_of(start, end, provenance_of(last, seq, known), tally, assemblies, board)
