"""The event store on every backend: order, provenance, hash chain, all-or-nothing, concurrency."""

from __future__ import annotations

import datetime as dt
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import msgspec
import pytest
from sqlalchemy import text

from coopledger.ledger import application
from coopledger.ledger import store as store_module
from coopledger.ledger.application import Ledger, utc_now
from coopledger.ledger.audit import chain_problems
from coopledger.ledger.database import parse_database
from coopledger.ledger.errors import Refused, Source, StoreDamaged
from coopledger.ledger.events import decode
from coopledger.ledger.provenance import chain_hash
from coopledger.ledger.store import Store
from tests.conftest import Book, run_cli
from tests.journal import admit


def test_entries_get_sequence_recorded_time_author_and_a_hash_chain(book: Book) -> None:
    book.record(admit("S1", "2024-01-10"), {**admit("S2", "2024-01-11"), "by": "anna", "id": "x-1"})
    book.record(
        {
            "type": "shares.paid",
            "date": "2024-02-01",
            "member": "S2",
            "amount": "25.00",
            "ref": "bank 12",
            "note": "first payment",
        }
    )
    entries = list(book.store.entries())
    assert [e.seq for e in entries] == [1, 2, 3]
    assert [e.id for e in entries] == ["@1", "x-1", "@3"]
    assert [e.by for e in entries] == ["clerk", "anna", "clerk"]
    assert entries[0].recorded < entries[1].recorded < entries[2].recorded  # type: ignore[operator]
    assert (entries[2].ref, entries[2].note) == ("bank 12", "first payment")
    assert chain_problems(entries) == []
    tampered = msgspec.structs.replace(entries[1], name="Mallory")
    assert chain_problems([entries[0], tampered, entries[2]]) == [
        "entry #2: hash does not match its content and the previous hash"
    ]
    rehashed = msgspec.structs.replace(tampered, hash=chain_hash(entries[0].hash or "", tampered))
    assert chain_problems([entries[0], rehashed, entries[2]]) == [
        "entry #3: hash does not match its content and the previous hash"
    ]


def test_the_recorded_clock_never_goes_back(book: Book) -> None:
    early = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    book.record(admit("S1", "2024-01-10"))
    late_clock = Ledger(book.store, clock=lambda: early, user="clerk")
    late_clock.record([(decode(msgspec.json.encode(admit("S2", "2024-01-10"))), Source("test"))])
    first, second = book.store.entries()
    assert first.recorded < second.recorded  # type: ignore[operator]


def test_timelines_hold_every_entry_of_a_subject(book: Book) -> None:
    book.record(
        admit("S1", "2024-01-10", shares=2),
        admit("S2", "2024-01-10"),
        {"type": "shares.transferred", "date": "2024-02-01", "member": "S1", "to": "S2", "count": 1},
    )
    assert [e.seq for e in book.store.timelines(["member:S2"])] == [2, 3]
    assert [e.seq for e in book.store.timelines(["member:S1", "member:S2"], upto=2)] == [1, 2]
    assert book.store.seq_known_at("1999-01-01T00:00:00.000000Z") == 0


def test_two_writers_racing_for_the_same_member_exactly_one_wins(shared_db_url: str) -> None:
    """Both writers read the same head, then meet at a barrier before appending."""
    barrier = threading.Barrier(2, timeout=20)
    waited: set[int] = set()

    def clock() -> dt.datetime:
        me = threading.get_ident()
        if me not in waited:
            waited.add(me)
            barrier.wait()
        return utc_now()

    def admit_s1(who: str) -> str:
        store = Store(parse_database(shared_db_url))
        try:
            Ledger(store, clock=clock, user=who).record(
                [(decode(msgspec.json.encode(admit("S1", "2024-01-10", name=who))), Source(who))]
            )
            return "recorded"
        except Refused as e:
            return str(e.refusals[0])
        finally:
            store.close()

    Store(parse_database(shared_db_url)).close()  # create the tables before the race
    with ThreadPoolExecutor(2) as pool:
        outcomes = sorted(pool.map(admit_s1, ["anna", "bert"]))
    assert outcomes[1] == "recorded"
    assert "member-id-once" in outcomes[0]
    store = Store(parse_database(shared_db_url))
    assert [e.seq for e in store.entries()] == [1]
    store.close()


def test_two_processes_admitting_the_same_member_at_once(shared_db_url: str) -> None:
    assert run_cli("init", db=shared_db_url).returncode == 0
    args = [
        "member",
        "admit",
        "S7",
        "--name",
        "Ada",
        "--category",
        "A",
        "--shares",
        "1",
        "--date",
        "2024-01-10",
    ]
    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(lambda _: run_cli(*args, db=shared_db_url), range(2)))
    assert sorted(r.returncode for r in results) == [0, 1]
    loser = next(r for r in results if r.returncode == 1)
    assert b"member-id-once" in loser.stderr
    log = run_cli("log", "--format", "json", db=shared_db_url)
    assert len(msgspec.json.decode(log.stdout)) == 1


def test_a_large_write_leaves_planner_statistics_behind(book: Book, monkeypatch: pytest.MonkeyPatch) -> None:
    """A write of many entries (a tenth of the ledger or more) refreshes PostgreSQL's statistics
    once committed; a small one leaves them to autovacuum. Without them, at 5,000,000 members,
    the planner scanned the identity store for `member show`."""
    monkeypatch.setattr(store_module, "ANALYZE_AFTER", 30)
    postgres = book.store.database.backend == "postgresql"

    def analyzed() -> set[str]:
        if not postgres:
            return set()
        with book.store.engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT relname FROM pg_stat_user_tables "
                    "WHERE schemaname = current_schema() AND last_analyze IS NOT NULL"
                )
            )
            return {row[0] for row in rows}

    book.record(*(admit(f"S{n}", "2025-01-06") for n in range(10)))
    assert analyzed() == set()  # 10 entries: below the threshold
    book.record(*(admit(f"T{n}", "2025-01-07") for n in range(40)))
    if postgres:  # SQLite's queries fix their own plans: nothing to refresh
        assert {"coop_entries", "coop_subjects", "coop_identities", "register_spells"} <= analyzed()
    assert len(book.store.identities_of("T7")) == 1  # found through the subject index
    assert [r.subject for r in book.store.identities_of("S3")] == ["S3"]


def test_a_clash_that_no_other_writer_made_fails_at_once_and_says_the_store_is_damaged(book: Book) -> None:
    """A refused append is a lost race only if another writer has moved the head: a row in
    the way that no writer put there (here a stray index row) would clash on every attempt, so
    the write fails at the first, says what the database refused, and writes nothing. Before,
    it was taken for a race and tried 30 times with back-off, a long import run again each time."""
    book.record(admit("S1", "2024-01-10"))
    with book.store.engine.begin() as conn:
        conn.execute(text("INSERT INTO coop_subjects (subject, seq) VALUES ('member:S2', 2)"))
    started = time.monotonic()
    with pytest.raises(StoreDamaged) as caught:
        book.record(admit("S2", "2024-01-11"))
    assert time.monotonic() - started < application.BACK_OFF * 10  # no back-off: not one retry
    assert str(caught.value).startswith("a write met one already there: ")
    assert "coop_subjects" in str(caught.value)
    assert [entry.seq for entry in book.store.entries()] == [1]
