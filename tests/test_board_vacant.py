"""`board` on a big body: the vacant seats are the same rows in the table and the CSV, a row per
seat up to 20 and one row for them all past 20, so a body of 100,000,000 seats prints a few lines
(sibling of issue 9.15, found after 23c2774). Real commands, on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import json
import subprocess
from pathlib import Path

import pytest

from tests.conftest import run_cli

TODAY = {"COOPLEDGER_TODAY": "2025-12-31"}


def cli(*args: str, db: str) -> subprocess.CompletedProcess[bytes]:
    return run_cli(*args, db=db, env=TODAY)


def ok(*args: str, db: str) -> str:
    done = cli(*args, db=db)
    assert done.returncode == 0, done.stderr.decode()
    assert done.stderr == b""
    return done.stdout.decode()


@pytest.fixture
def url(shared_db_url: str, tmp_path: Path) -> str:
    """Three members, a board of 5 seats, two of them held from AG2025."""
    journal = tmp_path / "board.jsonl"
    lines = [{"type": "body.seats", "date": "2025-01-10", "count": 5}] + [
        {"type": "member.admitted", "date": "2025-01-10", "member": f"S{i}", "name": f"Member {i}"}
        | {"category": "A", "shares": 1}
        for i in range(1, 4)
    ]
    journal.write_text("".join(json.dumps(line) + "\n" for line in lines))
    assert run_cli("import", str(journal), db=shared_db_url).returncode == 0
    ok("assembly", "convene", "AG2025", "--date", "2025-06-17", db=shared_db_url)
    for person in ("S1", "S2"):
        ok("mandate", "elect", person, "--until", "2029-06-17", "--assembly", "AG2025", db=shared_db_url)
    return shared_db_url


def seats(count: int, url: str) -> None:
    ok("record", "body.seats", "--date", "2025-09-01", "--count", str(count), db=url)


def board_csv(url: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(ok("board", "--as-of", "2025-12-31", "--format", "csv", db=url))))


def vacant_lines(table: str) -> list[str]:
    return [line.strip() for line in table.splitlines() if line.strip().startswith("vacant")]


def test_a_small_board_has_a_row_per_vacant_seat_in_the_table_and_the_csv(url: str) -> None:
    table = ok("board", "--as-of", "2025-12-31", db=url)
    assert table.startswith("board as of 2025-12-31: 5 seats, 2 held, 3 vacant\n")
    assert vacant_lines(table) == ["vacant"] * 3
    rows = board_csv(url)
    header = ["person", "name", "how", "since", "until", "assembly", "replaces", "seats", "flag"]
    assert list(rows[0]) == header
    assert [(r["person"], r["how"], r["seats"]) for r in rows] == [
        ("S1", "elected", "1"),
        ("S2", "elected", "1"),
        *[("", "vacant", "1")] * 3,
    ]


@pytest.mark.parametrize(("count", "each"), [(22, True), (23, False), (100_000_000, False)])
def test_past_20_vacant_seats_one_row_stands_for_them_all(url: str, count: int, each: bool) -> None:
    seats(count, url)
    vacant = count - 2
    table = ok("board", "--as-of", "2025-12-31", db=url)
    assert table.startswith(f"board as of 2025-12-31: {count} seats, 2 held, {vacant} vacant\n")
    rows = board_csv(url)
    assert sum(int(r["seats"]) for r in rows) == count  # the seats column always adds up to the body
    if each:  # 20 vacant seats: still a row each
        assert vacant_lines(table) == ["vacant"] * vacant
        assert [r["seats"] for r in rows if r["how"] == "vacant"] == ["1"] * vacant
    else:
        assert vacant_lines(table) == [f"vacant ({vacant} seats)"]
        assert [(r["person"], r["how"], r["seats"]) for r in rows[2:]] == [("", "vacant", str(vacant))]
        assert len(table.splitlines()) < 10 and len(rows) == 3
    data = json.loads(ok("board", "--as-of", "2025-12-31", "--format", "json", db=url))
    assert (data["seats"], data["held"], data["vacant"]) == (count, 2, vacant)
    assert all("seats" not in holder for holder in data["holders"])
