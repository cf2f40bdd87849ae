"""Restatement: how the figures as known at one moment differ from those at another, and why.

Every difference is explained by the entries recorded in between that moved it.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine

from coopledger.ledger import events as ev
from coopledger.ledger.timeline import stands_for
from coopledger.projections.figures.compute import (
    Figures,
    Scope,
    Tally,
    capital_of,
    compute,
    members_of,
    tallies,
)
from coopledger.projections.figures.data import capital_data, flatten, governance_data, members_data, to_data
from coopledger.projections.governance.queries import assemblies_between, board_figures
from coopledger.projections.source import EntrySource


@dataclass(frozen=True)
class Cause:
    """An entry recorded after the earlier report, and the figures it moved."""

    seq: int
    type: str
    member: str | None
    date: dt.date
    moved: tuple[str, ...]


@dataclass(frozen=True)
class Restatement:
    """The figures as known then and now, their differences, and the entries behind them."""

    before: Figures
    after: Figures
    differences: tuple[tuple[str, Any, Any], ...]
    causes: tuple[Cause, ...]


# Which governance figures each type of entry can move: paths below its assembly, or below
# the board. An allocation moves only its own `result_allocation.` figures (added below), a
# mandate never the seats; a type not listed moves none.
_HELD = ("members_at_end", "vacant_at_end")
GOVERNANCE_MOVES: dict[str, tuple[str, ...]] = {
    "assembly.convened": ("",),
    "assembly.voted": ("voters", "in_person", "by_proxy", "participation"),
    "resolution.decided": ("resolutions.",),
    "result.allocated": (),
    "body.seats": ("seats", "vacant_at_end"),
    "mandate.elected": ("elected", "renewed", *_HELD),
    "mandate.renewed": ("elected", "renewed", *_HELD),
    "mandate.coopted": ("coopted", *_HELD),
    "mandate.confirmed": ("coopted", *_HELD),
    "mandate.rejected": ("coopted", *_HELD),
    "mandate.resigned": _HELD,
    "mandate.revoked": _HELD,
}
# Up to this many entries credited with governance figures, each is checked against the
# figures just before and just after it, so that none is listed for a figure it did not move.
CHECKED = 32


def restatement(
    engine: Engine,
    source: EntrySource,
    start: dt.date,
    end: dt.date,
    before: tuple[int, str | None],
    after: tuple[int, str | None],
) -> Restatement:
    """The figures as known after `before` and after `after`, every difference explained.

    Membership and capital differences are sums of row changes, so each is
    attributed exactly to the entries that added or withdrew those rows
    (their effects add up to the difference). Assembly and board differences
    go to the entries of that assembly or of the board recorded in between;
    any left unexplained (a vote that stopped counting when its member's
    admission was withdrawn) are found by bisecting the entries in between.
    """
    old = compute(engine, source, start, end, *before)
    new = compute(engine, source, start, end, *after)
    flat_old, flat_new = flatten(to_data(old)), flatten(to_data(new))
    differences = tuple(
        (path, flat_old.get(path), flat_new.get(path))
        for path in sorted(flat_old.keys() | flat_new.keys())
        if _differ(flat_old.get(path), flat_new.get(path))
    )
    changed = {path for path, _, _ in differences}
    moved: dict[int, set[str]] = defaultdict(set)
    eve = start - dt.timedelta(days=1)
    days = {a.assembly: a.date for a in (*old.assemblies, *new.assemblies)}
    with engine.connect() as conn:
        deltas = tallies(conn, start, end, {eve, end, *days.values()}, Scope(after[0], before[0]))
    for seq, tally in deltas.items():
        effect = _effects(tally, start, end, days)
        moved[seq] |= {path for path, value in effect.items() if value and path in changed}
    governance = [p for p in changed if p.startswith(("assemblies.", "result_allocation.", "board."))]
    if governance:
        subjects = [ev.ASSEMBLY + name for name in days] + [ev.BODY + "board"]
        for entry in source.timelines(subjects, after[0]):
            if (entry.seq or 0) > before[0]:
                moved[entry.seq or 0] |= _governance_paths(
                    stands_for(entry, source.entry_by_id) or entry, governance
                )
    cache: dict[int, dict[str, Any]] = {}

    def at(seq: int) -> dict[str, Any]:
        if seq not in cache:
            figures = governance_data(
                assemblies_between(engine, start, end, seq), board_figures(engine, start, end, seq)
            )
            cache[seq] = flatten(figures)
        return cache[seq]

    credited = [seq for seq, paths in moved.items() if paths & set(governance)]
    if len(credited) <= CHECKED:
        for seq in credited:
            claimed = moved[seq] & set(governance)
            before_it, after_it = at(seq - 1), at(seq)
            moved[seq] -= {p for p in claimed if before_it.get(p) == after_it.get(p)}
    explained = set().union(*moved.values())
    unexplained = [path for path in governance if path not in explained]
    if unexplained:
        _bisect(at, (before[0], at(before[0])), (after[0], at(after[0])), unexplained, moved)
    causes = tuple(_cause(entry, source, moved[entry.seq or 0]) for entry in _entries(source, moved))
    return Restatement(old, new, differences, causes)


def _differ(old: Any, new: Any) -> bool:
    """A real change: a category that merely appears with no one in it is not one."""
    return old != new and not (old is None and new == 0) and not (new is None and old == 0)


def _bisect(
    at: Any,
    low: tuple[int, dict[str, Any]],
    high: tuple[int, dict[str, Any]],
    paths: list[str],
    moved: dict[int, set[str]],
) -> None:
    """Find the entries in (low, high] at which the given figures change value."""
    differing = [p for p in paths if low[1].get(p) != high[1].get(p)]
    if not differing:
        return
    if high[0] - low[0] == 1:
        moved[high[0]] |= set(differing)
        return
    middle = (low[0] + high[0]) // 2
    mid = (middle, at(middle))
    _bisect(at, low, mid, differing, moved)
    _bisect(at, mid, high, differing, moved)


def _effects(tally: Tally, start: dt.date, end: dt.date, days: Mapping[str, dt.date]) -> dict[str, Any]:
    """What one entry's row changes did to the membership and capital figures (as paths).

    Members on an assembly's day come from the same spells; when they move,
    so does the participation rate.
    """
    on_day = {
        name: sum(v[0] for (d, _), v in tally.positions.items() if d == day) for name, day in days.items()
    }
    return flatten(
        {
            "members": members_data(members_of(tally, start, end)),
            "capital": capital_data(capital_of(tally, start, end)),
            "assemblies": {name: {"members_on_date": n, "participation": n} for name, n in on_day.items()},
        }
    )


def _governance_paths(entry: ev.Entry, changed: list[str]) -> set[str]:
    """The changed assembly, allocation or board figures an entry belongs to."""
    if isinstance(entry, ev.AssemblyEntry):
        prefixes = [f"assemblies.{entry.assembly}.{s}" for s in GOVERNANCE_MOVES.get(entry.type, ())]
        if isinstance(entry, ev.ResultAllocated):
            prefixes.append(f"result_allocation.{entry.assembly}.")
    elif isinstance(entry, ev.BodyEntry) and entry.body == "board":
        prefixes = [f"board.{s}" for s in GOVERNANCE_MOVES.get(entry.type, ())]
    else:
        return set()
    return {path for path in changed if path.startswith(tuple(prefixes))}


def _entries(source: EntrySource, moved: Mapping[int, set[str]]) -> Iterator[ev.Entry]:
    """The entries that moved a figure, in sequence order (one scan of their range)."""
    seqs = sorted(seq for seq, paths in moved.items() if paths)
    if not seqs:
        return
    wanted = set(seqs)
    for entry in source.entries(seqs[0] - 1, seqs[-1]):
        if entry.seq in wanted:
            yield entry


def _cause(entry: ev.Entry, source: EntrySource, paths: set[str]) -> Cause:
    target = stands_for(entry, source.entry_by_id) or entry
    subject = next(iter(target.members()), None)
    if subject is None and isinstance(target, ev.AssemblyEntry):
        subject = target.assembly
    return Cause(entry.seq or 0, entry.type, subject, entry.date, tuple(sorted(paths)))
