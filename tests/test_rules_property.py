"""Property: the rules follow the effective timeline, not the typing order.

A history on distinct days is recorded entry by entry in date order; what the
ledger accepted is then recorded, shuffled, as one batch into a fresh ledger.
The batch must be accepted whole and give the same register on every date.
"""

from __future__ import annotations

import datetime as dt
import random

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coopledger.ledger.application import Ledger
from coopledger.ledger.database import parse_database
from coopledger.ledger.errors import Refused, Source
from coopledger.ledger.events import decode
from coopledger.ledger.store import Store
from coopledger.projections.register.replay import replay_register
from tests.journal import START, fresh_ledger, member_founding, member_operation, with_identities


@pytest.mark.parametrize("backend", ["sqlite-memory", "postgres"])
@settings(max_examples=25, deadline=None)
@given(first=member_founding, operations=st.lists(member_operation, max_size=25), seed=st.integers(0, 2**32))
def test_one_shuffled_batch_accepts_what_was_accepted_in_date_order(
    backend: str,
    postgres_available: bool,
    first: list[dict[str, object]],
    operations: list[dict[str, object]],
    seed: int,
) -> None:
    if backend == "postgres" and not postgres_available:
        pytest.skip("no PostgreSQL server reachable (outside CI)")
    ops = [op for op in first + operations if op["type"] != "entry.retracted"]
    # distinct days: the order within a day is the recording order, across days only dates count
    ops.sort(key=lambda o: str(o["date"]))  # recorded in date order: nothing backdated
    for offset, op in enumerate(ops):
        op["date"] = (START + dt.timedelta(days=offset)).isoformat()
    with fresh_ledger(backend) as url_one, fresh_ledger("sqlite-memory") as url_two:
        one = Store(parse_database(url_one))
        accepted = []
        for op in ops:
            try:
                Ledger(one, user="a").record([(decode(msgspec.json.encode(op)), Source("p"))])
                accepted.append(op)
            except Refused:
                continue
        shuffled = accepted[:]
        random.Random(seed).shuffle(shuffled)
        two = Store(parse_database(url_two))
        batch = [(decode(msgspec.json.encode(op)), Source("p", n)) for n, op in enumerate(shuffled, 1)]
        Ledger(two, user="b").record(batch)
        for day in range(0, len(ops) + 1, 3):
            as_of = START + dt.timedelta(days=day)
            assert with_identities(one, replay_register(one.entries(), as_of, None, True)) == with_identities(
                two, replay_register(two.entries(), as_of, None, True)
            )
        one.close()
        two.close()
