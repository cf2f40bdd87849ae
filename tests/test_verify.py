"""`coopledger verify` in real processes on SQLite and PostgreSQL: its counts in words, the first
entry that differs named in full, the read models compared with the pure folds row by row."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import msgspec
import pytest
from click.testing import CliRunner, Result
from sqlalchemy import text

from coopledger.commands.main import cli
from coopledger.ledger import aside as aside_module
from coopledger.ledger import audit as ledger_audit
from coopledger.ledger import scan
from coopledger.ledger.database import parse_database
from coopledger.ledger.engine import engine_for
from coopledger.ledger.events import Entry, encode
from coopledger.ledger.provenance import chain_hash, content_digest
from coopledger.ledger.recorders import TRANSACTION
from coopledger.ledger.store import Store
from coopledger.ledger.validate import check
from coopledger.projections import audit as read_model_audit
from coopledger.projections import beside
from tests.conftest import ROOT, run_cli
from tests.test_atomic_write import execute

DEMO = ROOT / "examples" / "demo.jsonl"

ADMIT = ["member", "admit", "S1", "--name", "Ada", "--category", "A", "--shares", "2", "--date", "2025-03-02"]


def ok(*args: str, db: str) -> subprocess.CompletedProcess[bytes]:
    result = run_cli(*args, db=db)
    assert result.returncode == 0, (args, result.stderr.decode())
    return result


def test_counts_of_one_are_in_the_singular(shared_db_url: str, tmp_path: Path) -> None:
    db = shared_db_url
    ok(*ADMIT, db=db)
    ok("keygen", "--out", str(tmp_path / "keys"), "--name", "coop", db=db)
    checkpoint = tmp_path / "one.txt"
    checkpoint.write_bytes(ok("checkpoint", "--sign", str(tmp_path / "keys" / "coop.key"), db=db).stdout)
    out = ok("verify", "--checkpoint", str(checkpoint), db=db).stdout.decode()
    assert "hash chain (1 entry): ok" in out
    assert "checkpoints (1 extended): ok" in out
    recorded = ok("verify", db=db).stdout.decode()
    assert "entries" not in recorded.replace("entry and subject indexes", "")


# -- a ledger with backdated entries, an amendment and retractions of every kind of row -------

EXTRA: list[dict[str, object]] = [
    {"id": "x-054", "type": "shares.paid", "date": "2024-05-02", "member": "M06", "amount": "10.00"},
    {"id": "x-055", "type": "statutes.amended", "date": "2025-01-01", "parameter": "quorum", "value": 0.2},
    {
        "id": "x-056",
        "type": "entry.retracted",
        "date": "2025-07-01",
        "entry": "demo-009",
        "reason": "bounced",
    },
    {"id": "x-057", "type": "assembly.convened", "date": "2025-09-01", "assembly": "EX2025"}
    | {"kind": "extraordinary"},
    {"id": "x-058", "type": "entry.retracted", "date": "2025-09-02", "entry": "x-057", "reason": "never met"},
    {"id": "x-059", "type": "body.seats", "date": "2025-10-01", "count": 6},
    {"id": "x-060", "type": "entry.retracted", "date": "2025-10-02", "entry": "x-059", "reason": "typo"},
    {"id": "x-061", "type": "member.admitted", "date": "2024-03-01", "member": "M99", "name": "Late Entry"}
    | {"category": "A", "shares": 1},
]


def rich_ledger(db: str, tmp_path: Path) -> None:
    """The demo, then entries dated before others already recorded, an amendment of the
    statutes, and retractions of a payment, an assembly and a body's seats."""
    journal = tmp_path / "rich.jsonl"
    extra = "".join(json.dumps(line) + "\n" for line in EXTRA)
    journal.write_text(DEMO.read_text(encoding="utf-8") + extra, encoding="utf-8")
    ok("import", str(journal), db=db)


def verify_in_process(db: str, monkeypatch: pytest.MonkeyPatch, streamed: bool) -> Result:
    """`verify` through click's runner; `streamed`: as on a ledger too long to keep in memory
    (timelines through the subject index, the rules' fold over the entries read again)."""
    monkeypatch.setattr(ledger_audit, "IN_MEMORY", 0 if streamed else ledger_audit.IN_MEMORY)
    return CliRunner().invoke(cli, ["--db", db, "verify"], catch_exceptions=False)


@pytest.mark.parametrize("streamed", [False, True], ids=["in-memory", "streamed"])
def test_a_rich_ledger_verifies(
    shared_db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, streamed: bool
) -> None:
    rich_ledger(shared_db_url, tmp_path)
    result = verify_in_process(shared_db_url, monkeypatch, streamed)
    assert result.exit_code == 0, result.stdout + result.stderr
    assert "hash chain (61 entries): ok" in result.stdout
    assert "read model governance_assemblies: ok" in result.stdout


@pytest.mark.parametrize("streamed", [False, True], ids=["in-memory", "streamed"])
def test_read_model_rows_are_compared_with_the_folds_and_named(
    shared_db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, streamed: bool
) -> None:
    db = shared_db_url
    rich_ledger(db, tmp_path)
    execute(
        db,
        "UPDATE register_spells SET shares = 7 WHERE member = 'M06' AND known_to IS NULL",
        "DELETE FROM register_movements WHERE member = 'M09'",
        "INSERT INTO governance_votes (assembly, member, proxy, date, known_from, known_to) "
        "VALUES ('AG2025', 'M98', NULL, '2025-06-17', 40, NULL)",
        "UPDATE governance_assemblies SET known_to = 50 WHERE assembly = 'AG2025'",
        "UPDATE governance_seats SET known_to = NULL WHERE seats = 6",
    )
    result = verify_in_process(db, monkeypatch, streamed)
    assert result.exit_code == 1
    out, err = result.stdout, result.stderr
    for table in ("register_spells", "register_movements", "governance_votes", "governance_assemblies"):
        assert f"read model {table}: BROKEN" in out, table
    assert "read model governance_seats: BROKEN" in out
    assert "read model governance_resolutions: ok" in out and "hash chain (61 entries): ok" in out
    assert (
        "member M06: row valid from 2024-04-02, known from #54: shares 7 in the table, 1 in a fresh fold\n"
        in err
    )
    assert "member M09: a fresh fold gives a row the table lacks: member=M09 seq=" in err
    assert "entry #40: the table has a row no fold gives: assembly=AG2025 member=M98" in err
    assert "entry #33: row known until #50 in the table, but the entry is not retracted" in err
    assert (
        "body board: row valid from 2025-10-01, known from #59: "
        "known_to NULL in the table, 60 in a fresh fold" in err
    )
    # the first entry concerned, in full: the admission of M09 gave the first row now missing
    assert err.rstrip().endswith(
        "first entry that differs: #18 (id demo-018, member.admitted, dated 2024-09-03, member M09)"
    )


@pytest.mark.parametrize("streamed", [False, True], ids=["in-memory", "streamed"])
def test_subjects_compared_a_few_at_a_time_find_the_same(
    shared_db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, streamed: bool
) -> None:
    """The rows of `SUBJECTS` subjects at a time, as one multiset per table: a difference in
    any part, a stray row between two parts or after the last, named as subject by subject."""
    db = shared_db_url
    rich_ledger(db, tmp_path)
    execute(
        db,
        "UPDATE register_spells SET paid_up = 10.01 WHERE member = 'M06' AND known_to IS NULL",
        "DELETE FROM register_movements WHERE member = 'M09'",
        "UPDATE register_spells SET member = 'M055' WHERE member = 'M05'",  # a stray, between parts
        "UPDATE register_movements SET member = 'M999' WHERE member = 'M13'",  # a stray, after the last
    )
    whole = verify_in_process(db, monkeypatch, streamed)
    monkeypatch.setattr(read_model_audit, "SUBJECTS", 2)
    parts = verify_in_process(db, monkeypatch, streamed)
    assert (parts.exit_code, parts.stdout, parts.stderr) == (whole.exit_code, whole.stdout, whole.stderr)
    assert "member M06: row valid from 2024-04-02, known from #54: paid_up 10.01 in the table" in whole.stderr
    assert "member M055: the table has a row no fold gives" in whole.stderr
    assert "member M999: the table has a row no fold gives" in whole.stderr


def test_a_clean_ledgers_rows_come_in_the_order_the_folds_give_them(
    shared_db_url: str, tmp_path: Path
) -> None:
    """Read in `SubjectFold.order`, each table's rows are the folds' rows in the same order (not
    only the same multiset), refolded subjects included: the comparison of a chunk is one list
    equality, not a count of every row."""
    db = shared_db_url
    rich_ledger(db, tmp_path)
    store = Store(parse_database(db))
    try:
        with scan.snapshot(store) as conn:
            refolded = 0
            for fold in (read_model_audit.REGISTER, read_model_audit.BODIES):
                expected: tuple[list[Any], list[Any]] = ([], [])
                for subject, timeline in scan.timelines(conn, store, fold.prefix):
                    rows = fold.expected(subject, timeline, store.entry_by_id)
                    refolded += len({row[-2] for row in rows[0]}) > 1
                    expected[0].extend(rows[0])
                    expected[1].extend(rows[1])
                for table, rows in zip(fold.tables, expected, strict=True):
                    assert list(scan.table_rows(conn, table, fold.order(conn, table))) == rows, table.name
            assert refolded >= 3  # M06's backdated payment, demo-009's retraction, the body's seats
    finally:
        store.close()


def test_a_changed_entry_is_named_in_full(shared_db_url: str) -> None:
    db = shared_db_url
    ok("import", str(DEMO), db=db)
    table = "stored_events" if db.startswith("sqlite") else "coopledger_events"
    if db.startswith("sqlite"):
        changed = "CAST(replace(CAST(state AS TEXT), '\"shares\"\\:1,', '\"shares\"\\:5,') AS BLOB)"
    else:
        changed = (
            "convert_to(replace(convert_from(state, 'UTF8'), '\"shares\"\\:1,', '\"shares\"\\:5,'), 'UTF8')"
        )
    execute(db, f"UPDATE {table} SET state = {changed} WHERE originator_version = 6")
    result = run_cli("verify", db=db)
    assert result.returncode == 1
    out, err = result.stdout.decode(), result.stderr.decode()
    assert "hash chain (53 entries): BROKEN" in out and "read model register_spells: BROKEN" in out
    assert "entry #6: hash does not match its content and the previous hash" in err
    assert (
        "member M03: row valid from 2024-02-05, known from #6: shares 1 in the table, 5 in a fresh fold"
        in err
    )
    assert err.rstrip().endswith(
        "first entry that differs: #6 (id demo-006, member.admitted, dated 2024-02-05, member M03)"
    )


@pytest.mark.parametrize("streamed", [False, True], ids=["in-memory", "streamed"])
def test_the_rules_fold_is_the_write_paths(
    shared_db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, streamed: bool
) -> None:
    """Entries deleted under the ledger break rules of later ones: verify's fold, which merges
    the backdated entries back in, refuses exactly what `validate.check` does on the list."""
    rich_ledger(shared_db_url, tmp_path)
    monkeypatch.setattr(ledger_audit, "IN_MEMORY", 0 if streamed else ledger_audit.IN_MEMORY)
    entries, expected, found = deleted_then_folded(shared_db_url, [12, 61])  # M06's and M99's admissions
    assert expected and list(found.problems) == expected
    assert found.first == min(r.entry.seq or 0 for r in check(entries, set(), {}, None))


def deleted_then_folded(db: str, seqs: list[int]) -> tuple[list[Entry], list[str], ledger_audit.Finding]:
    """Entries deleted under the ledger: the rest, what `validate.check` refuses of it, and
    what `verify`'s fold of the rules finds."""
    table = "stored_events" if db.startswith("sqlite") else "coopledger_events"
    execute(db, f"DELETE FROM {table} WHERE originator_version IN ({', '.join(map(str, seqs))})")
    store = Store(parse_database(db))
    try:
        entries = list(store.entries())
        expected = [str(r) for r in check(entries, set(), {}, None)]
        found = next(f for f in ledger_audit.audit(store).findings if f.name.startswith("rules"))
    finally:
        store.close()
    return entries, expected, found


# -- a rewritten history against its checkpoints ----------------------------------------------


def rewrite_from(url: str, seq: int) -> None:
    """Entry `seq` changed in place and every hash from it on recomputed, its indexes and the
    tree made to match: what passes plain `verify` and only a checkpoint catches."""
    store = Store(parse_database(url))
    try:
        entries = list(store.entries())
        events = store.recorder.events_table_name  # type: ignore[attr-defined]
        previous = entries[seq - 2].hash or ""
        engine = engine_for(parse_database(url))
        with engine.begin() as conn:
            for entry in entries[seq - 1 :]:
                if entry.seq == seq:
                    entry = msgspec.structs.replace(entry, ref="rewritten")
                entry = msgspec.structs.replace(entry, hash=chain_hash(previous, entry))
                previous = entry.hash or ""
                conn.execute(
                    text(f"UPDATE {events} SET state = :state WHERE originator_version = :seq"),
                    {"state": encode(entry), "seq": entry.seq},
                )
                conn.execute(
                    text("UPDATE coop_entries SET hash = :hash, digest = :digest WHERE seq = :seq"),
                    {"hash": entry.hash, "digest": content_digest(entry), "seq": entry.seq},
                )
        engine.dispose()
        store.build_tree()
    finally:
        store.close()


def test_the_signed_checkpoints_recorded_pin_where_a_rewritten_history_departs(
    shared_db_url: str, tmp_path: Path
) -> None:
    db = shared_db_url
    lines = DEMO.read_text(encoding="utf-8").splitlines(keepends=True)
    ok("keygen", "--out", str(tmp_path / "keys"), "--name", "coop", db=db)
    key, public = str(tmp_path / "keys" / "coop.key"), str(tmp_path / "keys" / "coop.pub")
    for n, (start, end) in enumerate([(0, 10), (10, 11), (11, len(lines))]):
        part = tmp_path / f"part-{n}.jsonl"
        part.write_text("".join(lines[start:end]), encoding="utf-8")
        ok("import", str(part), db=db)
        signed = ok("checkpoint", "--sign", key, db=db).stdout  # at 10, 11 and 53 entries
    checkpoint = tmp_path / "ag-2025.txt"
    checkpoint.write_bytes(signed)
    rewrite_from(db, 11)
    named = "#11 (id demo-011, shares.paid, dated 2024-03-29, member M05)"
    eleven = "DELETE FROM coop_checkpoints WHERE size = 11"

    # without the checkpoint of 11 entries, those of 10 and 53 bound the change
    execute(db, "CREATE TABLE kept AS SELECT * FROM coop_checkpoints WHERE size = 11", eleven)
    caught = run_cli("verify", "--checkpoint", str(checkpoint), "--key", public, db=db)
    assert caught.returncode == 1
    out, err = caught.stdout.decode(), caught.stderr.decode()
    assert "hash chain (53 entries): ok" in out and "Merkle tree (coop_tree): ok" in out
    assert (
        "ag-2025.txt: the ledger does not extend it: its first 53 entries are not those it signs "
        f"(changed after #10, at or before #53: the first entry that may differ is {named})" in err
    )
    assert "first entry that differs" not in err  # nothing pins it to one entry

    # with it, they pin it
    execute(db, "INSERT INTO coop_checkpoints SELECT * FROM kept")
    caught = run_cli("verify", "--checkpoint", str(checkpoint), "--key", public, db=db)
    err = caught.stderr.decode()
    assert f"its first 53 entries are not those it signs: entry {named} differs from the one signed" in err
    assert err.rstrip().endswith(f"first entry that differs: {named}")
    recorded = run_cli("verify", "--key", public, db=db)  # the checkpoints recorded, oldest first
    err = recorded.stderr.decode()
    assert recorded.returncode == 1 and "(11 entries): the ledger does not extend it" in err
    assert err.rstrip().endswith(f"first entry that differs: {named}")


def test_stored_bytes_that_are_no_entry_are_named_not_a_crash(shared_db_url: str) -> None:
    db = shared_db_url
    ok("import", str(DEMO), db=db)
    if db.startswith("sqlite"):
        execute(
            db, "UPDATE stored_events SET state = CAST('{not json' AS BLOB) WHERE originator_version = 20"
        )
    else:
        execute(
            db,
            "UPDATE coopledger_events SET state = convert_to('{not json', 'UTF8') "
            "WHERE originator_version = 20",
        )
    result = run_cli("verify", db=db)
    assert result.returncode == 1
    out, err = result.stdout.decode(), result.stderr.decode()
    assert "hash chain (53 entries): BROKEN" in out and "read model register_spells: BROKEN" in out
    assert "entry #20: the stored bytes are not an entry (JSON is malformed" in err
    assert err.rstrip().endswith("first entry that differs: #20 (its stored bytes are not an entry)")


@pytest.mark.parametrize("command", [["log"], ["export"], ["show", "20"], ["history", "M11"], ["rebuild"]])
def test_other_commands_say_the_store_was_changed_not_that_coopledger_has_a_bug(
    shared_db_url: str, command: list[str]
) -> None:
    db = shared_db_url
    ok("import", str(DEMO), db=db)
    execute(db, DRILLS["stored bytes no entry"].format(t=_events(db), garbage=_bytes(db, "{not json")))
    before = run_cli("verify", db=db)
    result = run_cli(*command, db=db)
    assert result.returncode == 3
    assert result.stderr.decode().splitlines() == [
        "coopledger: failed: the store holds bytes coopledger did not write (JSON is malformed: "
        "object keys must be strings (byte 1)): it was changed outside coopledger, or is damaged; "
        "nothing was written; `coopledger verify` names the entries concerned"
    ]
    after = run_cli("verify", db=db)  # nothing written: the same findings
    assert (after.returncode, after.stdout, after.stderr) == (1, before.stdout, before.stderr)


def test_a_write_meeting_a_row_no_writer_put_there_says_the_store_is_damaged(shared_db_url: str) -> None:
    """A stray index row where the next entry's goes: the write fails at once (no race to lose,
    so no retries), exit 3 in the words of a damaged store, and `verify` names the row."""
    db = shared_db_url
    ok("import", str(DEMO), db=db)
    execute(db, "INSERT INTO coop_subjects (subject, seq) VALUES ('member:M99', 54)")
    result = run_cli("member", "admit", "M99", "--name", "Ada", "--category", "A", "--shares", "1", db=db)
    assert result.returncode == 3
    [line] = result.stderr.decode().splitlines()
    assert line.startswith(
        "coopledger: failed: the store holds rows coopledger did not write (a write met one"
    )
    assert "coop_subjects" in line
    assert line.endswith("nothing was written; `coopledger verify` names the entries concerned")
    found = run_cli("verify", db=db)
    assert found.returncode == 1 and "coop_subjects has a stray (member:M99, #54)" in found.stderr.decode()
    assert len(json.loads(run_cli("log", "--format", "json", db=db).stdout)) == 53


def test_a_last_entry_recorded_at_no_time_says_the_store_is_damaged(shared_db_url: str) -> None:
    """The next entry's recorded time follows the last one's: one edited into no time is the
    store's damage, not coopledger's bug (it was exit 70, `internal error: ValueError`)."""
    db = shared_db_url
    ok("import", str(DEMO), db=db)
    execute(db, "UPDATE coop_entries SET recorded = 'yesterday' WHERE seq = 53")
    result = run_cli("member", "admit", "M99", "--name", "Ada", "--category", "A", "--shares", "1", db=db)
    assert (result.returncode, result.stderr.decode().splitlines()) == (
        3,
        [
            "coopledger: failed: the store holds rows coopledger did not write (the last entry's "
            "recorded time, #53, is 'yesterday'): it was changed outside coopledger, or is damaged; "
            "nothing was written; `coopledger verify` names the entries concerned"
        ],
    )
    assert "coop_entries row for #53 does not match the entry" in run_cli("verify", db=db).stderr.decode()


DAMAGES = {
    "an amount": ("paid_up = 'abc'", "register_spells.paid_up holds 'abc', not of its type NUMERIC(14, 2)"),
    "a date": (
        "admitted = '2024-13-45'",
        "register_spells.admitted holds '2024-13-45', not of its type DATE",
    ),
}


@pytest.mark.parametrize("damage", DAMAGES)
def test_a_read_model_value_not_of_its_type_is_a_damaged_store_not_a_bug(
    shared_db_url: str, damage: str
) -> None:
    """Text edited into a read model's amount or date (SQLite keeps what it is given): the reads
    exit 3 in the words of a damaged store, `verify` names the row (it was exit 70, `internal
    error: TypeError`, for both), and `rebuild` mends it. PostgreSQL refuses such a value."""
    db = shared_db_url
    ok("import", str(DEMO), db=db)
    edit, said = DAMAGES[damage]
    statement = f"UPDATE register_spells SET {edit} WHERE member = 'M01' AND known_to IS NULL"
    if not db.startswith("sqlite"):
        with pytest.raises(Exception, match=r"invalid input syntax|date/time field value out of range"):
            execute(db, statement)
        return
    execute(db, statement)
    register = run_cli("register", db=db)
    assert (register.returncode, register.stderr.decode().splitlines()) == (
        3,
        [
            "coopledger: failed: the store holds a value coopledger did not write (the read model's "
            f"{said}): it was changed outside coopledger, or is damaged; nothing was written; "
            "`coopledger verify` names the rows concerned, and `coopledger rebuild` writes the read "
            "models again from the entries"
        ],
    )
    certificate = run_cli("member", "certificate", "M01", db=db)  # read through SQLAlchemy's rows
    [line] = certificate.stderr.decode().splitlines()
    assert certificate.returncode == 3 and line.startswith("coopledger: failed: the store holds a value")
    assert line.endswith("`coopledger verify` names the rows concerned")
    found = run_cli("verify", db=db)
    column, _, value = edit.partition(" = ")
    assert found.returncode == 1
    row = "member M01: row valid from 2024-01-10, known from #4"
    assert f"{row}: {column} {value.strip(chr(39))} in the table" in found.stderr.decode()
    ok("rebuild", db=db)
    assert run_cli("verify", db=db).returncode == 0
    assert run_cli("register", db=db).returncode == 0


EDITS = {
    "a day no date": ("valid_from", "'xyz'", "xyz"),
    "a boolean no boolean": ("founder", "'maybe'", "maybe"),
    "a boolean of 2": ("founder", "2", "2"),
    "an amount of a tenth of a cent": ("paid_up", "100.001", "100.001"),
}


@pytest.mark.parametrize("edit", EDITS)
def test_verify_names_a_value_its_column_would_read_otherwise(shared_db_url: str, edit: str) -> None:
    """A register line's value edited into one its column's type reads otherwise: a day into
    no date (SQLite compares it as text, so the register leaves the line out without a word),
    'maybe' or 2 into a boolean (read as true), an amount to a tenth of a cent (read rounded
    to 100.00). `verify` names the value as stored; it passed the last three as the fold's,
    and failed on the first (exit 70). PostgreSQL refuses them, or rounds the amount."""
    db = shared_db_url
    ok("import", str(DEMO), db=db)
    column, value, shown = EDITS[edit]
    statement = f"UPDATE register_spells SET {column} = {value} WHERE member = 'M01' AND known_to IS NULL"
    if not db.startswith("sqlite") and edit != "an amount of a tenth of a cent":
        with pytest.raises(Exception, match=r"invalid input syntax|is of type boolean"):
            execute(db, statement)
        return
    execute(db, statement)
    found = run_cli("verify", db=db)
    if not db.startswith("sqlite"):
        assert found.returncode == 0  # numeric(14, 2) holds 100.00
        return
    assert found.returncode == 1
    err = found.stderr.decode()
    assert f"member M01: row valid from 2024-01-10, known from #4: {column} {shown} in the table" in err
    if column == "valid_from":
        assert (
            "not summed: a value in the register's lines or in this table is not of its column's type "
            "(Invalid isoformat string: 'xyz')" in err
        )


LEDGER_EDITS = {
    "a tree hash of text": (
        "UPDATE coop_tree SET hash = 'zz' WHERE level = 5",
        ["register"],
        None,
        "subtree of entries #1-#32 does not match them",
    ),
    "a read model's position of text": (
        "UPDATE projection_tracking SET position = 'abc' WHERE name = 'register'",
        ["register"],
        "read model register's position is 'abc', not an entry's number",
        "read model register's position is 'abc', not an entry's number",
    ),
    "a subject index row's number of text": (
        "UPDATE coop_subjects SET seq = 'x' WHERE seq = 5",
        ["register"],
        None,
        "coop_subjects has a stray (member:M02, #x)",
    ),
    "a stored entry of text": (
        "UPDATE {events} SET state = '{{not json' WHERE originator_version = 20",
        ["log"],
        "JSON is malformed",
        "entry #20: the stored bytes are not an entry",
    ),
    "a stored entry of a number": (
        "UPDATE {events} SET state = 1000000000000 WHERE originator_version = 20",
        ["log"],
        "the stored state is 1000000000000, not bytes",
        "entry #20: the stored bytes are not an entry",
    ),
    "a register line's known_from of text": (
        "UPDATE register_spells SET known_from = 'x' WHERE member = 'M01' AND known_to IS NULL",
        ["register"],
        None,
        "member M01: row valid from 2024-01-10, known from #x: known_from x in the table, 4 in a fresh fold",
    ),
    "a vote's known_from of text": (
        "UPDATE governance_votes SET known_from = 'x' WHERE member = 'M01'",
        ["assembly", "show", "AG2025"],
        None,
        "entry #x: the table has a row no fold gives: assembly=AG2025 member=M01",
    ),
    "a register line's member of bytes": (
        "UPDATE register_spells SET member = X'00ff' WHERE member = 'M01' AND known_to IS NULL",
        ["register"],
        None,
        "member x'00ff': the table has a row no fold gives: member=b'\\x00\\xff'",
    ),
    "a mandate's body of bytes": (
        "UPDATE governance_mandates SET body = X'00ff' WHERE person = 'M01'",
        ["board"],
        None,
        "body x'00ff': the table has a row no fold gives: body=b'\\x00\\xff' person=M01",
    ),
    "a register line's category of bytes": (
        "UPDATE register_spells SET category = X'00ff' WHERE member = 'M01' AND known_to IS NULL",
        ["report", "--year", "2025"],
        None,
        "category b'\\x00\\xff', 2024-01-10: no change in the table, members +1",
    ),
    "an identity's salt of bytes": (
        "UPDATE coop_identities SET salt = X'00ff' WHERE seq = 2",
        ["register"],
        None,
        "identity record of #2 does not open its commitment",
    ),
    "a running sum of text": (
        "UPDATE register_positions SET members = 'x' WHERE day = (SELECT min(day) FROM register_positions)",
        ["report", "--year", "2025"],
        None,
        "category A, 2024-01-10: members 'x', shares +6",
    ),
}


@pytest.mark.parametrize("streamed", [False, True], ids=["in-memory", "streamed"])
@pytest.mark.parametrize("edit", LEDGER_EDITS)
def test_a_value_of_the_wrong_type_in_the_ledgers_tables_is_named_not_a_crash(
    shared_db_url: str, monkeypatch: pytest.MonkeyPatch, edit: str, streamed: bool
) -> None:
    """SQLite keeps a text or a number where coopledger writes bytes or integers. Each of these
    made `verify` (and most made every command) an internal error, exit 70; now `verify` names
    the row, and a command that meets it exits 3 in the words of a damaged store, or reads on.
    PostgreSQL refuses the edits but one: a text given for bytes is taken as its bytes. A sweep of
    every column of every table, edited into a text, bytes, a large number and a fraction, found
    the later ones (24 columns in all had made `verify` exit 70)."""
    db = shared_db_url
    ok("import", str(DEMO), db=db)
    statement, command, said, named = LEDGER_EDITS[edit]
    try:
        execute(db, statement.format(events=_events(db)))
    except Exception as e:  # PostgreSQL's types
        assert not db.startswith("sqlite") and ("invalid input syntax" in str(e) or "is of type" in str(e))
        return
    result = run_cli(*command, db=db)
    if said is None:
        assert result.returncode == 0, result.stderr
    else:
        [line] = result.stderr.decode().splitlines()
        assert (
            result.returncode == 3 and line.startswith("coopledger: failed: the store holds") and said in line
        )
    if not db.startswith("sqlite"):  # PostgreSQL takes X'00ff' as bits, written into a text
        named = named.replace("x'00ff'", "0000000011111111").replace("b'\\x00\\xff'", "0000000011111111")
    found = verify_in_process(db, monkeypatch, streamed)
    assert found.exit_code == 1 and named in found.stderr


@pytest.mark.parametrize("column", ["recorded", "hash"])
def test_a_last_entry_of_bytes_says_the_store_is_damaged(shared_db_url: str, column: str) -> None:
    """The next entry follows the last one's recorded time and chains on its hash: either
    edited into bytes (SQLite keeps them) is the store's damage, exit 3, nothing written; it
    was exit 70 (`strptime()` of bytes, `bytes.encode`). PostgreSQL takes X'00ff' as bits
    written into a text: no time (exit 3), or a hash the next entry chains on, which `verify`
    then names."""
    db = shared_db_url
    ok("import", str(DEMO), db=db)
    execute(db, f"UPDATE coop_entries SET {column} = X'00ff' WHERE seq = 53")
    result = run_cli("member", "admit", "M99", "--name", "Ada", "--category", "A", "--shares", "1", db=db)
    if column == "hash" and not db.startswith("sqlite"):
        assert result.returncode == 0
        assert "coop_entries row for #53 does not match the entry" in run_cli("verify", db=db).stderr.decode()
        return
    shown = "b'\\x00\\xff'" if db.startswith("sqlite") else "'0000000011111111'"
    what = "recorded time" if column == "recorded" else "hash"
    assert (result.returncode, result.stderr.decode().splitlines()) == (
        3,
        [
            f"coopledger: failed: the store holds rows coopledger did not write (the last entry's {what}, "
            f"#53, is {shown}): it was changed outside coopledger, or is damaged; nothing was written; "
            "`coopledger verify` names the entries concerned"
        ],
    )
    assert len(json.loads(run_cli("log", "--format", "json", db=db).stdout)) == 53


GOVERNANCE_EDITS = {
    "a body's seats": ("governance_seats", "seats", ["board"], "seats 'x' in the table, 5 in a fresh fold"),
    "a resolution's votes": (
        "governance_resolutions",
        "votes_for",
        ["assembly", "show", "AG2025"],
        "votes_for x",
    ),
    "an allocation's year": ("governance_allocations", "year", ["report", "--year", "2025"], "year x"),
}


@pytest.mark.parametrize("edit", GOVERNANCE_EDITS)
def test_a_governance_figure_of_text_is_a_damaged_store_not_a_bug(shared_db_url: str, edit: str) -> None:
    """Text in a governance read model's integer column (SQLite keeps it): `board`, `report` and
    `assembly show`, which compute figures from these rows, exit 3 naming the column (it was
    exit 70, `TypeError` in the arithmetic); `verify` names the row. PostgreSQL refuses it."""
    db = shared_db_url
    ok("import", str(DEMO), db=db)
    table, column, command, named = GOVERNANCE_EDITS[edit]
    try:
        execute(db, f"UPDATE {table} SET {column} = 'x'")
    except Exception as e:
        assert not db.startswith("sqlite") and "invalid input syntax" in str(e)
        return
    result = run_cli(*command, db=db)
    [line] = result.stderr.decode().splitlines()
    assert result.returncode == 3
    assert f"(the read model's {table}.{column} holds 'x', not of its type INTEGER)" in line
    found = run_cli("verify", db=db)
    assert found.returncode == 1 and named.replace("'x'", "x") in found.stderr.decode()


def test_a_certificate_of_shares_of_text_is_a_damaged_store_not_a_bug(shared_db_url: str) -> None:
    """A certificate formats the member's figures: text in the shares (SQLite keeps it) is exit 3
    naming the column, where it was exit 70 (a `ValueError` of the number format); a clean
    line, with its identity joined, passes the same check. PostgreSQL refuses the edit."""
    db = shared_db_url
    ok("import", str(DEMO), db=db)
    assert run_cli("member", "certificate", "M01", db=db).returncode == 0
    statement = "UPDATE register_spells SET shares = 'many' WHERE member = 'M01' AND known_to IS NULL"
    try:
        execute(db, statement)
    except Exception as e:
        assert not db.startswith("sqlite") and "invalid input syntax" in str(e)
        return
    result = run_cli("member", "certificate", "M01", db=db)
    [line] = result.stderr.decode().splitlines()
    assert result.returncode == 3
    assert "(the read model's register_spells.shares holds 'many', not of its type BIGINT)" in line
    assert "shares many in the table, 4 in a fresh fold" in run_cli("verify", db=db).stderr.decode()


def test_a_resolution_of_no_majority_and_a_body_of_bytes_are_a_damaged_store_not_a_bug(
    shared_db_url: str,
) -> None:
    """A resolution's majority edited into a word no rule knows (either backend keeps a text),
    and a body's name into bytes (SQLite keeps them): `report` and `board` exit 3 naming the
    column (they were exit 70: a `KeyError`, bytes sorted with text); `verify` names both.
    PostgreSQL takes X'00ff' as bits written into a text: a body of that name."""
    db = shared_db_url
    ok("import", str(DEMO), db=db)
    execute(db, "UPDATE governance_resolutions SET majority = 'most'")
    report = run_cli("report", "--year", "2025", db=db)
    [line] = report.stderr.decode().splitlines()
    assert report.returncode == 3
    assert "(the read model's governance_resolutions.majority holds 'most', no majority)" in line
    assert "majority most in the table" in run_cli("verify", db=db).stderr.decode()
    execute(db, "UPDATE governance_seats SET body = X'00ff'")
    board = run_cli("board", db=db)
    if not db.startswith("sqlite"):
        assert board.returncode == 0
        return
    [line] = board.stderr.decode().splitlines()
    assert board.returncode == 3
    assert (
        "(the read model's governance_seats.body holds b'\\x00\\xff', not of its type VARCHAR(200))" in line
    )
    assert "body x'00ff': the table has a row no fold gives" in run_cli("verify", db=db).stderr.decode()


def _events(db: str) -> str:
    return "stored_events" if db.startswith("sqlite") else "coopledger_events"


# -- the second half in a worker process ------------------------------------------------------

DRILLS = {
    "payload byte edited": "UPDATE {t} SET state = {edit} WHERE originator_version = 3",
    "middle row deleted": "DELETE FROM {t} WHERE originator_version = 20",
    "recorded time moved": "UPDATE {t} SET state = {moved} WHERE originator_version = 5",
    "hash edited": f"UPDATE coop_entries SET hash = '{'0' * 64}' WHERE seq = 7",
    "subject index row wrong": "UPDATE coop_subjects SET subject = 'member:M77' WHERE seq = 9",
    "identity record altered": "UPDATE coop_identities SET salt = '00' WHERE subject = 'M03'",
    "read-model row edited": "UPDATE register_spells SET shares = 7 WHERE member = 'M06'",
    "movement row deleted": "DELETE FROM register_movements WHERE member = 'M09'",
    "vote row edited": "UPDATE governance_votes SET member = 'M77' WHERE member = 'M03'",
    "read model ahead": "UPDATE projection_tracking SET position = position + 1 WHERE name = 'register'",
    "subtree hash edited": "UPDATE coop_tree SET hash = {zeros} WHERE level = 5 AND start = 0",
    "stored bytes no entry": "UPDATE {t} SET state = {garbage} WHERE originator_version = 20",
    "retracted entry no entry": "UPDATE {t} SET state = {garbage} WHERE originator_version = 9",  # by x-056
}


def _replaced(db: str, old: str, new: str) -> str:
    if db.startswith("sqlite"):
        return f"CAST(replace(CAST(state AS TEXT), '{old}', '{new}') AS BLOB)"
    return f"convert_to(replace(convert_from(state, 'UTF8'), '{old}', '{new}'), 'UTF8')"


def _bytes(db: str, text: str) -> str:
    return f"CAST('{text}' AS BLOB)" if db.startswith("sqlite") else f"convert_to('{text}', 'UTF8')"


def verify_beside(db: str, monkeypatch: pytest.MonkeyPatch, worker: bool) -> Result:
    """`verify` through click's runner, the rules and read models in a worker process (a real
    one, forked) or in this one."""
    monkeypatch.setattr(beside, "BESIDE", 0 if worker else 10**9)
    return CliRunner().invoke(cli, ["--db", db, "verify"], catch_exceptions=False)


@pytest.mark.parametrize("streamed", [False, True], ids=["in-memory", "streamed"])
@pytest.mark.parametrize("drill", [None, *DRILLS])
def test_the_worker_finds_what_one_process_finds(
    shared_db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, drill: str | None, streamed: bool
) -> None:
    """Streamed (a ledger longer than `IN_MEMORY`), the read models' work is divided: their rows of
    one entry each in the main pass, the members' and bodies' rows in the worker, without a pass."""
    db = shared_db_url
    monkeypatch.setattr(ledger_audit, "IN_MEMORY", 0 if streamed else ledger_audit.IN_MEMORY)
    rich_ledger(db, tmp_path)
    if drill is not None:
        table = _events(db)
        edit, moved = _replaced(db, "M02", "M0X"), _replaced(db, '"recorded":"2', '"recorded":"1')
        zeros, garbage = _bytes(db, "0" * 32), _bytes(db, "{not json")
        execute(db, DRILLS[drill].format(t=table, edit=edit, moved=moved, zeros=zeros, garbage=garbage))
    alone = verify_beside(db, monkeypatch, worker=False)
    started: list[beside.Worker] = []
    monkeypatch.setattr(beside.Worker, "start", _recording(beside.Worker.start, started))
    monkeypatch.setattr(beside, "Store", _OwnConnections)
    beside_it = verify_beside(db, monkeypatch, worker=True)
    assert started and started[0].status == 0  # the worker ran on its own connections, and ended
    assert (beside_it.exit_code, beside_it.stdout, beside_it.stderr) == (
        alone.exit_code,
        alone.stdout,
        alone.stderr,
    )
    assert alone.exit_code == (0 if drill is None else 1), alone.stdout + alone.stderr


class _OwnConnections(Store):
    """The worker's store, which must not read through the main process's transaction (its
    connection, inherited by the fork): the worker fails, and says so in its exit status."""

    def __init__(self, database: Any) -> None:
        assert TRANSACTION.get() is None
        super().__init__(database)


def _recording(start: Any, started: list[beside.Worker]) -> Any:
    def recorded(worker: beside.Worker, shared: Any) -> None:
        started.append(worker)
        start(worker, shared)

    return recorded


@pytest.mark.parametrize("streamed", [False, True], ids=["in-memory", "streamed"])
def test_a_worker_that_sees_another_snapshot_leaves_the_work_to_the_main_process(
    shared_db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, streamed: bool
) -> None:
    """A write between the two snapshots: the worker's mark differs, it reports nothing, and the
    main process checks the rules and the read models itself, with the same output (streamed:
    the part of the read models its pass did not do)."""
    db = shared_db_url
    monkeypatch.setattr(ledger_audit, "IN_MEMORY", 0 if streamed else ledger_audit.IN_MEMORY)
    rich_ledger(db, tmp_path)
    execute(db, "UPDATE register_spells SET shares = 7 WHERE member = 'M06' AND known_to IS NULL")
    execute(db, "UPDATE governance_votes SET member = 'M77' WHERE member = 'M03'")
    alone = verify_beside(db, monkeypatch, worker=False)
    monkeypatch.setattr(beside, "mark", lambda conn, store: (os.getpid(),))  # the worker's: another
    found: list[list[ledger_audit.Finding] | None] = []
    monkeypatch.setattr(beside.Worker, "findings", _recording_findings(beside.Worker.findings, found))
    moved = verify_beside(db, monkeypatch, worker=True)
    assert found == [None]
    assert (moved.exit_code, moved.stdout, moved.stderr) == (alone.exit_code, alone.stdout, alone.stderr)
    assert "read model register_spells: BROKEN" in moved.stdout
    assert "read model governance_votes: BROKEN" in moved.stdout


def _recording_findings(findings: Any, found: list[list[ledger_audit.Finding] | None]) -> Any:
    def recorded(worker: beside.Worker) -> list[ledger_audit.Finding] | None:
        found.append(findings(worker))
        return found[-1]

    return recorded


def test_the_worker_streams_as_the_main_process_would(
    shared_db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`IN_MEMORY` reaches the worker: a ledger longer than it is read again there too."""
    db = shared_db_url
    rich_ledger(db, tmp_path)
    execute(db, "DELETE FROM register_movements WHERE member = 'M09'")
    monkeypatch.setattr(ledger_audit, "IN_MEMORY", 0)
    alone = verify_beside(db, monkeypatch, worker=False)
    beside_it = verify_beside(db, monkeypatch, worker=True)
    assert (beside_it.exit_code, beside_it.stdout, beside_it.stderr) == (
        alone.exit_code,
        alone.stdout,
        alone.stderr,
    )
    assert "member M09: a fresh fold gives a row the table lacks" in alone.stderr


def test_a_worker_only_for_a_long_ledger_another_process_can_open(tmp_path: Path) -> None:
    on_disk, in_memory = parse_database(f"sqlite:///{tmp_path / 'l.db'}"), parse_database("sqlite://")
    assert beside.worthwhile(on_disk, beside.BESIDE)
    assert not beside.worthwhile(on_disk, beside.BESIDE - 1)
    assert not beside.worthwhile(in_memory, beside.BESIDE)


def test_a_ledger_recorded_newest_year_first_is_folded_from_runs_on_disk(
    shared_db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A history imported newest year first keeps most of its entries aside for the rules'
    fold: written out in runs of three, they are merged back so that `verify` is clean, and
    refuses exactly what `validate.check` does once admissions are deleted under it."""
    db = shared_db_url
    lines = [*DEMO.read_text(encoding="utf-8").splitlines(), *map(json.dumps, EXTRA)]
    lines.sort(key=lambda line: -int(json.loads(line)["date"][:4]))  # stable: a year keeps its order
    journal = tmp_path / "newest-first.jsonl"
    journal.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    ok("import", str(journal), db=db)
    monkeypatch.setattr(aside_module, "SPILL", 3)
    store = Store(parse_database(db))
    try:
        entries = list(store.entries())
    finally:
        store.close()
    assert sum(1 for e in entries if e.date.year == 2024) > 3 * 3  # kept aside: several runs
    result = verify_in_process(db, monkeypatch, streamed=True)
    assert result.exit_code == 0, result.stdout + result.stderr
    admissions = [e.seq or 0 for e in entries if e.id in ("demo-006", "x-061")]
    _, expected, found = deleted_then_folded(db, admissions)
    assert expected and list(found.problems) == expected
