"""Importing the same file again adds nothing, with or without ids (issue 13.2).

An entry without id is found again by its content: the k-th line of a file with content
digest D is already present when the ledger holds at least k entries with digest D. Identical
lines of one file stay distinct (two payments of 25.00 on one day are two payments); a second
file that repeats a line of the first gets that line reported as already present.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from click.testing import CliRunner, Result

from coopledger.commands.main import cli
from coopledger.ledger.database import parse_database
from coopledger.ledger.store import Store
from tests.conftest import ROOT

ADMIT = (
    '{"type": "member.admitted", "date": "2024-01-08", "member": "M1", "name": "Anne Dupont", '
    '"category": "A", "shares": 4}'
)
ADMIT_2 = (
    '{"type": "member.admitted", "date": "2024-01-08", "member": "M2", "name": "Koen De Smet", '
    '"category": "A", "shares": 2}'
)
PAY = '{"type": "shares.paid", "date": "2024-02-01", "member": "M1", "amount": "25.00"}'
PAY_2 = '{"type": "shares.paid", "date": "2024-02-01", "member": "M2", "amount": "25.00"}'
MIGRATION = ROOT / "examples" / "migration"


def run(url: str, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--db", url, *args])


def imported(url: str, path: Path, *options: str) -> str:
    result = run(url, "import", str(path), *options)
    assert result.exit_code == 0, result.output
    return result.output


def journal(tmp_path: Path, name: str, *lines: str) -> Path:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n")
    return path


def payments(url: str) -> int:
    store = Store(parse_database(url))
    try:
        return sum(1 for entry in store.entries() if entry.type == "shares.paid")
    finally:
        store.close()


def test_jsonl_without_ids_imports_again_adding_nothing(shared_db_url: str, tmp_path: Path) -> None:
    path = journal(tmp_path, "first.jsonl", ADMIT, ADMIT_2, PAY, PAY_2)
    assert "4 entries added, 0 already present (" in imported(shared_db_url, path)
    again = imported(shared_db_url, path)
    assert "0 entries added, 4 already present (4 without id, matched by content: lines 1, 2, 3, 4)" in again
    assert payments(shared_db_url) == 2


def test_spreadsheet_imports_again_adding_nothing(shared_db_url: str) -> None:
    sheet, mapping = MIGRATION / "register-export.csv", MIGRATION / "register-map.toml"
    first = imported(shared_db_url, sheet, "--map", str(mapping))
    added = int(first.split(": ", 1)[1].split(" ")[0])
    assert added > 0 and ", 0 already present (" in first
    again = imported(shared_db_url, sheet, "--map", str(mapping))
    assert f"0 entries added, {added} already present ({added} without id, matched by content: rows " in again
    rows = again.split("rows ", 1)[1].split(")", 1)[0].split(", ")
    assert rows[:2] == ["2", "3"] and len(rows) <= 6  # one mention per row, a few then "…"


def test_identical_lines_of_one_file_are_distinct_entries(shared_db_url: str, tmp_path: Path) -> None:
    path = journal(tmp_path, "two.jsonl", ADMIT, PAY, PAY)
    assert "3 entries added" in imported(shared_db_url, path)
    assert payments(shared_db_url) == 2
    assert "0 entries added, 3 already present" in imported(shared_db_url, path)
    assert payments(shared_db_url) == 2


def test_a_file_with_one_more_identical_line_adds_it(shared_db_url: str, tmp_path: Path) -> None:
    imported(shared_db_url, journal(tmp_path, "two.jsonl", ADMIT, PAY, PAY))
    three = journal(tmp_path, "three.jsonl", ADMIT, PAY, PAY, PAY)
    output = imported(shared_db_url, three)
    assert "1 entry added, 3 already present (3 without id, matched by content: lines 1, 2, 3)" in output
    assert payments(shared_db_url) == 3
    assert "0 entries added, 4 already present" in imported(shared_db_url, three)


def test_a_second_file_repeating_a_line_of_the_first_reports_it(shared_db_url: str, tmp_path: Path) -> None:
    imported(shared_db_url, journal(tmp_path, "january.jsonl", ADMIT, ADMIT_2, PAY))
    later = '{"type": "shares.paid", "date": "2024-03-01", "member": "M2", "amount": "25.00"}'
    february = journal(tmp_path, "february.jsonl", PAY_2, later, PAY)
    output = imported(shared_db_url, february)
    assert "2 entries added, 1 already present (1 without id, matched by content: line 3)" in output


def test_an_entry_with_id_matches_the_same_content_without(shared_db_url: str, tmp_path: Path) -> None:
    """Content is matched whatever the id of the recorded entry: an export's line read back
    without its id is the entry it came from."""
    with_id = PAY.replace('{"type"', '{"id": "BANK-1", "type"')
    imported(shared_db_url, journal(tmp_path, "bank.jsonl", ADMIT, with_id))
    output = imported(shared_db_url, journal(tmp_path, "again.jsonl", PAY))
    assert "0 entries added, 1 already present (1 without id, matched by content: line 1)" in output


def test_a_transfer_without_paid_up_imports_again(shared_db_url: str, tmp_path: Path) -> None:
    transfer = '{"type": "shares.transferred", "date": "2024-03-01", "member": "M1", "to": "M2", "count": 1}'
    full = '{"type": "shares.paid", "date": "2024-02-01", "member": "M1", "amount": "100.00"}'
    path = journal(tmp_path, "transfer.jsonl", ADMIT, ADMIT_2, full, transfer)
    assert "4 entries added" in imported(shared_db_url, path)
    assert "0 entries added, 4 already present" in imported(shared_db_url, path)


def test_a_different_name_is_not_the_same_admission(shared_db_url: str, tmp_path: Path) -> None:
    """The content digest leaves the identity out; it is compared apart, as for an id: another
    name is another entry, here refused, never dropped as present."""
    imported(shared_db_url, journal(tmp_path, "first.jsonl", ADMIT))
    other = journal(tmp_path, "other.jsonl", ADMIT.replace("Anne Dupont", "Anne Martin"))
    result = run(shared_db_url, "import", str(other))
    assert result.exit_code == 1, result.output
    assert "member-id-once" in result.output


def test_an_older_ledger_gets_the_digest_index(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    imported(url, journal(tmp_path, "first.jsonl", ADMIT, PAY))
    with sqlite3.connect(tmp_path / "old.db") as conn:
        conn.execute("DROP INDEX coop_entries_digest")
    assert "0 entries added, 2 already present" in imported(url, journal(tmp_path, "again.jsonl", ADMIT, PAY))
    with sqlite3.connect(tmp_path / "old.db") as conn:
        plan = conn.execute("EXPLAIN QUERY PLAN SELECT seq FROM coop_entries WHERE digest = 'x'").fetchall()
    assert "coop_entries_digest" in str(plan)


def test_an_erased_identity_stays_erased_on_a_second_import(shared_db_url: str, tmp_path: Path) -> None:
    admit = ADMIT.replace("2024-01-08", "2015-01-10")
    resign = '{"type": "member.resigned", "date": "2016-03-01", "member": "M1"}'
    path = journal(tmp_path, "old.jsonl", admit, resign)
    imported(shared_db_url, path)
    forget = ["member", "forget", "M1", "--reason", "request"]
    done = CliRunner().invoke(cli, ["--db", shared_db_url, *forget], env={"COOPLEDGER_TODAY": "2026-06-01"})
    assert done.exit_code == 0, done.output
    output = imported(shared_db_url, path)
    assert "0 entries added, 2 already present (2 without id, matched by content: lines 1, 2)" in output
    assert "personal data of 1 entry not restored" in output and "M1" in output
    shown = run(shared_db_url, "member", "show", "M1")
    assert "Anne Dupont" not in shown.output


def test_an_entry_typed_twice_is_recorded_twice(shared_db_url: str, tmp_path: Path) -> None:
    """Only a file is matched by content: a clerk who records a second payment at the command
    line records a second payment."""
    imported(shared_db_url, journal(tmp_path, "first.jsonl", ADMIT))
    pay = ["record", "shares.paid", "--member", "M1", "--amount", "25.00", "--date", "2024-02-01"]
    for _ in range(2):
        done = run(shared_db_url, *pay)
        assert done.exit_code == 0 and "recorded shares.paid" in done.output, done.output
    assert payments(shared_db_url) == 2
