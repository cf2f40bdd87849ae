"""Retractions: an entry is withdrawn, never deleted, and the past knowledge stays queryable."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from coopledger.ledger.errors import Refused
from coopledger.ledger.rules import BATCH_RULES
from coopledger.projections.read_models import catch_up, open_engine
from coopledger.projections.register.queries import register_as_of
from tests.conftest import ROOT, Book
from tests.journal import admit
from tests.test_import_parts import journal, run


def test_a_retraction_withdraws_the_entry_from_its_recorded_time_on(book: Book) -> None:
    engine = open_engine(book.store.database)
    book.record(
        {**admit("S1", "2024-01-10", shares=2), "id": "adm-1"},
        {"type": "shares.redeemed", "date": "2024-03-01", "member": "S1", "count": 1, "id": "red-1"},
    )
    before = book.store.head()
    assert before is not None
    book.record({"type": "entry.retracted", "date": "2024-03-02", "entry": "red-1", "reason": "typo"})
    catch_up(engine, book.store)
    assert register_as_of(engine, dt.date(2024, 12, 31))[0].shares == 2
    assert register_as_of(engine, dt.date(2024, 12, 31), known_seq=before.seq)[0].shares == 1


def test_a_retraction_that_would_break_later_entries_is_refused_and_names_them(book: Book) -> None:
    book.record(
        {**admit("S1", "2024-01-10"), "id": "adm-1"},
        {"type": "shares.paid", "date": "2024-02-01", "member": "S1", "amount": "10.00", "id": "pay-1"},
    )
    with pytest.raises(Refused) as caught:
        book.record({"type": "entry.retracted", "date": "2024-03-01", "entry": "adm-1", "reason": "wrong"})
    message = str(caught.value.refusals[0])
    assert "would break recorded entry shares.paid S1 2024-02-01 (#2)" in message
    assert "must-be-member" in message


def test_a_retraction_names_a_live_entry_by_id_or_sequence(book: Book) -> None:
    book.record(admit("S1", "2024-01-10"), admit("S2", "2024-01-10"))
    book.record({"type": "entry.retracted", "date": "2024-03-01", "entry": 2, "reason": "duplicate"})
    for target, why in [("2", "already retracted"), ("99", "no recorded entry"), ("3", "is a retraction")]:
        with pytest.raises(Refused) as caught:
            book.record({"type": "entry.retracted", "date": "2024-03-01", "entry": target, "reason": "x"})
        assert "retraction-target" in str(caught.value) and why in str(caught.value)


def test_every_batch_rule_is_in_the_user_guide() -> None:
    guide = (ROOT / "docs" / "user-guide.md").read_text(encoding="utf-8")
    missing = [name for name in BATCH_RULES if f"`{name}`" not in guide]
    assert not missing, f"batch rules missing from docs/user-guide.md: {missing}"


def test_withdrawing_an_amendment_later_entries_rely_on_is_refused(book: Book) -> None:
    """A withdrawn amendment leaves the statutes from its date on: every entry checked under
    it is checked again, as when an amendment is recorded (a proxy allowed by it, here)."""
    amendment = {"type": "statutes.amended", "date": "2024-02-01", "parameter": "proxy_limit", "value": 2}
    meeting = {"type": "assembly.convened", "date": "2024-06-01", "assembly": "AG1", "kind": "ordinary"}
    members = [admit(m, "2024-01-10") for m in ("S1", "S2", "S3")]
    book.record(*members, {**amendment, "id": "am-1"}, meeting)
    vote = {"type": "assembly.voted", "date": "2024-06-01", "assembly": "AG1", "member": "S1"}
    for voter in ({}, {"member": "S2", "proxy": "S1"}, {"member": "S3", "proxy": "S1"}):
        book.record({**vote, **voter})  # one by one, as a clerk enters them: each reads what it touches
    with pytest.raises(Refused) as caught:
        book.record({"type": "entry.retracted", "date": "2024-07-01", "entry": "am-1", "reason": "wrong"})
    message = str(caught.value.refusals[0])
    assert "would break recorded entry assembly.voted AG1 2024-06-01 (#8)" in message
    assert "proxy-limit" in message
    book.record({**amendment, "date": "2024-03-01", "value": 3, "id": "am-2"})  # one nothing relies on
    book.record({"type": "entry.retracted", "date": "2024-07-01", "entry": "am-2", "reason": "not adopted"})


def test_shares_given_to_their_own_holder_and_withdrawn_in_the_same_batch_are_indexed_once(
    shared_db_url: str, tmp_path: Path
) -> None:
    """Refused alone (`transfer-to-self`), such a transfer is dead once its retraction is in the
    same file, and recorded: under its one member (it was indexed twice, which the index's key
    refused, and the write was retried as if another clerk had got there first)."""
    to_themselves = {"type": "shares.transferred", "date": "2024-02-01", "member": "S1", "to": "S1"}
    path = journal(
        tmp_path,
        {**admit("S1", "2024-01-10", shares=2), "id": "adm-1"},
        {**to_themselves, "count": 1, "id": "t-1"},
        {"type": "entry.retracted", "date": "2024-02-02", "entry": "t-1", "reason": "to themselves"},
    )
    result = run(shared_db_url, "import", str(path))
    assert result.exit_code == 0 and "3 entries added" in result.output, result.output
    assert "S1" in run(shared_db_url, "history", "S1").output
    assert run(shared_db_url, "verify").exit_code == 0
