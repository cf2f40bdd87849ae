"""Governance on the command line, in a real subprocess: friendly entry, participation files, views."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, run_cli


@pytest.fixture
def url(shared_db_url: str, tmp_path: Path) -> str:
    """A cooperative of six members (S1..S6) with a board of three seats."""
    journal = tmp_path / "founding.jsonl"
    lines = [{"type": "body.seats", "date": "2024-01-10", "count": 3}] + [
        {"type": "member.admitted", "date": "2024-01-10", "member": f"S{i}", "name": f"Member {i}"}
        | {"category": "A", "shares": 1}
        for i in range(1, 7)
    ]
    journal.write_text("".join(json.dumps(line) + "\n" for line in lines))
    assert run_cli("import", str(journal), db=shared_db_url).returncode == 0
    return shared_db_url


def ok(*args: str, db: str) -> str:
    done = run_cli(*args, db=db)
    assert done.returncode == 0, done.stderr.decode()
    return done.stdout.decode()


def test_an_assembly_recorded_with_the_friendly_commands(url: str, tmp_path: Path) -> None:
    ok("assembly", "convene", "AG2025", "--date", "2025-06-17", db=url)
    voters = tmp_path / "voters.csv"
    voters.write_text("member,proxy\nS2,S1\nS1,\nS3\nS4\n")  # a proxy listed before its holder
    assert ok("assembly", "vote", "AG2025", "--from-file", str(voters), db=url).strip() == (
        "AG2025: 4 took part (3 in person, 1 by proxy)"
    )
    ok("assembly", "vote", "AG2025", "S5", db=url)  # dated on the assembly's day by default
    ok(
        "assembly",
        "decide",
        "AG2025",
        "R1",
        "--title",
        "Accounts 2024",
        "--for",
        "4",
        "--against",
        "1",
        db=url,
    )
    ok("assembly", "decide", "AG2025", "R2", "--title", "Statutes", "--for", "3", "--against", "2", db=url)
    ok(
        "assembly",
        "allocate",
        "AG2025",
        "--year",
        "2024",
        "--reserves",
        "900.00",
        "--dividend-rate",
        "1.5",
        db=url,
    )
    data = json.loads(ok("assembly", "show", "AG2025", "--format", "json", db=url))
    assert {k: data[k] for k in ("date", "voters", "in_person", "by_proxy", "members_on_date")} == {
        "date": "2025-06-17",
        "voters": 5,
        "in_person": 4,
        "by_proxy": 1,
        "members_on_date": 6,
    }
    assert [(r["resolution"], r["for"], r["outcome"]) for r in data["resolutions"]] == [
        ("R1", 4, "adopted"),
        ("R2", 3, "adopted"),
    ]
    assert data["allocation"] == {"year": 2024, "reserves": "900.00", "dividend_rate": "1.50"}
    table = ok("assembly", "show", "AG2025", db=url)
    assert "Participation: 5 of 6 members (83.33 %): 4 in person, 1 by proxy" in table
    rows = list(csv.DictReader(io.StringIO(ok("assemblies", "--year", "2025", "--format", "csv", db=url))))
    assert [(r["assembly"], r["voters"], r["resolutions"], r["adopted"]) for r in rows] == [
        ("AG2025", "5", "2", "2")
    ]
    missing = run_cli("assembly", "show", "AG1999", db=url)
    assert missing.returncode == 1 and b"no assembly 'AG1999' was convened" in missing.stderr


def test_a_participation_file_lists_every_refused_line_and_writes_nothing(url: str, tmp_path: Path) -> None:
    ok("assembly", "convene", "AG2025", "--date", "2025-06-17", db=url)
    before = ok("log", "--format", "csv", db=url)
    voters = tmp_path / "voters.csv"
    voters.write_text("member,proxy\nS1,\nS9,\nS1,\nS2,S1\nS3,S1\nS4,S7\nS5,S6\n")
    done = run_cli("assembly", "vote", "AG2025", "--from-file", str(voters), db=url)
    assert done.returncode == 1
    refused = done.stderr.decode().strip().splitlines()
    assert [line.split(": ")[2] for line in refused] == [f"line {n}" for n in (3, 4, 6, 7, 8)]
    rules = ["voter-is-member", "votes-once", "proxy-limit", "proxy-holder", "proxy-holder"]
    assert [line.split(": ")[4] for line in refused] == rules
    assert "S9 is not a member on 2025-06-17" in refused[0]
    assert ok("log", "--format", "csv", db=url) == before  # nothing written


def test_a_plain_column_of_member_ids_and_unreadable_files(url: str, tmp_path: Path) -> None:
    ok("assembly", "convene", "AG2025", "--date", "2025-06-17", db=url)
    plain = tmp_path / "plain.csv"
    plain.write_text("S1\nS2\n\nS3\n")
    assert "3 took part (3 in person, 0 by proxy)" in ok(
        "assembly", "vote", "AG2025", "--from-file", str(plain), db=url
    )
    bad = tmp_path / "bad.csv"
    bad.write_text("S4,S5\n ,S1\n")
    done = run_cli("assembly", "vote", "AG2025", "--from-file", str(bad), db=url)
    assert done.returncode == 2 and b"2 unreadable lines" in done.stderr and b"line 2:" in done.stderr
    header = tmp_path / "header.csv"
    header.write_text("member,weight\nS4,2\n")
    assert run_cli("assembly", "vote", "AG2025", "--from-file", str(header), db=url).returncode == 2


def test_a_year_of_the_board_with_a_cooptation(url: str) -> None:
    ok("assembly", "convene", "AG2025", "--date", "2025-06-17", db=url)
    ok("mandate", "elect", "S1", "--until", "2029-06-17", "--assembly", "AG2025", "--name", "Ada", db=url)
    ok("mandate", "elect", "S2", "--until", "2026-06-16", "--assembly", "AG2025", db=url)
    ok("mandate", "resign", "S1", "--date", "2025-09-01", db=url)
    ok("mandate", "coopt", "S3", "--replaces", "S1", "--date", "2025-10-01", db=url)
    rows = list(csv.DictReader(io.StringIO(ok("board", "--as-of", "2025-12-31", "--format", "csv", db=url))))
    assert [(r["person"], r["name"], r["how"], r["until"]) for r in rows] == [
        ("S2", "Member 2", "elected", "2026-06-16"),
        ("S3", "Member 3", "coopted, not confirmed", "2029-06-17"),
        ("", "", "vacant", ""),
    ]
    ok("assembly", "convene", "AG2026", "--date", "2026-06-16", db=url)
    late = ok("board", "--as-of", "2026-06-30", db=url)
    assert "S3: cooptation not confirmed at AG2026, the next assembly" in late
    assert "board as of 2026-06-30: 3 seats, 1 held, 2 vacant" in late  # S2's mandate ended on 2026-06-16
    ok("mandate", "confirm", "S3", "--assembly", "AG2026", db=url)
    data = json.loads(ok("board", "--as-of", "2026-06-30", "--format", "json", db=url))
    assert [(h["person"], h["how"], h["assembly"]) for h in data["holders"]] == [
        ("S3", "coopted, confirmed", "AG2026")
    ]
    assert data["flags"] == [] and data["vacant"] == 2
    known = json.loads(ok("board", "--as-of", "2025-06-17", "--format", "json", db=url))
    assert known["ending_within_12_months"] == ["S2"]


def test_mandate_refusals_name_the_rule_and_exit_1(url: str) -> None:
    ok("assembly", "convene", "AG2025", "--date", "2025-06-17", db=url)
    done = run_cli("mandate", "elect", "S1", "--until", "2030-01-01", "--assembly", "AG2025", db=url)
    assert done.returncode == 1
    assert done.stderr.decode().strip() == (
        "coopledger: refused: mandate.elected board 2025-06-17: mandate-term: "
        "the mandate would end on 2030-01-01, after 2029-06-17 (4 years at most)"
    )
    bad_date = run_cli("mandate", "elect", "S1", "--until", "someday", "--assembly", "AG2025", db=url)
    assert bad_date.returncode == 2 and b"--until" in bad_date.stderr


@pytest.mark.parametrize(
    "command",
    [
        ["assembly", "convene"],
        ["assembly", "vote"],
        ["assembly", "decide"],
        ["assembly", "allocate"],
        ["assembly", "show"],
        ["assemblies"],
        ["board"],
        *(["mandate", name] for name in ("elect", "renew", "coopt", "confirm", "reject", "resign", "revoke")),
    ],
)
def test_every_governance_command_has_help_with_an_example(command: list[str]) -> None:
    done = run_cli(*command, "--help")
    assert done.returncode == 0 and b"Example" in done.stdout


def test_the_worked_example_of_the_governance_guide_gives_its_output(tmp_path: Path) -> None:
    """docs/governance.md shows real command lines and their real output: replay them in order."""
    text = (ROOT / "docs" / "governance.md").read_text(encoding="utf-8")
    for name, content in re.findall(r"^```\w* file=(\S+)\n(.*?)^```", text, re.MULTILINE | re.DOTALL):
        (tmp_path / name).write_text(content, encoding="utf-8")
    env = {**os.environ, "COOPLEDGER_DB": "sqlite:///coop.db"}  # in tmp_path, the working folder
    sessions = re.findall(r"^```console\n(.*?)^```", text, re.MULTILINE | re.DOTALL)
    steps = [step for session in sessions for step in session.split("$ ")[1:]]
    assert len(steps) > 20
    for step in steps:
        command, _, expected = step.partition("\n")
        done = subprocess.run(
            [sys.executable, "-m", "coopledger.commands", *shlex.split(command)[1:]],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
        )
        seconds = re.compile(r"\(\d+\.\d\d s\)")
        assert (
            seconds.sub("(s)", done.stdout + done.stderr).strip() == seconds.sub("(s)", expected).strip()
        ), command
