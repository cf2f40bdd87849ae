"""The persisted assemblies and bodies: figures for the annual report, boards as of a date, and the
property that the incremental read models equal a fresh replay for any history, date and knowledge point.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections import Counter
from decimal import Decimal
from typing import Any

import msgspec
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, delete, func, select

from coopledger.commands.personal import resolve_names
from coopledger.ledger.application import Ledger
from coopledger.ledger.database import parse_database
from coopledger.ledger.errors import Refused, Source
from coopledger.ledger.events import decode
from coopledger.ledger.store import Store
from coopledger.ledger.validate import check
from coopledger.projections.governance.flags import FLAGS
from coopledger.projections.governance.queries import (
    assemblies_between,
    board_as_of,
    board_figures,
    cooptations_overdue,
    find_assembly,
)
from coopledger.projections.governance.replay import replay_assemblies, replay_board, replay_board_figures
from coopledger.projections.governance.schema import participations
from coopledger.projections.governance.summary import AllocationFigures, BoardFigures, ResolutionFigures
from coopledger.projections.read_models import TABLES, open_engine, rebuild
from coopledger.projections.read_models import catch_up as catch_up_all
from coopledger.projections.register import positions
from coopledger.projections.tables import tracking
from tests.conftest import ROOT, Book
from tests.journal import (
    AG,
    MEETINGS,
    OPENING,
    START,
    amend,
    at,
    convene,
    cooperative,
    days,
    decide,
    elect,
    fresh_ledger,
    governance_founding,
    governance_operation,
    mandate,
    on,
    person,
    vote,
)

YEAR = (dt.date(2025, 1, 1), dt.date(2025, 12, 31))


def read_models(book: Book) -> Engine:
    engine = open_engine(book.store.database)
    catch_up_all(engine, book.store)
    return engine


def test_assemblies_between_counts_participation_and_outcomes(book: Book) -> None:
    cooperative(book, members=6)
    book.record(convene("AG2024", "2024-06-18"), vote("S1", date="2024-06-18", assembly="AG2024"))
    before_votes = book.store.head().seq  # type: ignore[union-attr]
    book.record(
        vote("S1"),
        vote("S2"),
        vote("S3", proxy="S1"),
        vote("S4"),
        decide("R1", 3, 1),
        decide("R2", 2, 2),  # a tie is no simple majority
        decide("R3", 2, 1, 1, majority="two_thirds"),  # abstentions are not counted: 2 of 3
        {"type": "result.allocated", "date": AG, "assembly": "AG2025", "year": 2024, "reserves": "900.00"},
    )
    figures = assemblies_between(read_models(book), *YEAR)
    assert [(f.assembly, f.date, f.kind) for f in figures] == [("AG2025", dt.date(2025, 6, 17), "ordinary")]
    ag = figures[0]
    assert (ag.voters, ag.in_person, ag.by_proxy, ag.members_on_date) == (4, 3, 1, 6)
    assert ag.resolutions == [
        ResolutionFigures("R1", "Resolution R1", 3, 1, 0, "simple", "adopted"),
        ResolutionFigures("R2", "Resolution R2", 2, 2, 0, "simple", "rejected"),
        ResolutionFigures("R3", "Resolution R3", 2, 1, 1, "two_thirds", "adopted"),
    ]
    assert ag.allocation == AllocationFigures(2024, Decimal("900.00"), None)
    as_known = assemblies_between(read_models(book), *YEAR, known_seq=before_votes)
    assert (as_known[0].voters, as_known[0].resolutions, as_known[0].allocation) == (0, [], None)
    assert [f.voters for f in assemblies_between(read_models(book), dt.date(2024, 1, 1), YEAR[1])] == [1, 4]


def test_a_quorum_set_by_the_statutes_decides_adoption_too(book: Book) -> None:
    cooperative(book, members=6)
    book.record(amend("quorum", 50, "2025-01-01"), vote("S1"), vote("S2"), decide("R1", 2))
    first = find_assembly(read_models(book), "AG2025")
    assert first is not None and first.quorum == 50
    assert first.resolutions[0].outcome == "rejected"  # 2 of 6 members took part, 50 % needed
    book.record(vote("S3"), decide("R2", 1, 2))  # the quorum counts the whole assembly's participation
    adopted = find_assembly(read_models(book), "AG2025")
    assert adopted is not None and [r.outcome for r in adopted.resolutions] == ["adopted", "rejected"]


def test_board_figures_count_the_mandates_given_in_the_period(book: Book) -> None:
    cooperative(book, board=4)
    book.record(
        convene("AG2024", "2024-06-18"),
        elect("S1", until="2025-06-17", date="2024-06-18", assembly="AG2024"),
        elect("S2", until="2028-06-18", date="2024-06-18", assembly="AG2024"),
    )
    book.record(
        mandate("renewed", "S1", until="2029-06-17", assembly="AG2025"),
        elect("S3"),
        mandate("resigned", "S2", "2025-09-01"),
        mandate("coopted", "S4", "2025-10-01", replaces="S2", name="Sam Four"),
    )
    engine = read_models(book)
    assert board_figures(engine, *YEAR) == BoardFigures(
        seats=4, elected=1, renewed=1, coopted=1, members_at_end=3, vacant_at_end=1
    )
    assert board_figures(engine, dt.date(2024, 1, 1), dt.date(2024, 12, 31)) == BoardFigures(4, 2, 0, 0, 2, 2)
    assert board_figures(engine, *YEAR, body="ethics_committee") == BoardFigures(0, 0, 0, 0, 0, 0)


def test_the_board_shows_how_each_seat_was_obtained_and_flags_late_cooptations(book: Book) -> None:
    cooperative(book, board=3)
    book.record(
        elect("S1", name="Ada"), elect("S2", until="2026-03-01"), mandate("resigned", "S1", "2025-09-01")
    )
    book.record(mandate("coopted", "S3", "2025-10-01", replaces="S1"), convene("AG2026", "2026-06-16"))
    engine = read_models(book)
    board = board_as_of(engine, dt.date(2025, 12, 31))
    assert (board.seats, board.vacant) == (3, 1)
    holders = resolve_names(book.store, board.holders)  # the read models hold commitments
    assert [(h.person, h.name, h.how, h.until, h.cooptation, h.overdue) for h in holders] == [
        ("S2", "S2", "elected", dt.date(2026, 3, 1), None, None),  # name from the register
        ("S3", "S3", "coopted", dt.date(2029, 6, 17), "pending", None),
    ]
    assert [h.person for h in board.ending] == ["S2"]
    late = board_as_of(engine, dt.date(2026, 6, 16))
    assert [(h.person, h.overdue) for h in late.holders] == [("S3", "AG2026")]
    assert [(body, h.person) for body, h in cooptations_overdue(engine, dt.date(2026, 7, 1))] == [
        ("board", "S3")
    ]
    book.record(mandate("confirmed", "S3", "2026-06-16", assembly="AG2026"))
    confirmed = board_as_of(read_models(book), dt.date(2026, 6, 16)).holders
    assert [(h.person, h.cooptation, h.assembly, h.overdue) for h in confirmed] == [
        ("S3", "confirmed", "AG2026", None)
    ]


def test_a_retraction_withdraws_rows_that_stay_visible_as_known_before(book: Book) -> None:
    cooperative(book)
    recorded = book.record(vote("S1"), {**vote("S2"), "id": "typo"}, elect("S1", id="e1"))
    engine = read_models(book)
    book.record(
        {"type": "entry.retracted", "date": AG, "entry": "typo", "reason": "S2 was not there"},
        {"type": "entry.retracted", "date": AG, "entry": "e1", "reason": "wrong person"},
    )
    engine = read_models(book)
    assert find_assembly(engine, "AG2025").voters == 1  # type: ignore[union-attr]
    assert board_as_of(engine, dt.date(2025, 12, 31)).holders == []
    known = recorded[-1].seq
    assert find_assembly(engine, "AG2025", known).voters == 2  # type: ignore[union-attr]
    assert [h.person for h in board_as_of(engine, dt.date(2025, 12, 31), known).holders] == ["S1"]


def test_catching_up_from_position_zero_rebuilds_without_duplicates(book: Book) -> None:
    cooperative(book)
    book.record(vote("S1"), vote("S2"))
    engine = read_models(book)
    with engine.begin() as conn:
        conn.execute(delete(tracking))  # what `coopledger rebuild` does
    engine = read_models(book)
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(participations)).scalar() == 2


# -- property: the read models equal a fresh replay ----------------------------------------

# a history: small batches (one bad entry refuses its batch), each followed or not by a catch-up
# a director elected at A0 leaves early; the board coopts someone, whom a later assembly confirms or not
cooptation = st.builds(
    lambda p, q, left, later, verdict, assembly: [
        {"type": "mandate.elected", **at("A0"), "person": p, "until": on(MEETINGS["A0"] + 1400)},
        {"type": "mandate.resigned", "date": on(MEETINGS["A0"] + left), "person": p},
        {"type": "mandate.coopted", "date": on(MEETINGS["A0"] + left + later), "person": q, "replaces": p},
        {"type": f"mandate.{verdict}", **at(assembly), "person": q},
    ][: 3 if verdict == "pending" else 4],
    person,
    person,
    st.integers(1, 150),
    st.integers(0, 40),
    st.sampled_from(["confirmed", "rejected", "pending"]),
    st.sampled_from(["A1", "A2"]),
)
history = st.lists(
    st.tuples(st.one_of(st.lists(governance_operation, min_size=1, max_size=2), cooptation), st.booleans()),
    min_size=10,
    max_size=40,
)


@pytest.mark.parametrize("backend", ["sqlite-memory", "sqlite-file", "postgres"])
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    founding=governance_founding,
    batches=history,
    as_of_days=st.lists(days, min_size=2, max_size=4),
    known_points=st.lists(st.integers(0, 60), max_size=4),
)
def test_persisted_governance_equals_a_fresh_replay(
    backend: str,
    postgres_available: bool,
    founding: list[dict[str, Any]],
    batches: list[tuple[list[dict[str, Any]], bool]],
    as_of_days: list[int],
    known_points: list[int],
) -> None:
    if backend == "postgres" and not postgres_available:
        pytest.skip("no PostgreSQL server reachable (outside CI)")
    with fresh_ledger(backend) as url:
        database = parse_database(url)
        store = Store(database)
        ledger = Ledger(store, user="prop")
        engine = open_engine(database)
        for operations, catch in [(founding + OPENING, False), *batches]:
            batch = [(decode(msgspec.json.encode(op)), Source("prop", n)) for n, op in enumerate(operations)]
            with contextlib.suppress(Refused):  # the ledger refuses what breaks a rule
                ledger.record(batch)
            if catch:
                catch_up_all(engine, store)
        catch_up_all(engine, store)
        entries = list(store.entries())
        assert check(entries, set(), {}, None) == []  # what was accepted, batch by batch, holds as a whole
        head = entries[-1].seq or 0 if entries else 0
        event(f"accepted entries: {min(head, 40) // 10 * 10}+")
        for kind in sorted({e.type for e in entries} - {"member.admitted"}):
            event(f"accepted {kind}")
        period = (START, START + dt.timedelta(days=729))
        for known in [None, *(k for k in known_points if k <= head)]:
            assert assemblies_between(engine, *period, known) == replay_assemblies(entries, *period, known)
            for day in as_of_days:
                as_of = START + dt.timedelta(days=day)
                assert board_as_of(engine, as_of, known) == replay_board(entries, as_of, known)
                year = (as_of - dt.timedelta(days=364), as_of)
                assert board_figures(engine, *year, known) == replay_board_figures(entries, *year, known)
        # `rebuild` writes, subject by subject and a page of entries at a time, what the
        # catch-ups wrote (pages of 3: retractions reach back across pages)
        projected = every_row(engine)
        with store.transaction() as conn:
            assert rebuild(conn, store, page=3) == head
        assert every_row(engine) == projected
        engine.dispose()
        store.close()


def every_row(engine: Engine) -> dict[str, Counter[tuple[Any, ...]]]:
    """Every read model's rows but their surrogate ids, the register's positions, and each
    projector's position."""
    with engine.connect() as conn:
        found = {
            table.name: Counter(tuple(row)[1:] for row in conn.execute(select(table))) for table in TABLES
        }
        found["tracking"] = Counter(tuple(row) for row in conn.execute(select(tracking)))
        # the register's running positions, days whose changes cancel out left out
        found[positions.positions.name] = Counter(
            (*key, *values) for key, values in positions.held(conn).items()
        )
    return found


def test_every_flag_is_in_the_governance_guide() -> None:
    guide = (ROOT / "docs" / "governance.md").read_text(encoding="utf-8")
    missing = [name for name in FLAGS if f"`{name}`" not in guide]
    assert not missing, f"flags missing from docs/governance.md: {missing}"
