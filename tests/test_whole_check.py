"""A batch that reaches most of a long ledger (an amendment dated years back) is checked in two
streamed reads of it (`validate.check_whole`): it must refuse and fill in exactly what the fold
of the whole list does (`validate.check_and_fill`), and the write path must take either way
to the same outcome. A batch that changes only the statutes checks the recorded entries with
the rules reading what it changes (`reading`): on a ledger as recorded, the same outcome.
"""

from __future__ import annotations

from typing import Any

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coopledger.ledger import application, aside
from coopledger.ledger import events as ev
from coopledger.ledger.errors import Refusal, Refused, Source
from coopledger.ledger.validate import check, check_and_fill, check_whole, statutes_only
from tests.conftest import Book
from tests.journal import (
    OPENING,
    admit,
    governance_founding,
    governance_operation,
    member_founding,
    member_operation,
)

amendment = st.builds(
    lambda day, parameter, value: {
        "type": "statutes.amended",
        "date": f"2024-{day // 28 % 12 + 1:02}-{day % 28 + 1:02}",
        "parameter": parameter,
        "value": value,
    },
    st.integers(0, 700),
    st.sampled_from(["min_shares.A", "min_shares.B", "proxy_limit", "resignation_months"]),
    st.integers(1, 3),
)
journal = st.one_of(
    st.tuples(st.just([]), member_founding, st.lists(st.one_of(member_operation, amendment), max_size=30)),
    st.tuples(
        st.just(OPENING),
        governance_founding,
        st.lists(st.one_of(governance_operation, amendment), max_size=30),
    ),
)


def stamped(ops: list[dict[str, Any]]) -> list[ev.Entry]:
    """The lines as the ledger would hold them: numbered, with ids, a retraction naming its
    target by id (the seq it gives may be any line, even a later one)."""
    entries = []
    for seq, op in enumerate(ops, start=1):
        if op["type"] == "entry.retracted":
            op = {**op, "entry": f"e{op['entry']}"}
        entry = ev.decode(msgspec.json.encode(op))
        entries.append(msgspec.structs.replace(entry, seq=seq, id=f"e{seq}"))
    return entries


def outcome(found: tuple[list[Refusal], dict[int, ev.Entry]]) -> tuple[list[Any], dict[int, ev.Entry]]:
    refusals, filled = found
    return [(r.rule, r.entry.seq, r.reason, r.source, r.cause and r.cause.seq) for r in refusals], filled


@settings(max_examples=300, deadline=None)
@given(journal=journal, split=st.integers(0, 45), spill=st.sampled_from([aside.SPILL, 1, 2]))
def test_the_streamed_check_is_the_fold_of_the_whole_list(
    journal: tuple[list[dict[str, Any]], ...], split: int, spill: int
) -> None:
    """`spill`: the recorded entries kept aside are written out in runs of that many."""
    entries = stamped([op for part in journal for op in part])
    recorded, new = entries[:split], entries[split:]
    sources = {e.seq or 0: Source("batch", n) for n, e in enumerate(new, start=1)}
    fill = {e.seq or 0 for e in new if isinstance(e, ev.SharesTransferred) and e.paid_up is None}
    expected = check_and_fill(entries, {e.seq or 0 for e in new}, sources, None, fill)
    default, aside.SPILL = aside.SPILL, spill
    try:
        found = check_whole(lambda: map(ev.encode, recorded), new, sources, fill)
    finally:
        aside.SPILL = default
    assert outcome(found) == outcome(expected)


def as_recorded(entries: list[ev.Entry]) -> list[ev.Entry]:
    """The entries less those the fold refuses, again until it refuses none: what a ledger
    that recorded them one batch after another could hold (every rule holds on it)."""
    while refused := {r.entry.seq for r in check(entries, set(), {}, None)}:
        entries = [e for e in entries if e.seq not in refused]
    return entries


@settings(max_examples=300, deadline=None)
@given(journal=journal, data=st.data())
def test_a_change_of_the_statutes_alone_is_checked_by_the_rules_reading_it(
    journal: tuple[list[dict[str, Any]], ...], data: st.DataObject
) -> None:
    """Amendments, and retractions of recorded amendments, checked with only the rules that
    read the parameters they change refuse exactly what every rule refuses, in the same
    words, whether the recorded ledger is loaded or read twice."""
    recorded = as_recorded(stamped([op for part in journal for op in part]))
    amendments = [e for e in recorded if isinstance(e, ev.StatutesAmended)]
    retraction = st.sampled_from(amendments).map(
        lambda e: {"type": "entry.retracted", "date": "2024-12-31", "entry": e.id, "reason": "wrong"}
    )
    ops = data.draw(
        st.lists(st.one_of(amendment, retraction) if amendments else amendment, min_size=1, max_size=3)
    )
    top = max((e.seq or 0 for e in recorded), default=0)
    new = [
        msgspec.structs.replace(ev.decode(msgspec.json.encode(op)), seq=seq, id=f"e{seq}")
        for seq, op in enumerate(ops, start=top + 1)
    ]
    by_id = {e.id: e for e in recorded}
    reading = statutes_only(new, by_id.get)
    assert reading is not None
    new_seqs = {e.seq or 0 for e in new}
    sources = {e.seq or 0: Source("batch", n) for n, e in enumerate(new, start=1)}
    expected = outcome(check_and_fill(recorded + new, new_seqs, sources, None, set()))
    assert outcome(check_and_fill(recorded + new, new_seqs, sources, None, set(), reading)) == expected
    found = check_whole(lambda: map(ev.encode, recorded), new, sources, set(), reading)
    assert outcome(found) == expected


@pytest.fixture(params=["timelines", "whole"])
def path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> tuple[str, list[int]]:
    """The write path made to load the timelines a batch touches (the small ledger below never
    reaches as many subjects as it has entries), or to read the whole ledger twice, whatever
    the share of it a batch reaches; the batches that took the second way are counted."""
    for share in ("FULL_LOAD_SHARE", "REACH_SHARE"):
        monkeypatch.setattr(application, share, 1 if request.param == "timelines" else 10**9)
    whole: list[int] = []

    def counted(*args: Any) -> Any:
        whole.append(len(args[1]))
        return check_whole(*args)

    monkeypatch.setattr(application, "check_whole", counted)
    return str(request.param), whole


def test_a_backdated_amendment_is_refused_alike_either_way(book: Book, path: tuple[str, list[int]]) -> None:
    """The minimum raised back to the start breaks a redemption recorded since; withdrawing the
    amendment a proxy relies on breaks the vote. Either way, the refusal names the entry,
    its rule and the new entry that breaks it, and nothing is written."""
    meeting = {"type": "assembly.convened", "date": "2024-06-01", "assembly": "AG1", "kind": "ordinary"}
    proxies = {"type": "statutes.amended", "date": "2024-02-01", "parameter": "proxy_limit", "value": 2}
    book.record(
        *(admit(f"S{n}", "2024-01-10", shares=2) for n in range(1, 4)), {**proxies, "id": "am-1"}, meeting
    )
    vote = {"type": "assembly.voted", "date": "2024-06-01", "assembly": "AG1", "member": "S1"}
    book.record(vote, {**vote, "member": "S2", "proxy": "S1"}, {**vote, "member": "S3", "proxy": "S1"})
    book.record({"type": "shares.redeemed", "date": "2024-09-01", "member": "S2", "count": 1})
    head = book.store.head()
    raised = {"type": "statutes.amended", "date": "2024-01-01", "parameter": "min_shares.A", "value": 2}
    withdrawn = {"type": "entry.retracted", "date": "2024-07-01", "entry": "am-1", "reason": "wrong"}
    for line, rule, broken in [
        (raised, "enough-shares", "shares.redeemed S2 2024-09-01 (#9)"),
        (withdrawn, "proxy-limit", "assembly.voted AG1 2024-06-01 (#8)"),
    ]:
        with pytest.raises(Refused) as caught:
            book.record(line)
        message = str(caught.value.refusals[0])
        assert f"would break recorded entry {broken}" in message and rule in message, (path, message)
        assert book.store.head() == head
    book.record({**raised, "value": 1})  # what breaks nothing is recorded, either way
    assert book.store.head() != head
    way, whole = path
    assert len(whole) == (5 if way == "whole" else 0)  # every batch but the first, or none
