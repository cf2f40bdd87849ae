"""Property: the persisted, incremental register equals a fresh replay, as of any date, as known at any time.

Hypothesis draws random histories (admissions, payments, transfers, redemptions,
exits, retractions, backdated entries) and records them in random batches; the
ledger refuses what breaks a rule, and a refused batch must leave the store
untouched. The read models are caught up at random moments, then compared with
a replay of the store's entries for random dates and every knowledge point.
"""

from __future__ import annotations

import datetime as dt

import msgspec
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from coopledger.ledger.application import Ledger
from coopledger.ledger.database import parse_database
from coopledger.ledger.errors import Refused, Source
from coopledger.ledger.events import Entry, decode
from coopledger.ledger.store import Store
from coopledger.ledger.validate import check
from coopledger.projections.read_models import catch_up, open_engine
from coopledger.projections.register import positions
from coopledger.projections.register.queries import movements_between, register_as_of
from coopledger.projections.register.replay import replay_movements, replay_register
from tests.journal import START, days, fresh_ledger, member_founding, member_operation

# a history: batches of operations, each followed (or not) by a catch-up of the read models
history = st.lists(
    st.tuples(st.lists(member_operation, min_size=1, max_size=4), st.booleans()), min_size=1, max_size=14
)


@pytest.mark.parametrize("backend", ["sqlite-memory", "sqlite-file", "postgres"])
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(founding=member_founding, batches=history, as_of_days=st.lists(days, min_size=3, max_size=6))
def test_persisted_register_equals_a_fresh_replay(
    backend: str,
    postgres_available: bool,
    founding: list[dict[str, object]],
    batches: list[tuple[list[dict[str, object]], bool]],
    as_of_days: list[int],
) -> None:
    if backend == "postgres" and not postgres_available:
        pytest.skip("no PostgreSQL server reachable (outside CI)")
    with fresh_ledger(backend) as url:
        database = parse_database(url)
        store = Store(database)
        ledger = Ledger(store, user="prop")
        engine = open_engine(database)
        for operations, catch in [(founding, False), *batches]:
            before = store.head()
            batch = [(decode(msgspec.json.encode(op)), Source("prop", n)) for n, op in enumerate(operations)]
            try:
                ledger.record(batch)
            except Refused:
                assert store.head() == before  # a refused batch writes nothing
            if catch:
                catch_up(engine, store)
        catch_up(engine, store)
        entries = list(store.entries())
        assert check(entries, set(), {}, None) == []  # what was accepted still holds as a whole
        head = entries[-1].seq if entries else 0
        event(f"accepted entries: {min(head or 0, 20) // 5 * 5}+")
        for day in as_of_days:
            as_of = START + dt.timedelta(days=day)
            for known in [None, *range(0, (head or 0) + 1)]:
                assert register_as_of(engine, as_of, known, True) == replay_register(
                    entries, as_of, known, True
                )
        with engine.connect() as conn:  # the running positions: the same sums as the lines'
            assert positions.held(conn) == positions.summed(conn)
            ends = [START + dt.timedelta(days=day) for day in as_of_days]
            assert positions.at(conn, ends) == replayed_positions(entries, ends)
        for spell in replay_register(entries, START + dt.timedelta(days=729), None, True):
            if spell.status == "member":
                assert spell.shares >= 1  # rule minimum-shares holds on every date
            else:
                assert (spell.shares, spell.paid_up) == (0, 0)  # an exit takes all shares
        for known in (None, head // 2):
            period = (START, START + dt.timedelta(days=max(as_of_days)))
            assert movements_between(engine, *period, known) == replay_movements(entries, *period, known)
        engine.dispose()
        store.close()


def replayed_positions(entries: list[Entry], ends: list[dt.date]) -> dict[tuple[dt.date, str], list[int]]:
    """(day, category) -> [members, shares, subscribed cents, paid-up cents] of a replay."""
    found: dict[tuple[dt.date, str], list[int]] = {}
    for day in set(ends):
        for spell in replay_register(entries, day, None, False):
            totals = found.setdefault((day, spell.category), [0, 0, 0, 0])
            for i, value in enumerate(
                (1, spell.shares, spell.shares * spell.share_price * 100, spell.paid_up * 100)
            ):
                totals[i] += int(value)
    return found
