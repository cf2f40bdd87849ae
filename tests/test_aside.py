"""The entries a streamed fold keeps aside (`ledger.aside`): written out in sorted runs beyond a
bound, they come back merged in effective order, exactly as held in memory, and a batch's own
entries (which may still carry personal data) never go to disk."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from coopledger.ledger import aside as aside_module
from coopledger.ledger import events as ev
from coopledger.ledger.aside import Aside
from coopledger.ledger.timeline import Reordered, live_entries, statutes_of

DAY = dt.date(2020, 1, 1)

# One line of a ledger: what it is, and a day (or, for a retraction, which line it withdraws).
line = st.tuples(st.sampled_from(["paid", "resigned", "amended", "retracted"]), st.integers(0, 30))


def entry(seq: int, kind: str, n: int) -> ev.Entry:
    """The entry of line `seq`: a payment, an exit (which comes first on its day), an amendment
    of the statutes, or the retraction of line `n + 1` (which may be a later line, or none)."""
    common: dict[str, Any] = {"id": f"e{seq}", "seq": seq, "date": DAY + dt.timedelta(days=n)}
    if kind == "paid":
        return ev.SharesPaid(member=f"M{n % 3}", amount=Decimal("1.00"), **common)
    if kind == "resigned":
        return ev.MemberResigned(member=f"M{n % 3}", **common)
    if kind == "amended":
        return ev.StatutesAmended(parameter="proxy_limit", value=n % 3 + 1, **common)
    return ev.EntryRetracted(entry=f"e{n + 1}", reason="mistake", **{**common, "date": DAY})


@settings(max_examples=300, deadline=None)
@given(lines=st.lists(line, max_size=40), spill=st.integers(1, 6), split=st.integers(0, 40))
def test_the_live_entries_come_back_in_effective_order_whatever_was_written_out(
    lines: list[tuple[str, int]], spill: int, split: int
) -> None:
    entries = [entry(seq, kind, n) for seq, (kind, n) in enumerate(lines, start=1)]
    order = Reordered(Aside(spill))
    for seq, one in enumerate(entries, start=1):
        order.see(one, chained=seq <= split)  # the lines after `split`: a batch of its own
    assert list(order.live(entries)) == live_entries(entries)
    assert order.statutes() == statutes_of(live_entries(entries))


@settings(max_examples=100, deadline=None)
@given(lines=st.lists(line, max_size=40), split=st.integers(0, 40))
def test_a_batchs_own_entries_are_never_written_out(lines: list[tuple[str, int]], split: int) -> None:
    entries = [entry(seq, kind, n) for seq, (kind, n) in enumerate(lines, start=1)]
    order = Reordered(Aside(1))  # every chained entry kept aside goes to disk at once
    for seq, one in enumerate(entries, start=1):
        order.see(one, chained=seq <= split)
    aside = [e for e in entries if kept_aside(e, entries)]
    assert order.aside.private == [e for e in aside if (e.seq or 0) > split]
    assert order.aside.written == sum(1 for e in aside if (e.seq or 0) <= split)


def kept_aside(one: ev.Entry, entries: list[ev.Entry]) -> bool:
    """Whether the first read keeps an entry aside: not a retraction, and behind one seen before."""
    if isinstance(one, ev.EntryRetracted):
        return False
    key = ev.effective_order(one)
    before = entries[: (one.seq or 0) - 1]
    return any(key < ev.effective_order(e) for e in before if type(e) is not ev.EntryRetracted)


def test_many_runs_are_merged_and_their_files_closed(monkeypatch: Any) -> None:
    """A ledger recorded newest day first: all but its first entry kept aside, in runs of 7."""
    monkeypatch.setattr(aside_module, "SPILL", 7)
    entries = [entry(seq, "paid", 100 - seq) for seq in range(1, 101)]
    order = Reordered()
    for one in entries:
        order.see(one)
    runs = list(order.aside.runs)
    assert order.aside.written == 98 and len(runs) == 14  # 99 aside: 14 runs of 7, one held
    assert list(order.live(entries)) == sorted(entries, key=ev.effective_order)
    assert all(run.closed for run in runs)
