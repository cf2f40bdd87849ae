"""The command line in a real subprocess: exit codes, refusals, files, formats, round trips."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from pathlib import Path

import pytest

from coopledger.ledger.database import parse_database
from coopledger.ledger.postgres_recorder import connect
from tests.conftest import ROOT, run_cli

DEMO = ROOT / "examples" / "demo.jsonl"
ADMIT = ["member", "admit", "S1", "--name", "Ada", "--category", "A", "--shares", "2", "--date", "2025-03-02"]


@pytest.fixture
def url(shared_db_url: str) -> str:
    return shared_db_url


def lines(data: bytes) -> list[str]:
    return data.decode().strip().splitlines()


def test_record_then_register_in_every_format(url: str) -> None:
    assert run_cli(*ADMIT, db=url).returncode == 0
    done = run_cli(
        "record",
        "shares.paid",
        "--member",
        "S1",
        "--amount",
        "25.00",
        "--date",
        "2025-03-05",
        "--ref",
        "bank 7",
        db=url,
    )
    assert done.returncode == 0 and b"recorded shares.paid S1 2025-03-05 (#2)" in done.stdout
    rows = list(
        csv.DictReader(
            io.StringIO(
                run_cli("register", "--as-of", "2025-12-31", "--format", "csv", db=url).stdout.decode()
            )
        )
    )
    assert rows == [
        {
            "member": "S1",
            "name": "Ada",
            "category": "A",
            "shares": "2",
            "paid_up": "25.00",
            "admitted": "2025-03-02",
            "founder": "no",
        }
    ]
    data = json.loads(run_cli("register", "--as-of", "2025-12-31", "--format", "json", db=url).stdout)
    assert data[0]["paid_up"] == "25.00" and data[0]["admitted"] == "2025-03-02"
    table = run_cli("register", "--as-of", "2025-03-01", db=url).stdout.decode()
    assert "0 members" in table


def test_a_refusal_exits_1_with_one_line_naming_rule_member_and_date(url: str) -> None:
    run_cli(*ADMIT, db=url)
    result = run_cli("member", "resign", "S1", "--date", "2025-09-01", db=url)
    assert result.returncode == 1
    assert lines(result.stderr) == [
        "coopledger: refused: member.resigned S1 2025-09-01: resignation-window: a member may resign only "
        "in the first 6 months of the fiscal year starting 2025-01-01"
    ]
    assert len(json.loads(run_cli("log", "--format", "json", db=url).stdout)) == 1


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (b'{"type": "member.admitted", "date": "2025-01-01"', b"line 2: "),
        (
            b'{"type": "member.flew", "date": "2025-01-01", "member": "S9"}',
            b"unknown entry type 'member.flew' (did you mean `member.left`?)",
        ),
        (b'{"type": "member.resigned", "date": "2025-01-01"}', b"missing the required field `member`"),
        (
            b'{"type": "member.resigned", "date": "2025-02-30", "member": "S1"}',
            b"expected a date YYYY-MM-DD that exists, got '2025-02-30' - at field `date`",
        ),
        (
            b'{"type": "shares.redeemed", "date": "2025-04-01", "member": "S1", "count": -2}',
            b"expected a whole number of at least 1, got -2 - at field `count`",
        ),
    ],
)
def test_unreadable_input_exits_2_naming_the_line_and_writes_nothing(
    url: str, line: bytes, message: bytes, tmp_path: Path
) -> None:
    journal = tmp_path / "bad.jsonl"
    journal.write_bytes(
        b'{"type": "member.admitted", "date": "2025-01-01", "member": "S1", "name": "A", '
        b'"category": "A", "shares": 1}\n' + line + b"\n"
    )
    result = run_cli("import", str(journal), db=url)
    assert result.returncode == 2
    assert b"line 2: " in result.stderr and message in result.stderr
    assert json.loads(run_cli("log", "--format", "json", db=url).stdout) == []


def test_a_refused_line_refuses_the_whole_file(url: str, tmp_path: Path) -> None:
    journal = tmp_path / "j.jsonl"
    journal.write_bytes(
        DEMO.read_bytes() + b'{"type": "member.resigned", "date": "2025-09-01", "member": "M01"}\n'
    )
    result = run_cli("import", str(journal), db=url)
    assert result.returncode == 1
    assert b"line 54: member.resigned M01 2025-09-01: resignation-window" in result.stderr
    assert json.loads(run_cli("log", "--format", "json", db=url).stdout) == []


def test_import_is_idempotent_and_reads_stdin(url: str) -> None:
    first = run_cli("import", "-", db=url, input=DEMO.read_bytes())
    assert first.returncode == 0 and b"53 entries added, 0 already present" in first.stdout
    again = run_cli("import", str(DEMO), db=url)
    assert b"0 entries added, 53 already present" in again.stdout


def test_export_imports_into_an_empty_ledger_with_the_same_register(url: str, tmp_path: Path) -> None:
    run_cli("import", str(DEMO), db=url)
    assert (
        run_cli("retract", "demo-017", "--reason", "wrong address", "--date", "2025-12-01", db=url).returncode
        == 0
    )
    refused = run_cli("retract", "demo-020", "--reason", "test", "--date", "2025-12-01", db=url)
    assert refused.returncode == 1 and b"would break recorded entry" in refused.stderr
    exported = run_cli("export", db=url).stdout
    first = [json.loads(line) for line in lines(exported)]
    assert all({"seq", "recorded", "hash", "id"} <= set(entry) for entry in first)
    copy = f"sqlite:///{tmp_path / 'copy.db'}"
    assert run_cli("import", "-", db=copy, input=exported).returncode == 0
    for day in ("2024-06-30", "2025-12-31"):
        args = ("register", "--as-of", day, "--all", "--format", "csv")
        assert run_cli(*args, db=url).stdout == run_cli(*args, db=copy).stdout
    again = run_cli("import", "-", db=url, input=exported)
    assert b"0 entries added, 54 already present" in again.stdout


def test_history_log_and_verify(url: str) -> None:
    run_cli("import", str(DEMO), db=url)
    history = json.loads(run_cli("history", "M04", "--format", "json", db=url).stdout)
    assert history[0]["type"] == "member.admitted"
    assert history[-1]["type"] == "member.resigned"
    admitted = json.loads(run_cli("log", "--type", "member.admitted", "--format", "json", db=url).stdout)
    assert admitted and {e["type"] for e in admitted} == {"member.admitted"}
    shares = json.loads(run_cli("log", "--type", "shares.", "--format", "json", db=url).stdout)
    assert {e["type"].split(".")[0] for e in shares} == {"shares"}
    assert json.loads(run_cli("log", "--until", "2000-01-01", "--format", "json", db=url).stdout) == []
    verified = run_cli("verify", db=url)
    assert verified.returncode == 0 and b"hash chain (53 entries): ok" in verified.stdout
    nobody = run_cli("history", "NOBODY", "--format", "json", db=url)
    assert (nobody.returncode, nobody.stdout) == (1, b"")  # as the guide says (issue 9.4)
    assert nobody.stderr == b"coopledger: error: no entry about member 'NOBODY'\n"


def test_known_at_shows_the_register_as_the_ledger_knew_it(url: str) -> None:
    run_cli(*ADMIT, db=url)
    before = json.loads(run_cli("log", "--format", "json", db=url).stdout)[-1]["recorded"]
    run_cli("member", "leave", "S1", "--reason", "death", "--date", "2025-06-01", db=url)
    now = run_cli("register", "--as-of", "2025-12-31", "--format", "csv", db=url).stdout
    then = run_cli(
        "register", "--as-of", "2025-12-31", "--known-at", before, "--format", "csv", db=url
    ).stdout
    assert len(lines(now)) == 1 and len(lines(then)) == 2


def test_every_command_has_help() -> None:
    result = run_cli("--help")
    assert result.returncode == 0
    for command in ("init", "record", "member", "import", "export", "register", "history", "log", "verify"):
        assert command.encode() in result.stdout


def test_verify_catches_a_tampered_subject_index(url: str) -> None:
    run_cli("import", str(DEMO), db=url)
    database = parse_database(url)
    if database.backend == "sqlite":
        with sqlite3.connect(database.eventsourcing_env["SQLITE_DBNAME"], uri=True) as conn:
            conn.execute("DELETE FROM coop_subjects WHERE seq = 5")
    else:
        with connect(database.eventsourcing_env) as conn:
            conn.execute(f'DELETE FROM "{database.schema}".coop_subjects WHERE seq = 5')
    result = run_cli("verify", db=url)
    assert result.returncode == 1
    assert b"entry and subject indexes: BROKEN" in result.stdout
    assert b"coop_subjects lacks (member:M02, #5)" in result.stderr


def test_record_errors_name_the_option(url: str) -> None:
    result = run_cli("record", "member.admitted", "--member", "S1", "--name", "A", "--category", "A", db=url)
    assert result.returncode == 2
    assert b"member.admitted: missing the required --shares" in result.stderr
    result = run_cli("record", "shares.paid", "--member", "S1", "--amount", "-5", db=url)
    assert result.returncode == 2 and b"at --amount" in result.stderr


def test_check_flags_overdue_cooptations_and_seats_held_by_former_members(url: str, tmp_path: Path) -> None:
    journal = tmp_path / "flags.jsonl"
    lines_ = [
        {"type": "body.seats", "date": "2024-01-01", "count": 3},
        *[
            {
                "type": "member.admitted",
                "date": "2024-01-02",
                "member": m,
                "name": m,
                "category": "A",
                "shares": 1,
            }
            for m in ("P1", "P2", "P3")
        ],
        {"type": "assembly.convened", "date": "2024-06-01", "assembly": "AG2024", "kind": "ordinary"},
        {
            "type": "mandate.elected",
            "date": "2024-06-01",
            "person": "P1",
            "until": "2028-06-01",
            "assembly": "AG2024",
        },
        {"type": "mandate.coopted", "date": "2024-09-01", "person": "P2", "until": "2028-06-01"},
        {"type": "assembly.convened", "date": "2025-06-01", "assembly": "AG2025", "kind": "ordinary"},
        {"type": "member.left", "date": "2025-08-01", "member": "P1", "reason": "death"},
    ]
    journal.write_text("\n".join(json.dumps(line) for line in lines_) + "\n")
    imported = run_cli("import", str(journal), db=url)
    assert imported.returncode == 0, imported.stderr
    flags = json.loads(run_cli("check", "--as-of", "2025-12-31", "--format", "json", db=url).stdout)
    assert {(f["rule"], f["person"]) for f in flags} == {
        ("cooptation-overdue", "P2"),
        ("holder-not-member", "P1"),
    }
    assert run_cli("check", "--as-of", "2024-12-31", db=url).returncode == 0
    assert run_cli("check", "--as-of", "2025-12-31", db=url).returncode == 1
    assert run_cli("check", "--as-of", "2025-12-31", "--strict", db=url).returncode == 1  # old scripts


def test_year_is_the_fiscal_year_of_the_statutes_in_every_command(url: str) -> None:
    """With `fiscal_year_start` 07-01, `--year 2025` is 2025-07-01 to 2026-06-30 for
    `movements`, `assemblies` and `report` alike (calendar years only by default)."""
    amend = ["record", "statutes.amended", "--parameter", "fiscal_year_start", "--value", "07-01"]
    assert run_cli(*amend, "--date", "2024-01-01", db=url).returncode == 0
    for member, day in (("S1", "2025-03-02"), ("S2", "2025-08-01"), ("S3", "2026-06-30")):
        admit = ["member", "admit", member, "--name", member, "--category", "A", "--shares", "1"]
        assert run_cli(*admit, "--date", day, db=url).returncode == 0
    moved = json.loads(run_cli("movements", "--year", "2025", "--format", "json", db=url).stdout)
    assert [(m["member"], m["date"]) for m in moved] == [("S2", "2025-08-01"), ("S3", "2026-06-30")]
    assert b"Movements from 2025-07-01 to 2026-06-30" in run_cli("movements", "--year", "2025", db=url).stdout
    assert (
        b"Assemblies from 2025-07-01 to 2026-06-30" in run_cli("assemblies", "--year", "2025", db=url).stdout
    )
    report = json.loads(run_cli("report", "--year", "2025", "--format", "json", db=url).stdout)
    assert report["period"] == {"from": "2025-07-01", "to": "2026-06-30"}
    this_year = {"COOPLEDGER_TODAY": "2025-03-02"}  # in the fiscal year 2024
    default = run_cli("movements", "--format", "json", db=url, env=this_year)
    assert [m["member"] for m in json.loads(default.stdout)] == ["S1"]
    for command in ("movements", "assemblies", "report", "chart"):
        help_text = " ".join(run_cli(command, "--help").stdout.decode().split())
        assert "fiscal year that starts in YEAR on the statutes' fiscal_year_start" in help_text
