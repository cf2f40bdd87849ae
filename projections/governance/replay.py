"""The auditor's fresh replay of assemblies and bodies: the same answers as the read models, from entries."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable

from coopledger.ledger import events as ev
from coopledger.ledger.timeline import Amendment, statutes_from, subject_timelines
from coopledger.projections.governance.fold import (
    Allocation,
    Convened,
    Decision,
    MandateSpell,
    Participation,
    SeatSpell,
    assembly_rows,
    body_history,
)
from coopledger.projections.governance.summary import (
    AssemblyFigures,
    Board,
    BoardFigures,
    assembly_figures,
    board_figures_of,
    board_of,
)
from coopledger.projections.register.replay import replay_register


def replay_assemblies(
    entries: Iterable[ev.Entry], start: dt.date, end: dt.date, known_seq: int | None = None
) -> list[AssemblyFigures]:
    """Every assembly held in [start, end] as known after `known_seq`, in date order."""
    entries = list(entries)
    rows = assembly_rows(entries, known_seq)
    by_assembly: dict[str, dict[type, list[object]]] = defaultdict(lambda: defaultdict(list))
    for row in rows:
        if not isinstance(row, Amendment):
            by_assembly[row.assembly][type(row)].append(row)
    statutes = statutes_from(r for r in rows if isinstance(r, Amendment))
    meetings = [r for r in rows if isinstance(r, Convened) and start <= r.date <= end]
    return [
        assembly_figures(
            meeting,
            by_assembly[meeting.assembly][Participation],  # type: ignore[arg-type]
            by_assembly[meeting.assembly][Decision],  # type: ignore[arg-type]
            next(iter(by_assembly[meeting.assembly][Allocation]), None),  # type: ignore[arg-type]
            len(replay_register(entries, meeting.date, known_seq)),
            statutes.get("quorum", meeting.date),
        )
        for meeting in sorted(meetings, key=lambda m: (m.date, m.assembly))
    ]


def _body(
    entries: list[ev.Entry], body: str, known_seq: int | None
) -> tuple[list[SeatSpell], list[MandateSpell]]:
    """Fold the body's timeline."""
    return body_history(body, subject_timelines(entries, ev.BODY).get(body, []), known_seq)


def replay_board_figures(
    entries: Iterable[ev.Entry],
    start: dt.date,
    end: dt.date,
    known_seq: int | None = None,
    body: str = "board",
) -> BoardFigures:
    """A body's figures for [start, end] as known after `known_seq`."""
    return board_figures_of(*_body(list(entries), body, known_seq), start, end)


def replay_board(
    entries: Iterable[ev.Entry], as_of: dt.date, known_seq: int | None = None, body: str = "board"
) -> Board:
    """A body on `as_of` as known after `known_seq`."""
    entries = list(entries)
    seats, mandates = _body(entries, body, known_seq)
    meetings = [r for r in assembly_rows(entries, known_seq) if isinstance(r, Convened) and r.date <= as_of]
    names = {
        spell.member: spell.name
        for spell in replay_register(entries, as_of, known_seq, include_former=True)
        if any(m.person == spell.member and m.name is None for m in mandates)
    }
    return board_of(body, seats, mandates, meetings, names, as_of)
