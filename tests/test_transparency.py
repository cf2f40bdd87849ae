"""The transparency log end to end, in real processes, on SQLite and PostgreSQL: keys, checkpoints,
cosignatures, verify against checkpoints, proofs, the auditor's bundle, and the tamper drills."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, run_cli
from tests.test_atomic_write import execute

DEMO = str(ROOT / "examples" / "demo.jsonl")


def ok(*args: str, db: str) -> subprocess.CompletedProcess[bytes]:
    result = run_cli(*args, db=db)
    assert result.returncode == 0, (args, result.stderr.decode())
    return result


def signed_ledger(db: str, tmp_path: Path) -> tuple[Path, Path]:
    """The demo imported, a key pair, one signed checkpoint: (checkpoint file, public key)."""
    ok("import", DEMO, db=db)
    ok("keygen", "--out", str(tmp_path / "keys"), "--name", "coop-example", db=db)
    taken = ok("checkpoint", "--sign", str(tmp_path / "keys" / "coop-example.key"), db=db)
    checkpoint = tmp_path / "ag-2025.txt"
    checkpoint.write_bytes(taken.stdout)
    return checkpoint, tmp_path / "keys" / "coop-example.pub"


def events_table(db: str) -> str:
    return "stored_events" if db.startswith("sqlite") else "coopledger_events"


def test_keygen_checkpoint_cosign_verify(shared_db_url: str, tmp_path: Path) -> None:
    db = shared_db_url
    checkpoint, public = signed_ledger(db, tmp_path)
    lines = checkpoint.read_text().split("\n")
    assert lines[0].startswith("coopledger/ledger/") and lines[1] == "53" and lines[3] == ""
    assert lines[4].startswith("\u2014 coop-example ")
    assert (tmp_path / "keys" / "coop-example.key").stat().st_mode & 0o777 == 0o600
    ok("keygen", "--out", str(tmp_path / "witness"), "--name", "auditor", db=db)
    ok("checkpoint", "cosign", str(checkpoint), "--key", str(tmp_path / "witness" / "auditor.key"), db=db)
    assert "\u2014 auditor " in checkpoint.read_text()
    verified = ok(
        "verify", "--checkpoint", str(checkpoint), "--key", str(tmp_path / "witness" / "auditor.pub"), db=db
    )
    assert b"checkpoints (1 extended): ok" in verified.stdout
    ok("record", "member.admitted", "--member", "M99", "--name", "New One", "--category", "A",
       "--shares", "1", "--date", "2025-06-02", db=db)  # fmt: skip
    since = ok("log", "--since-checkpoint", str(checkpoint), "--format", "csv", db=db).stdout
    assert since.count(b"\n") == 2 and b"M99" in since
    known = ok("register", "--known-at", str(checkpoint), "--as-of", "2025-12-31", "--format", "csv", db=db)
    assert b"M99" not in known.stdout
    assert b"M99" in ok("register", "--as-of", "2025-12-31", "--format", "csv", db=db).stdout
    assert b"checkpoints (1 extended): ok" in ok("verify", db=db).stdout  # the recorded one
    ok("verify", "--checkpoint", str(checkpoint), "--key", str(public), db=db)
    # a forged signature
    forged = tmp_path / "forged.txt"
    text = checkpoint.read_text()
    forged.write_text(text.replace("\n53\n", "\n52\n"))
    refused = run_cli("verify", "--checkpoint", str(forged), "--key", str(public), db=db)
    assert refused.returncode == 1
    assert b"forged.txt: the signature of coop-example does not match the note" in refused.stderr


def test_a_rewritten_history_passes_verify_but_not_its_checkpoint(shared_db_url: str, tmp_path: Path) -> None:
    db = shared_db_url
    checkpoint, public = signed_ledger(db, tmp_path)
    exported = ok("export", db=db).stdout.decode().splitlines()
    entry = json.loads(exported[4])
    entry["ref"] = "rewritten"
    exported[4] = json.dumps(entry)
    rewritten = tmp_path / "rewritten.jsonl"
    rewritten.write_text("\n".join(exported) + "\n")
    other = f"sqlite:///{tmp_path / 'other.db'}"
    ok("import", str(rewritten), db=other)
    ok("verify", db=other)  # every hash recomputed: consistent with itself
    caught = run_cli("verify", "--checkpoint", str(checkpoint), "--key", str(public), db=other)
    assert caught.returncode == 1
    assert b"ag-2025.txt: the ledger does not extend it" in caught.stderr


def _edit(db: str, old: str = "M02", new: str = "M0X") -> str:
    if db.startswith("sqlite"):
        return f"CAST(replace(state, '{old}', '{new}') AS BLOB)"
    return f"convert_to(replace(convert_from(state, 'UTF8'), '{old}', '{new}'), 'UTF8')"


DRILLS = {
    "payload byte edited": ["UPDATE {t} SET state = {edit} WHERE originator_version = 3"],
    "middle row deleted": ["DELETE FROM {t} WHERE originator_version = 20"],
    "last row deleted": ["DELETE FROM {t} WHERE originator_version = 53"],
    "two rows swapped": [
        "UPDATE {t} SET originator_version = -1 WHERE originator_version = 10",
        "UPDATE {t} SET originator_version = 10 WHERE originator_version = 11",
        "UPDATE {t} SET originator_version = 11 WHERE originator_version = -1",
    ],
    "hash edited": ["UPDATE coop_entries SET hash = '{zeros}' WHERE seq = 7"],
    "recorded time moved": ["UPDATE {t} SET state = {moved} WHERE originator_version = 5"],
}


@pytest.mark.parametrize("drill", DRILLS)
def test_tamper_drills(shared_db_url: str, tmp_path: Path, drill: str) -> None:
    db = shared_db_url
    signed_ledger(db, tmp_path)
    moved = _edit(db, '"recorded":"2', '"recorded":"1')
    execute(
        db,
        *(s.format(t=events_table(db), edit=_edit(db), moved=moved, zeros="0" * 64) for s in DRILLS[drill]),
    )
    verified = run_cli("verify", db=db)
    assert verified.returncode == 1, drill
    assert b"BROKEN" in verified.stdout and verified.stderr.strip(), drill
    if drill == "payload byte edited":  # the stored tree is the tree of the entries before
        assert b"Merkle tree (coop_tree): BROKEN" in verified.stdout
    if b"Merkle tree (coop_tree): BROKEN" in verified.stdout:  # the checkpoint rests on that tree
        assert b"checkpoints (1 extended): BROKEN" in verified.stdout, drill
        assert b"the entries are not shown to extend them" in verified.stderr, drill


def test_proofs_and_the_bundle(shared_db_url: str, tmp_path: Path) -> None:
    db = shared_db_url
    checkpoint, public = signed_ledger(db, tmp_path)
    proof = tmp_path / "M09.json"
    ok("prove", "--member", "M09", "--checkpoint", str(checkpoint), "-o", str(proof), db=db)
    document = json.loads(proof.read_text())
    assert document["tree_size"] == 53 and all("M09" in item["line"] for item in document["entries"])
    bundle = tmp_path / "bundle"
    ok("export", "--bundle", str(bundle), "--without-personal-data", db=db)
    script = str(bundle / "verify_bundle.py")
    checked = subprocess.run([sys.executable, "-I", "-S", script, str(bundle)], capture_output=True)
    assert checked.returncode == 0, checked.stderr
    for year in (2024, 2025):  # the year's membership figures, recomputed by the script alone
        run = [sys.executable, "-I", "-S", script, str(bundle), "--year", str(year)]
        printed = subprocess.run(run, capture_output=True, check=True).stdout.decode()
        figures = json.loads(printed.split(f"figures of {year}: ", 1)[1].splitlines()[0])
        report = json.loads(ok("report", "--year", str(year), "--format", "json", db=db).stdout)["members"]
        for name in ("at_start", "by_category_at_start", "admitted", "resigned", "left_by_right", "excluded",
                     "total_at_end", "by_category_at_end"):  # fmt: skip
            assert figures[name] == report[name], (year, name)
    full = tmp_path / "full"  # a full export's lines: personal data cut off the leaves
    ok("export", "--bundle", str(full), db=db)
    assert b'"personal":' in (full / "journal.jsonl").read_bytes()
    checked = subprocess.run([sys.executable, "-I", "-S", script, str(full)], capture_output=True)
    assert checked.returncode == 0, checked.stderr
    member = subprocess.run(
        [sys.executable, "-I", "-S", script, "--proof", str(proof), "--checkpoint", str(checkpoint),
         "--key", str(public)], capture_output=True)  # fmt: skip
    assert member.returncode == 0, member.stderr
    # a proof for an entry not in the tree
    ok("record", "member.admitted", "--member", "M99", "--name", "New One", "--category", "A",
       "--shares", "1", "--date", "2025-06-02", db=db)  # fmt: skip
    late = run_cli("prove", "--entry", "#54", "--checkpoint", str(checkpoint), db=db)
    assert late.returncode == 1 and b"not in the checkpoint's tree of 53" in late.stderr
    item = document["entries"][0]
    item["index"] = 53
    item["line"] = item["line"].replace('"seq":18', '"seq":54')
    proof.write_text(json.dumps(document))
    forged = subprocess.run(
        [sys.executable, "-I", "-S", script, "--proof", str(proof), "--checkpoint", str(checkpoint)],
        capture_output=True,
    )
    assert forged.returncode == 1
    journal = bundle / "journal.jsonl"
    data = bytearray(journal.read_bytes())
    data[200] = ord("7") if data[200] != ord("7") else ord("8")
    journal.write_bytes(bytes(data))
    broken = subprocess.run([sys.executable, "-I", "-S", script, str(bundle)], capture_output=True)
    assert broken.returncode == 1 and broken.stderr.startswith(b"verify_bundle: ")
