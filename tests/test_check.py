"""`check` reports every problem in one run, and journal assertions pin the register's figures
(issue 13.5): a batch after which the register disagrees with one is refused whole; `check` and
`verify` report any that fails. The commands run for real, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from coopledger.ledger.application import Ledger
from coopledger.ledger.database import parse_database
from coopledger.ledger.errors import Source
from coopledger.ledger.events import decode
from coopledger.ledger.store import Store
from tests.conftest import ROOT, run_cli

DEMO = ROOT / "examples" / "demo.jsonl"
TODAY = {"COOPLEDGER_TODAY": "2025-12-31"}
# The demo's register at the end of 2025: 11 members, 16 shares of category A, 33 in all.
PIN = {"type": "assert.members", "date": "2025-12-31", "count": 11, "id": "pin-2025"}
PIN_A = {"type": "assert.shares", "date": "2025-12-31", "count": 16, "category": "A", "id": "pin-2025-A"}
PIN_ALL = {"type": "assert.shares", "date": "2025-12-31", "count": 33, "id": "pin-2025-shares"}
BACKDATED = {
    "type": "member.admitted",
    "date": "2025-06-01",
    "member": "Z1",
    "name": "Zed",
    "category": "A",
    "shares": 1,
}


def cli(*args: str, db: str) -> subprocess.CompletedProcess[bytes]:
    return run_cli(*args, db=db, env=TODAY)


def journal(path: Path, *lines: dict[str, Any]) -> str:
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    return str(path)


@pytest.fixture
def url(shared_db_url: str) -> str:
    done = cli("import", str(DEMO), db=shared_db_url)
    assert done.returncode == 0, done.stderr
    return shared_db_url


def head(url: str) -> int:
    return len(cli("export", db=url).stdout.splitlines())


def problems(url: str, *args: str) -> tuple[int, list[dict[str, Any]]]:
    done = cli("check", "--format", "json", *args, db=url)
    return done.returncode, json.loads(done.stdout)


def test_check_lists_three_planted_problems_with_rule_entry_and_date(url: str, tmp_path: Path) -> None:
    assert problems(url, "--as-of", "2025-12-31") == (0, [])
    planted = journal(
        tmp_path / "planted.jsonl",
        {"type": "statutes.amended", "date": "2025-01-01", "parameter": "outsiders_allowed", "value": True},
        {
            "type": "mandate.coopted",
            "date": "2025-07-01",
            "person": "M02",
            "until": "2029-06-17",
            "id": "coopt",
        },
        {"type": "assembly.convened", "date": "2025-11-15", "assembly": "AGX", "kind": "extraordinary"},
        {"type": "member.left", "date": "2025-08-14", "member": "M06", "reason": "death", "id": "gone"},
        {
            "type": "mandate.coopted",
            "date": "2025-09-01",
            "person": "X9",
            "name": "Outsider",
            "until": "2026-06-30",
            "id": "outside",
        },
        {"type": "mandate.confirmed", "date": "2025-11-15", "person": "X9", "assembly": "AGX"},
        {"type": "mandate.confirmed", "date": "2025-11-15", "person": "M13", "assembly": "AGX"},  # the demo's
    )
    done = cli("import", planted, db=url)
    assert done.returncode == 0, done.stderr
    code, found = problems(url, "--as-of", "2025-12-31")
    assert code == 1
    assert [(p["rule"], p["date"], p["entry"], p["person"], p["body"]) for p in found] == [
        ("cooptation-overdue", "2025-07-01", "coopt", "M02", "board"),
        ("holder-not-member", "2025-08-14", "gone", "M06", "board"),
        ("holder-not-member", "2025-09-01", "outside", "X9", "board"),
    ]
    assert all(isinstance(p["seq"], int) and p["detail"] for p in found)
    # before the assembly that should have confirmed it, and before the exit: nothing yet
    assert problems(url, "--as-of", "2025-07-31") == (0, [])
    table = cli("check", "--as-of", "2025-12-31", db=url)
    assert table.returncode == 1 and table.stdout.startswith(b"Problems as of 2025-12-31: 3\n")


def test_an_assertion_that_fails_is_refused_naming_its_line_and_nothing_is_written(
    url: str, tmp_path: Path
) -> None:
    before = head(url)
    wrong = {**PIN, "count": 12}
    done = cli("import", journal(tmp_path / "pin.jsonl", PIN_A, wrong), db=url)
    assert done.returncode == 1
    assert done.stderr.decode() == (
        "coopledger: refused: line 2: assert.members 2025-12-31 (pin-2025): assert.members: "
        "12 members asserted on 2025-12-31, the register holds 11\n"
    )
    assert head(url) == before  # not even line 1
    dry = cli("import", "--dry-run", journal(tmp_path / "pin.jsonl", wrong), db=url)
    assert dry.returncode == 1 and b"assert.members: 12 members asserted" in dry.stderr


def test_a_batch_reaching_back_before_an_assertion_is_refused_until_it_is_retracted(
    url: str, tmp_path: Path
) -> None:
    pins = journal(tmp_path / "pins.jsonl", PIN, PIN_A, PIN_ALL)
    assert cli("import", pins, db=url).returncode == 0
    assert cli("import", pins, db=url).stdout.startswith(f"{pins}: 0 entries added, 3 already".encode())
    before = head(url)
    later = {**BACKDATED, "date": "2026-01-05"}  # after the pinned date: nothing to say
    done = cli("import", journal(tmp_path / "mixed.jsonl", later, {**BACKDATED, "member": "Z2"}), db=url)
    assert done.returncode == 1
    assert done.stderr.decode().splitlines() == [
        "coopledger: refused: line 2: member.admitted Z2 2025-06-01: would break recorded entry "
        "assert.members 2025-12-31 (#54): assert.members: 11 members asserted on 2025-12-31, "
        "the register holds 12",
        "coopledger: refused: line 2: member.admitted Z2 2025-06-01: would break recorded entry "
        "assert.shares A 2025-12-31 (#55): assert.shares: 16 shares of category A asserted on "
        "2025-12-31, the register holds 17",
        "coopledger: refused: line 2: member.admitted Z2 2025-06-01: would break recorded entry "
        "assert.shares 2025-12-31 (#56): assert.shares: 33 shares asserted on 2025-12-31, "
        "the register holds 34",
    ]
    assert head(url) == before
    # a retraction dated today reaches back to the date of what it withdraws
    retract = cli("retract", "demo-032", "--reason", "never paid out", db=url)  # M05's 2 B shares
    assert retract.returncode == 1
    assert retract.stderr.decode() == (
        "coopledger: refused: entry.retracted 2025-12-31: would break recorded entry assert.shares "
        "2025-12-31 (#56): assert.shares: 33 shares asserted on 2025-12-31, the register holds 35\n"
    )
    assert cli("verify", db=url).returncode == 0
    # withdrawing the signed figure and pinning the corrected one, in one file, goes through
    correction = journal(
        tmp_path / "correction.jsonl",
        {"type": "entry.retracted", "date": "2026-01-10", "entry": "pin-2025", "reason": "late admission"},
        {"type": "entry.retracted", "date": "2026-01-10", "entry": "pin-2025-A", "reason": "late admission"},
        {"type": "entry.retracted", "date": "2026-01-10", "entry": "pin-2025-shares", "reason": "idem"},
        BACKDATED,
        {**PIN, "count": 12, "id": "pin-2025-bis"},
    )
    done = cli("import", correction, db=url)
    assert done.returncode == 0, done.stderr
    verified = cli("verify", db=url)
    assert verified.returncode == 0 and b"journal assertions (1 held): ok" in verified.stdout
    assert problems(url, "--as-of", "2025-12-31") == (0, [])


def test_check_and_verify_report_an_assertion_written_without_the_read_models(url: str) -> None:
    """The library's `Ledger` alone (no read models to check against) records a false assertion;
    the commands, which read the register, report it."""
    store = Store(parse_database(url))
    try:
        Ledger(store, user="clerk").record([(decode(json.dumps({**PIN, "count": 40})), Source("lib"))])
    finally:
        store.close()
    code, found = problems(url)
    assert code == 1
    assert found == [
        {
            "rule": "assert.members",
            "date": "2025-12-31",
            "entry": "pin-2025",
            "seq": 54,
            "person": "",
            "body": "",
            "detail": "40 members asserted on 2025-12-31, the register holds 11",
        }
    ]
    verified = cli("verify", db=url)
    assert verified.returncode == 1
    assert b"journal assertions (0 held): BROKEN" in verified.stdout
    assert b"assert.members 2025-12-31 (#54): 40 members asserted" in verified.stderr
    assert b"first entry that differs: #54" in verified.stderr
