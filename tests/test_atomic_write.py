"""No entry is committed without its read-model rows, and a failure says truthfully what was written.

The read models are written in the same transaction as the entries. To make that
write fail for real, a database trigger refuses one member's register row: the
whole batch must roll back, the command say so with its own exit code, and the
ledger work as before once the cause is gone.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from coopledger.ledger.database import parse_database
from coopledger.ledger.engine import engine_for
from tests.conftest import ROOT, make_url, run_cli

DEMO = str(ROOT / "examples" / "demo.jsonl")
POISON = {"type": "member.admitted", "date": "2025-03-03", "member": "POISON", "name": "x", "category": "A"}


def execute(url: str, *statements: str) -> None:
    engine = engine_for(parse_database(url))
    with engine.begin() as conn:
        for statement in statements:
            conn.execute(text(statement))
    engine.dispose()


def poison_register(url: str, errcode: str = "P0001") -> None:
    """A trigger that makes writing POISON's register row fail inside the database."""
    if url.startswith("sqlite"):
        execute(
            url,
            "CREATE TRIGGER poison BEFORE INSERT ON register_spells WHEN NEW.member = 'POISON' "
            "BEGIN SELECT RAISE(ABORT, 'poisoned read model'); END",
        )
        return
    execute(
        url,
        "CREATE FUNCTION poison() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        "IF NEW.member = 'POISON' THEN RAISE EXCEPTION 'poisoned read model' "
        f"USING ERRCODE = '{errcode}'; END IF; RETURN NEW; END $$",
        "CREATE TRIGGER poison BEFORE INSERT ON register_spells FOR EACH ROW EXECUTE FUNCTION poison()",
    )


def cure(url: str) -> None:
    execute(url, "DROP TRIGGER poison" + ("" if url.startswith("sqlite") else " ON register_spells"))


def journal(tmp_path: Path, *entries: dict[str, object]) -> str:
    path = tmp_path / "batch.jsonl"
    path.write_text("".join(json.dumps(e) + "\n" for e in entries))
    return str(path)


def test_a_failed_read_model_write_records_nothing(shared_db_url: str, tmp_path: Path) -> None:
    assert run_cli("import", DEMO, db=shared_db_url).returncode == 0
    before = run_cli("export", db=shared_db_url).stdout
    poison_register(shared_db_url)
    batch = journal(
        tmp_path,
        {**POISON, "member": "OK1", "id": "ok-1", "shares": 1},
        {**POISON, "id": "p-1", "shares": 1},
    )
    failed = run_cli("import", batch, db=shared_db_url)
    assert failed.returncode == 3, failed.stderr
    lines = failed.stderr.decode().splitlines()
    assert len(lines) == 1 and "Traceback" not in failed.stderr.decode()
    assert "poisoned read model" in lines[0] and "nothing was written" in lines[0]
    assert run_cli("export", db=shared_db_url).stdout == before
    recorded = run_cli("record", "member.admitted", "--member", "POISON", "--name", "x", "--category", "A",
                       "--shares", "1", "--date", "2025-03-03", db=shared_db_url)  # fmt: skip
    assert recorded.returncode == 3
    assert run_cli("export", db=shared_db_url).stdout == before
    for command in (["register"], ["verify"], ["rebuild"], ["board"], ["report", "--year", "2025"]):
        assert run_cli(*command, db=shared_db_url).returncode == 0, command
    cure(shared_db_url)
    again = run_cli("import", batch, db=shared_db_url)
    assert again.returncode == 0, again.stderr
    register = run_cli("register", "--as-of", "2025-12-31", "--format", "csv", db=shared_db_url).stdout
    assert b"\nPOISON," in register and b"\nOK1," in register
    assert run_cli("verify", db=shared_db_url).returncode == 0


@pytest.fixture
def postgres_url(tmp_path: Path, postgres_available: bool) -> Iterator[str]:
    """PostgreSQL alone: SQLite cannot raise a data exception of a chosen class from a trigger."""
    yield from make_url("postgres", tmp_path, postgres_available)


def test_a_value_the_database_refuses_is_bad_input_and_records_nothing(
    postgres_url: str, tmp_path: Path
) -> None:
    shared_db_url = postgres_url
    assert run_cli("import", DEMO, db=shared_db_url).returncode == 0
    before = run_cli("export", db=shared_db_url).stdout
    poison_register(shared_db_url, errcode="22003")  # numeric_value_out_of_range
    failed = run_cli("import", journal(tmp_path, {**POISON, "shares": 1}), db=shared_db_url)
    assert failed.returncode == 2, failed.stderr
    assert b"does not fit" in failed.stderr and len(failed.stderr.splitlines()) == 1
    assert run_cli("export", db=shared_db_url).stdout == before


def test_a_member_may_hold_more_shares_than_a_32_bit_column(shared_db_url: str, tmp_path: Path) -> None:
    subscribe = {"type": "shares.subscribed", "date": "2025-04-01", "member": "BIG", "count": 100_000_000}
    batch = journal(tmp_path, {**POISON, "member": "BIG", "shares": 100_000_000}, *[subscribe] * 22)
    assert run_cli("import", batch, db=shared_db_url).returncode == 0
    listed = run_cli("register", "--as-of", "2025-12-31", "--format", "json", db=shared_db_url)
    register = json.loads(listed.stdout)
    assert [row["shares"] for row in register] == [2_300_000_000]
    assert run_cli("verify", db=shared_db_url).returncode == 0


def test_verify_finds_a_moved_tracking_position(shared_db_url: str) -> None:
    assert run_cli("import", DEMO, db=shared_db_url).returncode == 0
    execute(shared_db_url, "UPDATE projection_tracking SET position = position + 5")
    verified = run_cli("verify", db=shared_db_url)
    assert verified.returncode == 1
    assert b"read-model positions: BROKEN" in verified.stdout
    assert b"read model register is at #58, the ledger at #53" in verified.stderr


def test_verify_finds_stored_bytes_edited_without_changing_the_entry(shared_db_url: str) -> None:
    assert run_cli("import", DEMO, db=shared_db_url).returncode == 0
    respace = 'replace(state, \'"member":"M02"\', \'"member": "M02"\')'
    if shared_db_url.startswith("sqlite"):
        execute(shared_db_url, f"UPDATE stored_events SET state = CAST({respace} AS BLOB)")
    else:
        respace = 'replace(convert_from(state, \'UTF8\'), \'"member":"M02"\', \'"member": "M02"\')'
        execute(shared_db_url, f"UPDATE coopledger_events SET state = convert_to({respace}, 'UTF8')")
    verified = run_cli("verify", db=shared_db_url)
    assert verified.returncode == 1
    assert b"stored bytes are not its canonical encoding" in verified.stderr
