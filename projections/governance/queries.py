"""Assemblies and bodies from the persisted read models, as of a date and as known at an entry.

`known_seq` None means everything known now; otherwise only what the ledger knew after
entry `known_seq`. The figures are built by the same pure functions as the auditor's
replay (`replay.py`), from rows read with a few indexed SELECTs.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, Engine, Table, select

from coopledger.ledger import scan
from coopledger.ledger.errors import ReadModelDamaged
from coopledger.ledger.timeline import Amendment, statutes_from
from coopledger.projections.governance.fold import (
    Allocation,
    Convened,
    Decision,
    MandateSpell,
    Participation,
    SeatSpell,
)
from coopledger.projections.governance.schema import (
    allocations,
    amendments,
    convened,
    decisions,
    mandate_spells,
    participations,
    seat_spells,
)
from coopledger.projections.governance.summary import (
    MAJORITIES,
    AssemblyFigures,
    Board,
    BoardFigures,
    Holder,
    assembly_figures,
    board_figures_of,
    board_of,
)
from coopledger.projections.register.queries import members_on, names_of
from coopledger.projections.tables import known_at

PER_ASSEMBLY = ((participations, Participation), (decisions, Decision), (allocations, Allocation))


def _rows(conn: Connection, table: Table, row_type: Any, known_seq: int | None, *where: Any) -> list[Any]:
    columns = [table.c[name] for name in row_type._fields]
    query = select(*columns).where(known_at(table, known_seq), *where).order_by(table.c.known_from)
    found = conn.execute(query).all()  # one fetch: an assembly has 50,000 votes
    scan.of_their_types(conn, columns, found)  # figures are computed from them: no text among numbers
    return [row_type(*row) for row in found]


def _figures(
    conn: Connection,
    meetings: Sequence[Convened],
    known_seq: int | None,
    counted: Mapping[dt.date, int],
) -> list[AssemblyFigures]:
    """Figures of the given assemblies, in date order; the members on a meeting's day from
    `counted` if it holds that day, else counted here."""
    ids = [m.assembly for m in meetings]
    by_assembly: dict[str, dict[type, list[Any]]] = defaultdict(lambda: defaultdict(list))
    for table, row_type in PER_ASSEMBLY:
        for row in _rows(conn, table, row_type, known_seq, table.c.assembly.in_(ids)):
            by_assembly[row.assembly][row_type].append(row)
    for decision in (row for rows in by_assembly.values() for row in rows[Decision]):
        if decision.majority not in MAJORITIES:  # every entry's is one (`ledger/bounds.py`)
            raise ReadModelDamaged(
                f"the read model's {decisions.name}.majority holds {decision.majority!r}, no majority"
            )
    statutes = statutes_from(_rows(conn, amendments, Amendment, known_seq))
    figures = []
    for meeting in sorted(meetings, key=lambda m: (m.date, m.assembly)):
        rows = by_assembly[meeting.assembly]
        figures.append(
            assembly_figures(
                meeting,
                rows[Participation],
                rows[Decision],
                next(iter(rows[Allocation]), None),
                counted.get(meeting.date) or members_on(conn, meeting.date, known_seq),
                statutes.get("quorum", meeting.date),
            )
        )
    return figures


def assemblies_between(
    engine: Engine,
    start: dt.date,
    end: dt.date,
    known_seq: int | None = None,
    members: Mapping[dt.date, int] | None = None,
) -> list[AssemblyFigures]:
    """Every assembly held in [start, end], in date order, with participation and decisions
    (`members`: the members on some days, counted already)."""
    with engine.connect() as conn:
        return _figures(conn, _held(conn, start, end, known_seq), known_seq, members or {})


def meeting_days(engine: Engine, start: dt.date, end: dt.date, known_seq: int | None = None) -> list[dt.date]:
    """The days of the assemblies held in [start, end]."""
    with engine.connect() as conn:
        return [meeting.date for meeting in _held(conn, start, end, known_seq)]


def _held(conn: Connection, start: dt.date, end: dt.date, known_seq: int | None) -> list[Convened]:
    return _rows(conn, convened, Convened, known_seq, convened.c.date.between(start, end))


def find_assembly(engine: Engine, assembly_id: str, known_seq: int | None = None) -> AssemblyFigures | None:
    """One assembly's figures (None if it was never convened, as known then)."""
    with engine.connect() as conn:
        meetings = _rows(conn, convened, Convened, known_seq, convened.c.assembly == assembly_id)
        return next(iter(_figures(conn, meetings, known_seq, {})), None)


def _spells(conn: Connection, body: str, known_seq: int | None) -> tuple[list[SeatSpell], list[MandateSpell]]:
    return (
        _rows(conn, seat_spells, SeatSpell, known_seq, seat_spells.c.body == body),
        _rows(conn, mandate_spells, MandateSpell, known_seq, mandate_spells.c.body == body),
    )


def board_figures(
    engine: Engine, start: dt.date, end: dt.date, known_seq: int | None = None, body: str = "board"
) -> BoardFigures:
    """A body's figures for [start, end]: seats and holders at the end, mandates given during it."""
    with engine.connect() as conn:
        seats, mandates = _spells(conn, body, known_seq)
    return board_figures_of(seats, mandates, start, end)


def board_as_of(engine: Engine, as_of: dt.date, known_seq: int | None = None, body: str = "board") -> Board:
    """A body on `as_of`: holders (names from the register where the mandate gave none), vacancies."""
    with engine.connect() as conn:
        seats, mandates = _spells(conn, body, known_seq)
        meetings = _rows(conn, convened, Convened, known_seq, convened.c.date <= as_of)
        unnamed = {m.person for m in mandates if m.name is None}
        names = names_of(conn, unnamed, as_of, known_seq) if unnamed else {}
    return board_of(body, seats, mandates, meetings, names, as_of)


def bodies(engine: Engine, known_seq: int | None = None) -> list[str]:
    """The bodies that have seats or mandates, as known then."""
    with engine.connect() as conn:
        query = select(seat_spells.c.body).where(known_at(seat_spells, known_seq)).distinct()
        found = conn.execute(query).all()
        scan.of_their_types(conn, [seat_spells.c.body], found)  # sorted: no bytes among the texts
        return sorted(body for (body,) in found)


def cooptations_overdue(
    engine: Engine, as_of: dt.date, known_seq: int | None = None
) -> list[tuple[str, Holder]]:
    """Flags for `check`: (body, holder) of every cooptation still unconfirmed after an assembly."""
    return [
        (body, holder)
        for body in bodies(engine, known_seq)
        for holder in board_as_of(engine, as_of, known_seq, body).holders
        if holder.overdue
    ]
