"""Property: the persisted, incremental register equals a fresh replay, as of any date, as known at any time.

Hypothesis draws random histories (admissions, payments, transfers, redemptions,
exits, retractions, backdated entries) and records them in random batches; the
ledger refuses what breaks a rule, and a refused batch must leave the store
untouched. The read models are caught up at random moments, then compared with
a replay of the store's entries for random dates and every knowledge point.
"""

from __future__ import annotations

import datetime as dt
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import msgspec
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from ledger.application import Ledger
from ledger.database import parse_database
from ledger.errors import Refused, Source
from ledger.events import decode
from ledger.store import Store
from ledger.validate import check
from projections.engine import open_engine
from projections.queries import movements_between, register_as_of
from projections.read_models import catch_up
from projections.replay import replay_movements, replay_register
from tests.conftest import POSTGRES, drop_schema

START = dt.date(2024, 1, 1)
MEMBERS = [f"S{i}" for i in range(5)]

days = st.integers(min_value=0, max_value=729)
member = st.sampled_from(MEMBERS)


def on(day: int) -> str:
    return (START + dt.timedelta(days=day)).isoformat()


operation = st.one_of(
    st.builds(
        lambda m, d, n, c, f: {
            "type": "member.admitted",
            "member": m,
            "date": on(d),
            "name": m,
            "category": c,
            "shares": n,
            "founder": f,
        },
        member,
        days,
        st.integers(1, 4),
        st.sampled_from("AB"),
        st.booleans(),
    ),
    st.builds(
        lambda m, d, a: {"type": "shares.paid", "member": m, "date": on(d), "amount": f"{a}.00"},
        member,
        days,
        st.integers(1, 60),
    ),
    st.builds(
        lambda m, d, n: {"type": "shares.subscribed", "member": m, "date": on(d), "count": n},
        member,
        days,
        st.integers(1, 3),
    ),
    st.builds(
        lambda m, t, d, n: {"type": "shares.transferred", "member": m, "to": t, "date": on(d), "count": n},
        member,
        member,
        days,
        st.integers(1, 2),
    ),
    st.builds(
        lambda m, d, n: {"type": "shares.redeemed", "member": m, "date": on(d), "count": n},
        member,
        days,
        st.integers(1, 2),
    ),
    st.builds(
        lambda m, d: {"type": "member.updated", "member": m, "date": on(d), "name": f"{m}-renamed"},
        member,
        days,
    ),
    st.builds(
        lambda m, d, c: {"type": "member.category_changed", "member": m, "date": on(d), "category": c},
        member,
        days,
        st.sampled_from("AB"),
    ),
    st.builds(lambda m, d: {"type": "member.resigned", "member": m, "date": on(d)}, member, days),
    st.builds(
        lambda m, d, r: {"type": "member.left", "member": m, "date": on(d), "reason": r},
        member,
        days,
        st.sampled_from(["death", "end_of_employment"]),
    ),
    st.builds(
        lambda m, d: {"type": "member.excluded", "member": m, "date": on(d), "reason": "x"}, member, days
    ),
    st.builds(
        lambda k, d: {"type": "entry.retracted", "entry": k, "date": on(d), "reason": "mistake"},
        st.integers(1, 30),
        days,
    ),
)

# most members are admitted early, so that later operations have someone to concern
founding = st.lists(
    st.builds(
        lambda m, d, n, c: {
            "type": "member.admitted",
            "member": m,
            "date": on(d),
            "name": m,
            "category": c,
            "shares": n,
        },
        member,
        st.integers(0, 90),
        st.integers(2, 4),
        st.sampled_from("AB"),
    ),
    min_size=3,
    max_size=5,
    unique_by=lambda op: op["member"],
)

# a history: batches of operations, each followed (or not) by a catch-up of the read models
history = st.lists(
    st.tuples(st.lists(operation, min_size=1, max_size=4), st.booleans()), min_size=1, max_size=14
)


@contextmanager
def fresh_ledger(backend: str) -> Iterator[str]:
    if backend == "sqlite-memory":
        yield "sqlite://"
    elif backend == "sqlite-file":
        with tempfile.TemporaryDirectory() as folder:
            yield f"sqlite:///{Path(folder) / 'p.db'}"
    else:
        schema = f"p_{uuid.uuid4().hex[:12]}"
        try:
            yield f"{POSTGRES}{'&' if '?' in POSTGRES else '?'}schema={schema}"
        finally:
            drop_schema(schema)


@pytest.mark.parametrize("backend", ["sqlite-memory", "sqlite-file", "postgres"])
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(founding=founding, batches=history, as_of_days=st.lists(days, min_size=3, max_size=6))
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
