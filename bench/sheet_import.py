"""Spreadsheet import beside JSON Lines import of the same entries (issue 13), side by side.

    .venv/bin/python bench/sheet_import.py --rounds 3

The reference-shaped journal (bench/generate.py --shape reference, 45,600 members at the
end of 2025) is imported into a ledger; its register on 2025-12-31 is printed as CSV
(`register --format csv`) and as the legal register (`register --format xlsx`). Each is then
imported into a fresh empty SQLite ledger, alternating with a JSON Lines file of the very
entries a register sheet gives (each member admitted on their admission date, their paid-up
capital paid that day), so that a machine shared with other work slows all three alike.
Checks on the way: each import gives the source's register, and importing the same sheet a
second time adds nothing. Prints each run's wall time, then the medians and the ratios.
"""

from __future__ import annotations

import argparse
import csv
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
AS_OF = "2025-12-31"


def coopledger(db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "coopledger.commands", "--db", f"sqlite:///{db}", *args]
    done = subprocess.run(command, capture_output=True, text=True, env={"COOPLEDGER_TODAY": "2026-01-01"})
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args)}: exit {done.returncode}\n{done.stderr}")
    return done


def journal_of(register_csv: Path, target: Path) -> None:
    """The JSON Lines journal of a register sheet's entries (as `commands/sheets.py` reads it)."""
    with register_csv.open(encoding="utf-8") as rows, target.open("w", encoding="utf-8") as out:
        for row in csv.DictReader(rows):
            admitted = {
                "type": "member.admitted",
                "date": row["admitted"],
                "member": row["member"],
                "name": row["name"].removeprefix("'"),
                "category": row["category"],
                "shares": int(row["shares"]),
                "founder": row["founder"] == "yes",
            }
            out.write(json.dumps(admitted, ensure_ascii=False) + "\n")
            if row["paid_up"] not in ("0.00", ""):
                paid = {"type": "shares.paid", "date": row["admitted"], "member": row["member"]}
                out.write(json.dumps({**paid, "amount": row["paid_up"]}) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=3)
    options = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    source_journal = OUT / "journal-reference-10y-s1.jsonl"
    if not source_journal.exists():
        generate = [sys.executable, str(ROOT / "bench" / "generate.py"), "--shape", "reference"]
        subprocess.run([*generate, "--years", "10", "--seed", "1", "-o", str(source_journal)], check=True)
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        source = tmp / "source.db"
        coopledger(source, "import", str(source_journal))
        register = coopledger(source, "register", "--as-of", AS_OF, "--format", "csv").stdout
        files = {"csv": tmp / "register.csv", "xlsx": tmp / "register.xlsx", "jsonl": tmp / "register.jsonl"}
        files["csv"].write_text(register, encoding="utf-8")
        coopledger(source, "register", "--as-of", AS_OF, "--format", "xlsx", "-o", str(files["xlsx"]))
        journal_of(files["csv"], files["jsonl"])
        members = len(register.splitlines()) - 1
        print(
            f"register on {AS_OF}: {members:,} members; files: "
            + ", ".join(f"{kind} {path.stat().st_size / 1e6:.1f} MB" for kind, path in files.items())
        )
        times: dict[str, list[float]] = {kind: [] for kind in files}
        for round_ in range(options.rounds):
            order = list(files) if round_ % 2 == 0 else list(reversed(files))
            for kind in order:
                target = tmp / f"{kind}-{round_}.db"
                started = time.perf_counter()
                done = coopledger(target, "import", str(files[kind]))
                times[kind].append(time.perf_counter() - started)
                if round_ == 0:
                    again = coopledger(target, "import", str(files[kind])).stdout
                    assert " 0 entries added" in again, again
                    got = coopledger(target, "register", "--as-of", AS_OF, "--format", "csv").stdout
                    assert got == register, f"{kind}: the register differs"
                print(f"round {round_ + 1} {kind:5}: {times[kind][-1]:6.2f} s  {done.stdout.strip()}")
                target.unlink()
        medians = {kind: statistics.median(values) for kind, values in times.items()}
        print()
        print("| file | median import | vs JSON Lines |")
        print("| --- | ---: | ---: |")
        for kind, median in medians.items():
            print(f"| {kind} | {median:.2f} s | {median / medians['jsonl']:.2f}x |")
        print("\neach sheet imported again added nothing, and gave the source's register")


if __name__ == "__main__":
    main()
