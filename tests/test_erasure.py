"""Erasure, its finality and its words (issue 10), on SQLite and PostgreSQL.

An erasure cannot be retracted; where the identity store holds no value, views say
`[erased]` if the person's identity was erased and `[not held]` if the ledger never had
it (entries imported from a pseudonymous export); `COOPLEDGER_TODAY` is today for the
retention period of `member forget`.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import msgspec
import pytest

from coopledger.ledger import events as ev
from coopledger.ledger.application import Ledger
from coopledger.ledger.bounds import decode_input
from coopledger.ledger.database import parse_database
from coopledger.ledger.errors import Refused, Source
from coopledger.ledger.identity import ERASED, NOT_HELD
from coopledger.ledger.postgres_recorder import connect
from coopledger.ledger.recorders import ERASURE
from tests.conftest import Book, run_cli
from tests.journal import admit, convene, elect, seats

NAME, OUTSIDER, KEPT = "Zoë Quintessenz", "Oswald Outsider-Zyx", "Ada Present"
JOURNAL: list[dict[str, Any]] = [
    {"type": "statutes.amended", "date": "2015-01-01", "parameter": "outsiders_allowed", "value": True},
    {**seats(3, date="2015-01-01")},
    admit("S1", "2015-01-10", name=KEPT),
    admit("S2", "2015-01-10", shares=3, name=NAME, email="zq@example.org"),
    {"type": "member.resigned", "date": "2016-03-01", "member": "S2"},  # erasable from 2024-01-01
    admit("S3", "2025-01-10", name="Cleo Recent"),
    {"type": "member.resigned", "date": "2025-03-01", "member": "S3"},  # erasable from 2033-01-01
    convene("AG2015", "2015-06-17"),
    elect("P9", name=OUTSIDER, date="2015-06-17", until="2017-06-17", assembly="AG2015"),
]
JOURNAL = [{**line, "id": f"j{n}"} for n, line in enumerate(JOURNAL, 1)]


def imported(url: str, tmp_path: Path, lines: list[dict[str, Any]] = JOURNAL) -> None:
    journal = tmp_path / "journal.jsonl"
    journal.write_text(
        "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines), encoding="utf-8"
    )
    done = run_cli("import", str(journal), db=url)
    assert done.returncode == 0, done.stderr


def cli(url: str, *args: str, today: str | None = None) -> tuple[int, str, str]:
    done = run_cli(*args, db=url, env={"COOPLEDGER_TODAY": today} if today else None)
    return done.returncode, done.stdout.decode(), done.stderr.decode()


def test_the_topic_of_an_erasure() -> None:
    assert ev.IdentityErased.type == ERASURE


# -- an erasure is final ----------------------------------------------------------------------


def test_an_erasure_cannot_be_retracted(shared_db_url: str, tmp_path: Path) -> None:
    url = shared_db_url
    imported(url, tmp_path)
    code, out, err = cli(
        url, "member", "forget", "S2", "--reason", "request", "--id", "E1", today="2026-06-01"
    )
    assert code == 0, err
    for name in ("E1", "#10", "10"):
        code, out, err = cli(url, "retract", name, "--reason", "a mistake", today="2026-06-02")
        assert code == 1, (name, out, err)
        assert "retraction-target" in err and "an erasure cannot be retracted" in err, err
        assert NAME not in err  # the refusal names ids, not names
    assert cli(url, "verify")[0] == 0
    code, out, _ = cli(url, "member", "show", "S2")
    assert code == 0 and f"{ERASED} on 2026-06-01 (#10)" in out


def test_a_batch_cannot_retract_its_own_erasure(book: Book) -> None:
    ledger = Ledger(book.store, user="clerk", today=lambda: dt.date(2026, 6, 1))
    lines = [
        admit("S2", "2015-01-10", name=NAME, id="a"),
        {"type": "member.resigned", "date": "2016-03-01", "member": "S2", "id": "b"},
        {"type": "identity.erased", "date": "2026-06-01", "member": "S2", "reason": "request", "id": "c"},
        {"type": "entry.retracted", "date": "2026-06-01", "entry": "c", "reason": "a mistake"},
    ]
    batch = [(decode_input(msgspec.json.encode(line)), Source("t", n)) for n, line in enumerate(lines, 1)]
    with pytest.raises(Refused) as refused:
        ledger.record(batch)
    assert [r.rule for r in refused.value.refusals] == ["retraction-target"]
    assert book.store.head() is None  # all or nothing
    ledger.record(batch[:3])
    with pytest.raises(Refused, match="an erasure cannot be retracted"):
        ledger.record(batch[3:])


# -- [erased] and [not held] ------------------------------------------------------------------


def test_views_say_erased_or_not_held(shared_db_url: str, tmp_path: Path) -> None:
    url = shared_db_url
    imported(url, tmp_path)
    assert cli(url, "member", "forget", "S2", "--reason", "request", today="2026-06-01")[0] == 0
    pseudonymous = tmp_path / "pseudonymous.jsonl"
    assert cli(url, "export", "--without-personal-data", str(pseudonymous))[0] == 0
    other = url.replace("ledger.db", "other.db") if url.startswith("sqlite") else url + "x"
    try:
        assert cli(other, "init")[0] == 0
        code, _, err = cli(other, "import", str(pseudonymous))
        assert code == 0, err
        for ledger, s1 in ((url, KEPT), (other, NOT_HELD)):
            # the register, as CSV and as JSON
            code, out, err = cli(ledger, "register", "--as-of", "2015-12-31", "--format", "csv")
            assert code == 0, err
            assert f"S1,{s1},A,1," in out and f"S2,{ERASED},A,3," in out, out
            rows = json.loads(cli(ledger, "register", "--as-of", "2015-12-31", "--format", "json")[1])
            assert {row["member"]: row["name"] for row in rows} == {"S1": s1, "S2": ERASED}
            # one member's entries, and everything held about them
            assert f"name={ERASED}" in cli(ledger, "history", "S2")[1]
            assert f"name={s1}" in cli(ledger, "history", "S1")[1]
            assert f"{ERASED} on 2026-06-01" in cli(ledger, "member", "show", "S2")[1]
            shown = cli(ledger, "member", "show", "S1")[1]
            assert (f"  {NOT_HELD}" in shown) == (s1 == NOT_HELD) and ERASED not in shown
            # the log, and the board of 2016 (P9, an outsider: never erased)
            log = cli(ledger, "log", "--type", "member.admitted")[1]
            assert f"name={s1}" in log and f"name={ERASED}" in log
            board = cli(ledger, "board", "--as-of", "2016-01-01", "--format", "csv")[1]
            assert ("P9," + (OUTSIDER if ledger == url else NOT_HELD)) in board, board
        assert cli(other, "verify")[0] == 0
    finally:
        if not url.startswith("sqlite"):
            database = parse_database(other)
            with connect(database.eventsourcing_env) as conn:
                conn.execute(f'DROP SCHEMA IF EXISTS "{database.schema}" CASCADE')


# -- COOPLEDGER_TODAY is today for `member forget` ---------------------------------------------


def test_forget_takes_coopledger_today_as_today(shared_db_url: str, tmp_path: Path) -> None:
    url = shared_db_url
    imported(url, tmp_path)
    # S2 left in 2016: erasable from 2024-01-01, long past by the computer's clock.
    code, _, err = cli(url, "member", "forget", "S2", "--reason", "request", today="2023-12-31")
    assert code == 1 and "identity-erasure" in err and "erasure possible from 2024-01-01" in err, err
    code, out, err = cli(url, "member", "forget", "S2", "--reason", "request", today="2024-01-01")
    assert code == 0 and "identity.erased S2 2024-01-01" in out, err
    # S3 left in 2025: erasable from 2033-01-01, years ahead by the computer's clock.
    code, _, err = cli(url, "member", "forget", "S3", "--reason", "request")
    assert code == 1 and "erasure possible from 2033-01-01" in err, err
    code, _, err = cli(url, "member", "forget", "S3", "--reason", "request", today="2032-12-31")
    assert code == 1 and "erasure possible from 2033-01-01" in err, err
    code, out, err = cli(url, "member", "forget", "S3", "--reason", "request", today="2033-01-01")
    assert code == 0 and "identity.erased S3 2033-01-01" in out, err
    assert f"{ERASED} on 2033-01-01" in cli(url, "member", "show", "S3")[1]
    assert cli(url, "verify")[0] == 0
