"""`log` and `history` on an 80-column terminal (sibling of issue 9.10): the table fits, readably.

Before, every column was cut to a few characters (`2025-…  assem…  assemb…  demo-…`). Now the
bookkeeping columns are left out first (and named below the table), the seq, date and type are
whole, and an entry's details wrap onto more lines instead of being cut: nothing of them is lost.
Real commands on a pseudo-terminal whose width is COLUMNS, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import csv
import io
import os
import pty
import re
import subprocess
import sys

import pytest

from tests.conftest import ROOT, run_cli

DEMO = str(ROOT / "examples" / "demo.jsonl")
TODAY = {"COOPLEDGER_TODAY": "2025-12-31"}


@pytest.fixture
def url(shared_db_url: str) -> str:
    assert run_cli("import", DEMO, db=shared_db_url).returncode == 0
    return shared_db_url


def on_terminal(*args: str, db: str, columns: int) -> tuple[int, str]:
    """Run `coopledger` with stdin and stdout on a pseudo-terminal `columns` wide; its exit code
    and what the terminal showed."""
    master, slave = pty.openpty()
    env = {**os.environ, **TODAY, "COLUMNS": str(columns), "LINES": "500", "TERM": "xterm"}
    process = subprocess.Popen(
        [sys.executable, "-m", "coopledger.commands", "--db", db, *args],
        stdin=slave,
        stdout=slave,
        stderr=subprocess.PIPE,
        cwd=ROOT,
        env=env,
    )
    os.close(slave)
    out = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    os.close(master)
    return process.wait(timeout=60), out.decode().replace("\r\n", "\n")


def parse(text: str, title: str) -> tuple[list[str], list[dict[str, str]], list[str]]:
    """A table as printed: its columns, its rows (a row's continuation lines joined), and the
    lines after it."""
    lines = text[text.index(title) :].splitlines()
    header, dashes = lines[1], lines[2]
    spans = [(m.start(), m.end()) for m in re.finditer(r"-+", dashes)]
    columns = [header[a:b].strip() for a, b in spans]
    rows: list[dict[str, str]] = []
    end = 3
    for line in lines[3:]:
        if not line or line.startswith("("):
            break
        cells = [line[a : b if i < len(spans) - 1 else None].strip() for i, (a, b) in enumerate(spans)]
        if cells[0]:
            rows.append(dict(zip(columns, cells, strict=True)))
        else:  # a continuation line: the wrapped details go on
            assert all(not c for c, name in zip(cells, columns, strict=True) if name != "details"), line
            rows[-1]["details"] += " " + cells[columns.index("details")]
        end += 1
    return columns, rows, lines[end:]


def whole(db: str, *args: str) -> dict[str, dict[str, str]]:
    """The same entries, from --format csv (never fitted), by seq."""
    done = run_cli(*args, "--format", "csv", db=db, env=TODAY)
    assert done.returncode == 0, done.stderr.decode()
    return {row["seq"]: row for row in csv.DictReader(io.StringIO(done.stdout.decode()))}


def test_log_fits_80_columns_readably(url: str) -> None:
    code, text = on_terminal("log", "--no-pager", db=url, columns=80)
    assert code == 0
    assert text.startswith("Log: 53 entries\n")
    assert max(len(line) for line in text.splitlines()) <= 80
    columns, rows, after = parse(text, "Log: 53 entries")
    assert columns == ["seq", "date", "type", "details"]  # retracted: empty, so left out silently
    assert after == ["(left out to fit: id, recorded, by, ref, note; --format csv|json has them)"]
    entries = whole(url, "log")
    assert [r["seq"] for r in rows] == list(entries)
    for row in rows:
        entry = entries[row["seq"]]
        assert (row["date"], row["type"], row["details"]) == (entry["date"], entry["type"], entry["details"])
    assert "\u2026" not in text  # nothing cut


def test_history_fits_80_columns_and_keeps_the_retraction(url: str) -> None:
    assert run_cli("retract", "demo-053", "--reason", "notice never sent", db=url, env=TODAY).returncode == 0
    code, text = on_terminal("history", "M12", "--no-pager", db=url, columns=80)
    assert code == 0
    assert max(len(line) for line in text.splitlines()) <= 80
    columns, rows, after = parse(text, "History of M12")
    assert columns == ["seq", "date", "type", "details", "retracted"]
    assert after[0] == "(left out to fit: id, recorded, by, ref; --format csv|json has them)"  # no note: none
    entries = whole(url, "history", "M12")
    assert {r["seq"]: r["details"] for r in rows} == {s: e["details"] for s, e in entries.items()}
    assert [r["retracted"] for r in rows if r["seq"] == "53"] == ["by #54"]


def test_a_wide_terminal_or_a_pipe_shows_every_column(url: str) -> None:
    code, text = on_terminal("log", "-n", "3", "--no-pager", db=url, columns=250)
    assert code == 0 and "left out" not in text
    columns, rows, _ = parse(text, "Log: 3 entries")
    assert columns == ["seq", "date", "type", "details", "id", "recorded", "by", "ref", "note", "retracted"]
    assert [r["seq"] for r in rows] == ["51", "52", "53"]
    piped = run_cli("log", "-n", "3", db=url, env={**TODAY, "COLUMNS": "80"})
    assert piped.returncode == 0 and b"left out" not in piped.stdout and b"recorded" in piped.stdout
