"""A long scan's next page fetched while the current one is worked on (`ledger/prefetch.py`):
the same rows in the same order, in the caller's snapshot, and nothing left running."""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from coopledger.commands.main import cli
from coopledger.ledger import scan
from coopledger.ledger import store as ledger_store
from coopledger.ledger.database import parse_database
from coopledger.ledger.prefetch import prefetched
from coopledger.ledger.store import Store
from coopledger.projections import beside
from tests.test_atomic_write import execute
from tests.test_verify import ADMIT, DRILLS, _replaced, ok, rich_ledger, verify_in_process

WHERE = contextvars.ContextVar[str]("WHERE", default="elsewhere")


def numbered(pages: int, size: int, seen: list[str] | None = None) -> Iterator[list[int]]:
    """`pages` pages of `size` numbers, noting the thread that asked for each page."""
    for number in range(pages):
        if seen is not None:
            seen.append(threading.current_thread().name)
        yield list(range(number * size, (number + 1) * size))


def test_every_row_comes_once_in_order() -> None:
    assert list(prefetched(numbered(5, 3), full=3)) == list(range(15))
    assert list(prefetched(iter([[1, 2], [3], [], [4]]), full=2)) == [1, 2, 3]  # an empty page ends
    assert list(prefetched(iter([]), full=2)) == []
    assert list(prefetched(iter([[1], [], [4]]), full=2)) == [1]  # so too after a short first page


def test_a_short_first_page_starts_no_thread() -> None:
    seen: list[str] = []
    assert list(prefetched(numbered(1, 2, seen), full=3)) == [0, 1]
    assert seen == [threading.current_thread().name]


def test_the_pages_after_the_first_are_fetched_by_a_thread_in_the_callers_context() -> None:
    seen: list[str] = []
    contexts: list[str] = []

    def pages() -> Iterator[list[int]]:
        for page in numbered(4, 2, seen):
            contexts.append(WHERE.get())
            yield page

    token = WHERE.set("in the snapshot")
    try:
        assert list(prefetched(pages(), full=2)) == list(range(8))
    finally:
        WHERE.reset(token)
    assert seen[0] == threading.current_thread().name
    assert all(name.startswith("coopledger-prefetch") for name in seen[1:])
    assert contexts == ["in the snapshot"] * 4


def test_a_caller_that_stops_early_leaves_no_fetch_running_and_closes_the_pages() -> None:
    closed: list[str] = []

    def pages() -> Iterator[list[int]]:
        try:
            yield from ([1, 2], [3, 4], [5, 6])
        finally:
            closed.append(threading.current_thread().name)

    rows = prefetched(pages(), full=2)
    assert next(rows) == 1
    rows.close()  # a generator still running in the thread could not be closed: ValueError
    assert closed == [threading.current_thread().name]
    assert not [t for t in threading.enumerate() if t.name.startswith("coopledger-prefetch")]


def test_an_error_fetching_a_page_reaches_the_caller() -> None:
    def pages() -> Iterator[list[int]]:
        yield [1, 2]
        raise RuntimeError("the server went away")

    rows = prefetched(pages(), full=2)
    assert [next(rows), next(rows)] == [1, 2]
    with pytest.raises(RuntimeError, match="the server went away"):
        next(rows)


@pytest.fixture
def tiny_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pages of a few rows, so that every scan of a small ledger is long and read ahead."""
    monkeypatch.setattr(scan, "PAGE", 2)
    monkeypatch.setattr(ledger_store, "PAGE", 3)


TAMPERED = ["payload byte edited", "middle row deleted", "subject index row wrong", "movement row deleted"]


@pytest.mark.parametrize("drill", [None, *TAMPERED])
def test_verify_says_the_same_with_pages_read_ahead(
    shared_db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, drill: str | None
) -> None:
    """With a worker and the entries streamed, every check's scans read ahead (on PostgreSQL)."""
    db = shared_db_url
    rich_ledger(db, tmp_path)
    if drill is not None:
        table = "stored_events" if db.startswith("sqlite") else "coopledger_events"
        edit, moved = _replaced(db, "M02", "M0X"), _replaced(db, '"recorded":"2', '"recorded":"1')
        execute(db, DRILLS[drill].format(t=table, edit=edit, moved=moved))
    monkeypatch.setattr(beside, "BESIDE", 0)
    default = verify_in_process(shared_db_url, monkeypatch, streamed=True)
    monkeypatch.setattr(scan, "PAGE", 2)
    monkeypatch.setattr(ledger_store, "PAGE", 3)
    ahead = verify_in_process(shared_db_url, monkeypatch, streamed=True)
    assert (ahead.exit_code, ahead.stdout, ahead.stderr) == (
        default.exit_code,
        default.stdout,
        default.stderr,
    )
    assert ahead.exit_code == (0 if drill is None else 1)


def test_a_scan_read_ahead_stays_in_its_snapshot(
    shared_db_url: str, tmp_path: Path, tiny_pages: None
) -> None:
    """An entry recorded by another process during a scan is not in it (the thread reads through
    the snapshot's connection), and the register's rows read ahead are those of the snapshot."""
    rich_ledger(shared_db_url, tmp_path)
    store = Store(parse_database(shared_db_url))
    try:
        with scan.snapshot(store) as conn:
            states = store.states()
            first = [next(states) for _ in range(5)]
            spells = scan.rows(conn, "SELECT member FROM register_spells ORDER BY member")
            members = [next(spells)]
            ok(*ADMIT, db=shared_db_url)  # S1, recorded and projected meanwhile
            read = first + list(states)
            members += list(spells)
        assert len(read) == 61
        assert "S1" not in members and len(members) > 10
        assert len(list(store.states())) == 62
    finally:
        store.close()


def test_the_register_is_the_same_read_ahead(shared_db_url: str, tmp_path: Path) -> None:
    rich_ledger(shared_db_url, tmp_path)
    args = ["--db", shared_db_url, "register", "--as-of", "2025-12-31", "--format", "csv", "--all"]
    default = CliRunner().invoke(cli, args, catch_exceptions=False)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(scan, "PAGE", 2)
        ahead = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert default.exit_code == ahead.exit_code == 0
    assert ahead.stdout == default.stdout and ahead.stdout.count("\n") > 10
