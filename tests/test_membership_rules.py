"""The membership rules, each refused with its name, on every backend. Tests read like small journals."""

from __future__ import annotations

import datetime as dt

import pytest

from coopledger.ledger.errors import Refused
from tests.conftest import Book
from tests.journal import admit, refused


def test_a_member_id_is_admitted_once_and_never_reused(book: Book) -> None:
    book.record(admit("S1", "2024-01-10"))
    assert "member-id-once" in refused(book, admit("S1", "2024-02-01"))
    book.record({"type": "member.left", "date": "2024-03-01", "member": "S1", "reason": "death"})
    message = refused(book, admit("S1", "2025-01-10"))
    assert "member-id-once" in message and "never reused" in message


def test_admission_needs_the_category_minimum(book: Book) -> None:
    book.record({"type": "statutes.amended", "date": "2024-01-01", "parameter": "min_shares.B", "value": 3})
    message = refused(book, admit("S2", "2024-02-01", shares=2, category="B"))
    assert "minimum-shares" in message and "at least 3" in message
    book.record(admit("S2", "2024-02-01", shares=3, category="B"), admit("S3", "2024-02-01", shares=1))


def test_nothing_concerns_someone_who_is_not_a_member_on_that_date(book: Book) -> None:
    message = refused(book, {"type": "shares.paid", "date": "2024-01-05", "member": "S1", "amount": "25.00"})
    assert message == "line 1: shares.paid S1 2024-01-05: must-be-member: S1 is not a member on 2024-01-05"
    book.record(
        admit("S1", "2024-01-10"),
        {"type": "member.excluded", "date": "2024-06-01", "member": "S1", "reason": "unpaid"},
    )
    # an exit dated D means no longer a member as of D, whatever the typing order
    assert "must-be-member" in refused(
        book, {"type": "member.updated", "date": "2024-06-01", "member": "S1", "name": "Late"}
    )


def test_transfer_needs_enough_shares_and_a_member_recipient(book: Book) -> None:
    book.record(admit("S1", "2024-01-10", shares=3), admit("S2", "2024-01-10"))
    transfer = {"type": "shares.transferred", "date": "2024-02-01", "member": "S1", "to": "S2"}
    assert "enough-shares" in refused(book, {**transfer, "count": 4})
    assert "below the minimum 1" in refused(book, {**transfer, "count": 3})
    assert "transfer-to-member" in refused(book, {**transfer, "count": 1, "to": "S9"})
    assert "transfer-to-member" in refused(book, {**transfer, "count": 1, "to": "S1"})
    book.record({**transfer, "count": 2})


def test_payments_and_redemptions_stay_within_the_subscribed_capital(book: Book) -> None:
    book.record(admit("S1", "2024-01-10", shares=2))
    pay = {"type": "shares.paid", "date": "2024-01-11", "member": "S1"}
    assert "paid-up-within-subscribed" in refused(book, {**pay, "amount": "50.01"})
    book.record({**pay, "amount": "30.00"})
    redeem = {"type": "shares.redeemed", "date": "2024-02-01", "member": "S1", "count": 1}
    assert "redemption-within-paid-up" in refused(book, {**redeem, "amount": "30.01"})
    book.record({**redeem, "amount": "25.00"})


def test_resignation_only_in_the_first_six_months_unless_the_statutes_lift_it(book: Book) -> None:
    book.record(admit("S1", "2024-01-10"), admit("S2", "2024-01-10"))
    message = refused(book, {"type": "member.resigned", "date": "2025-07-01", "member": "S1"})
    assert "resignation-window" in message and "first 6 months" in message
    book.record({"type": "member.resigned", "date": "2025-06-30", "member": "S1"})
    book.record(
        {"type": "statutes.amended", "date": "2025-01-01", "parameter": "resignation_months", "value": 12}
    )
    book.record({"type": "member.resigned", "date": "2025-12-01", "member": "S2"})


def test_founders_may_not_resign_before_their_third_fiscal_year(book: Book) -> None:
    book.record(admit("F1", "2024-01-10", founder=True))
    message = refused(book, {"type": "member.resigned", "date": "2025-03-01", "member": "F1"})
    assert "founder-lock" in message and "from fiscal year 2026" in message
    book.record({"type": "member.resigned", "date": "2026-03-01", "member": "F1"})


def test_an_exit_is_refused_only_after_a_request(book: Book) -> None:
    book.record(admit("S1", "2024-01-10"))
    refusal = {"type": "member.exit_refused", "date": "2024-08-01", "member": "S1", "reason": "window"}
    assert "exit-request-pending" in refused(book, refusal)
    book.record({"type": "member.exit_requested", "date": "2024-07-20", "member": "S1"}, refusal)


def test_categories_can_be_restricted_by_the_statutes(book: Book) -> None:
    book.record({"type": "statutes.amended", "date": "2024-01-01", "parameter": "categories", "value": "A,B"})
    assert "category-allowed" in refused(book, admit("S1", "2024-02-01", category="Z"))
    assert "statutes-parameter" in refused(
        book, {"type": "statutes.amended", "date": "2024-01-01", "parameter": "no_such", "value": 1}
    )


def test_a_backdated_entry_is_checked_against_everything_dated_after_it(book: Book) -> None:
    book.record(admit("S1", "2024-01-10", shares=2), admit("S2", "2024-01-10"))
    book.record({"type": "shares.transferred", "date": "2024-05-01", "member": "S1", "to": "S2", "count": 1})
    message = refused(book, {"type": "member.left", "date": "2024-03-01", "member": "S2", "reason": "death"})
    assert message.startswith(
        "line 1: member.left S2 2024-03-01: would break recorded entry shares.transferred"
    )
    assert "transfer-to-member: recipient S2 is not a member on 2024-05-01" in message


def test_every_bad_line_of_a_batch_is_reported_and_nothing_is_written(book: Book) -> None:
    with pytest.raises(Refused) as caught:
        book.record(
            admit("S1", "2024-01-10"),
            admit("S1", "2024-01-11"),
            {"type": "member.resigned", "date": "2024-09-01", "member": "S1"},
        )
    lines = [str(r) for r in caught.value.refusals]
    assert [line.split(":")[0] for line in lines] == ["line 2", "line 3"]
    assert book.store.head() is None


def test_same_id_same_content_is_a_no_op_and_different_content_a_refusal(book: Book) -> None:
    book.record({**admit("S1", "2024-01-10"), "id": "a-1"})
    assert book.record({**admit("S1", "2024-01-10"), "id": "a-1"}) == []
    assert "entry-id-unique" in refused(book, {**admit("S1", "2024-01-12"), "id": "a-1"})


def test_a_category_parameter_falls_back_to_the_general_value_in_force(book: Book) -> None:
    book.record(
        {"type": "statutes.amended", "date": "2024-01-01", "parameter": "min_shares", "value": 2},
        {"type": "statutes.amended", "date": "2026-01-01", "parameter": "min_shares.B", "value": 5},
    )
    assert "at least 2" in refused(book, admit("S1", "2025-01-10", shares=1, category="B"))
    assert "at least 5" in refused(book, admit("S1", "2026-01-10", shares=4, category="B"))


def test_generated_ids_step_around_a_clerks_id_of_the_same_form(book: Book) -> None:
    book.record({**admit("S1", "2024-01-10"), "id": "@2"})
    added = book.record(admit("S2", "2024-01-10"))
    assert [e.id for e in added] == ["@2.1"]


def test_amounts_are_kept_with_two_decimals(book: Book) -> None:
    book.record(admit("S1", "2024-01-10", share_price="30"))
    book.record({"type": "shares.paid", "date": "2024-01-11", "member": "S1", "amount": 12.5})
    admitted, paid = book.store.entries()
    assert str(admitted.share_price) == "30.00" and str(paid.amount) == "12.50"  # type: ignore[attr-defined]


def test_an_amendment_rechecks_what_is_dated_from_it_on_and_nothing_before(book: Book) -> None:
    """On a ledger long enough that a batch reads only what it touches (not the whole ledger),
    an amendment still re-checks every entry dated from its date on, whoever it is about, and
    reads a note quoting a date as text (the date is the entry's own)."""
    book.record(*(admit(f"S{n}", "2024-01-10", shares=2) for n in range(20)))
    note = 'not "date":"2099-01-01" but "date":"2020-01-01"'
    book.record({"type": "shares.redeemed", "date": "2025-03-01", "member": "S7", "count": 1, "note": note})
    redeemed = ["shares.redeemed"]
    assert book.store.subjects_dated_from(dt.date(2025, 3, 1), redeemed) == {"member:S7"}
    assert book.store.subjects_dated_from(dt.date(2025, 3, 2), redeemed) == set()  # the note's dates are text
    amendment = {"type": "statutes.amended", "date": "2025-01-01", "parameter": "min_shares", "value": 2}
    message = refused(book, amendment)
    assert "would break recorded entry shares.redeemed" in message and "S7" in message
    assert "enough-shares: S7 would keep 1 share, below the minimum 2" in message
    # From a later date on, the redemption stays under the statutes of its day.
    book.record({**amendment, "date": "2025-03-02"})
    later = {"type": "shares.redeemed", "date": "2025-04-01", "member": "S8", "count": 1}
    assert "below the minimum 2" in refused(book, later)
