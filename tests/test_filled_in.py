"""What the ledger fills in for the clerk (an admission's share price, from the statutes; a
transfer's paid-up amount, from the giver's capital) is what the entries of the batch and of the
ledger say: a batch's own amendment counts, a withdrawn one does not, and a file recorded in
parts gets the amounts it gets in one batch (`application.Carried`)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

from click.testing import CliRunner

from coopledger.commands.main import cli
from coopledger.ledger import events as ev
from coopledger.ledger.database import parse_database
from coopledger.ledger.provenance import content_digest
from coopledger.ledger.statutes import Statutes
from coopledger.ledger.store import Store
from coopledger.ledger.timeline import statutes_of
from tests.conftest import Book, init_ledger
from tests.test_import_parts import admit, journal, run


def amend_price(value: str, date: str, **more: object) -> dict[str, object]:
    return {"type": "statutes.amended", "date": date, "parameter": "share_price", "value": value, **more}


def price(book: Book, member: str) -> Decimal | None:
    admitted = next(
        e for e in book.store.entries() if isinstance(e, ev.MemberAdmitted) and e.member == member
    )
    return admitted.share_price


def test_an_amendment_of_the_batch_prices_the_admissions_from_its_date(book: Book) -> None:
    book.record(amend_price("30.00", "2024-01-01"), admit("A", "2024-02-01"), admit("B", "2023-12-31"))
    assert price(book, "A") == Decimal("30.00")
    assert price(book, "B") == Decimal("25.00")  # before it: the statutes' default


def test_a_withdrawn_amendment_prices_no_admission(book: Book) -> None:
    book.record(amend_price("30.00", "2024-01-01", id="s1"))
    book.record({"type": "entry.retracted", "date": "2024-03-01", "entry": "s1", "reason": "wrong"})
    book.record(admit("A", "2024-04-01"))
    assert price(book, "A") == Decimal("25.00")


def stored(url: str, entry_id: str) -> ev.Entry | None:
    store = Store(parse_database(url))
    try:
        return store.entry_by_id(entry_id)
    finally:
        store.close()


def test_an_amendment_in_a_later_part_prices_an_admission_of_an_earlier_one(
    shared_db_url: str, tmp_path: Path
) -> None:
    path = journal(tmp_path, admit("A", "2024-02-01") | {"id": "a"}, amend_price("30.00", "2024-01-01"))
    whole = init_ledger(f"sqlite:///{tmp_path / 'whole.db'}")
    assert run(whole, "import", str(path)).exit_code == 0
    parts = run(shared_db_url, "import", str(path), part=1)
    assert parts.exit_code == 0, parts.output
    admitted = stored(shared_db_url, "a")
    assert isinstance(admitted, ev.MemberAdmitted) and admitted.share_price == Decimal("30.00")
    in_one = stored(whole, "a")
    assert in_one is not None and content_digest(admitted) == content_digest(in_one)


# S0 and S1 with 4 shares each; S0 pays 50.00, and gives S1 a share without its paid-up amount.
TWO_MEMBERS = [admit("S0") | {"id": "s0"}, admit("S1") | {"id": "s1"}]
PAYMENT = {"id": "p", "type": "shares.paid", "date": "2024-06-01", "member": "S0", "amount": "50.00"}
TRANSFER = {
    "id": "t",
    "type": "shares.transferred",
    "date": "2025-01-01",
    "member": "S0",
    "to": "S1",
    "count": 1,
}


def test_a_payment_in_a_later_part_counts_in_a_transfer_of_an_earlier_one(
    shared_db_url: str, tmp_path: Path
) -> None:
    """S0 pays 50.00 for 4 shares before giving one away: the share carries 12.50, however the
    file is cut."""
    lines = [*TWO_MEMBERS, TRANSFER, PAYMENT]
    result = CliRunner().invoke(
        cli,
        ["--db", shared_db_url, "import", str(journal(tmp_path, *lines))],
        env={"COOPLEDGER_IMPORT_PART": "3"},
    )
    assert result.exit_code == 0, result.output
    transfer = stored(shared_db_url, "t")
    assert isinstance(transfer, ev.SharesTransferred) and transfer.paid_up == Decimal("12.50")


def test_a_transfer_withdrawn_in_a_later_part_carries_what_one_batch_gives_it(
    shared_db_url: str, tmp_path: Path
) -> None:
    """In one batch a transfer withdrawn by a later line is dead: no rule folds it and nothing
    is filled in (no `paid_up`). Recorded in parts, the first part filled it in; its retraction
    in a later part sends the file to be checked whole, so that it is recorded as one batch
    records it."""
    lines = [
        *TWO_MEMBERS,
        PAYMENT,
        TRANSFER,
        {"type": "entry.retracted", "date": "2025-01-02", "entry": "t", "reason": "never happened"},
    ]
    path = journal(tmp_path, *lines)
    whole = init_ledger(f"sqlite:///{tmp_path / 'whole.db'}")
    for url, part in ((shared_db_url, "4"), (whole, "100")):
        result = CliRunner().invoke(
            cli, ["--db", url, "import", str(path)], env={"COOPLEDGER_IMPORT_PART": part}
        )
        assert result.exit_code == 0, result.output
    transfer = stored(shared_db_url, "t")
    assert isinstance(transfer, ev.SharesTransferred) and transfer.paid_up is None
    assert content_digest(transfer) == content_digest(stored(whole, "t"))  # type: ignore[arg-type]


def test_the_statutes_of_a_timeline_leave_out_the_amendments_it_withdraws() -> None:
    """What `--year` (the fiscal year) and the documents read too, not only the share price."""
    amendment = ev.StatutesAmended(
        id="s1", seq=1, date=dt.date(2024, 1, 1), parameter="fiscal_year_start", value="07-01"
    )
    retraction = ev.EntryRetracted(id="r1", seq=2, date=dt.date(2024, 2, 1), entry="s1", reason="wrong")
    day = dt.date(2025, 3, 1)
    assert statutes_of([amendment]).get("fiscal_year_start", day) == "07-01"
    assert statutes_of([amendment, retraction]).get("fiscal_year_start", day) == Statutes().get(
        "fiscal_year_start", day
    )


def test_an_amendment_before_admissions_of_its_own_part_keeps_the_file_in_parts(
    shared_db_url: str, tmp_path: Path
) -> None:
    """A file in date order is never sent to be checked whole: an amendment prices the admissions
    of its own part and of the parts after it."""
    lines = [
        amend_price("30.00", "2024-01-01"),
        admit("A", "2024-02-01") | {"id": "a"},
        admit("B", "2024-03-01"),
    ]
    result = run(shared_db_url, "import", str(journal(tmp_path, *lines)), part=2)
    assert result.exit_code == 0, result.output
    assert "out of date order" not in result.output
    admitted = stored(shared_db_url, "a")
    assert isinstance(admitted, ev.MemberAdmitted) and admitted.share_price == Decimal("30.00")
