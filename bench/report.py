"""How long `coopledger report --year Y --format json` takes, as a user waits for it.

Builds (once, then reuses) two ledgers with bench/generate.py and `coopledger import`:
the reference-shaped cooperative (45,600 members, ten years) and a synthetic one ten
times larger (450,000 members, ten years); then runs the report in a fresh process
five times on each and prints the median wall time against its budget (0.5 s and 3 s).

    python bench/report.py                      # SQLite files in $TMPDIR/coopledger-bench/
    python bench/report.py --work /tmp/bench --runs 7
    python bench/report.py --postgres postgresql+psycopg://postgres@127.0.0.1/bench

Run by hand, not in the tests: the first run generates and imports about 650,000
entries, which takes a few minutes. Standard library only.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


@dataclass(frozen=True)
class Ledger:
    """One benchmark ledger: how to generate it and how fast its report must be."""

    name: str
    generate: tuple[str, ...]
    members: int
    budget: float


LEDGERS = (
    Ledger("reference", ("--shape", "reference", "--years", "10"), 45_600, 0.5),
    Ledger("large", ("--members", "450000", "--years", "10"), 450_000, 3.0),
)


def cli(db: str, *args: str, capture: bool = False) -> subprocess.CompletedProcess[bytes]:
    command = [sys.executable, "-m", "coopledger.commands", "--db", db, *args]
    output = subprocess.PIPE if capture else subprocess.DEVNULL
    return subprocess.run(command, cwd=ROOT, stdout=output, stderr=subprocess.PIPE, check=True)


def build(ledger: Ledger, work: Path, db: str) -> None:
    """Generate the journal and import it, unless the ledger already holds it."""
    journal = work / f"{ledger.name}.jsonl"
    if not journal.exists():
        print(f"generating {journal.name} ...", file=sys.stderr)
        subprocess.run(
            [sys.executable, str(HERE / "generate.py"), *ledger.generate, "-o", str(journal)], check=True
        )
    report = cli(db, "report", "--year", "2025", "--format", "json", capture=True).stdout
    if json.loads(report)["provenance"]["last_seq"] == 0:
        print(f"importing {journal.name} into {db} ...", file=sys.stderr)
        cli(db, "import", str(journal))


def timed(db: str, year: int, runs: int) -> list[float]:
    """Wall time of whole `report` processes, after one warm-up run (it also catches up)."""
    cli(db, "report", "--year", str(year), "--format", "json")
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        cli(db, "report", "--year", str(year), "--format", "json")
        times.append(time.perf_counter() - started)
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Time `coopledger report --format json` on large ledgers.")
    parser.add_argument(
        "--work",
        type=Path,
        default=Path(tempfile.gettempdir()) / "coopledger-bench",
        help="where journals and SQLite files go (kept for the next run)",
    )
    parser.add_argument("--runs", type=int, default=5, help="timed runs per ledger (default 5)")
    parser.add_argument("--year", type=int, default=2025)
    parser.add_argument("--postgres", help="also on this PostgreSQL database (one schema per ledger)")
    args = parser.parse_args(argv)
    args.work.mkdir(parents=True, exist_ok=True)
    rows = []
    for ledger in LEDGERS:
        stores = [("sqlite", f"sqlite:///{args.work / ledger.name}.db")]
        if args.postgres:
            separator = "&" if "?" in args.postgres else "?"
            stores.append(("postgresql", f"{args.postgres}{separator}schema=bench_{ledger.name}"))
        for backend, db in stores:
            build(ledger, args.work, db)
            times = timed(db, args.year, args.runs)
            rows.append((ledger, backend, times))
    header = ("ledger", "members", "backend", "median s", "min s", "max s", "budget s")
    print("{:<10} {:>8} {:<10} {:>9} {:>7} {:>7} {:>9}  ok".format(*header))
    failed = False
    for ledger, backend, times in rows:
        median = statistics.median(times)
        ok = median < ledger.budget
        failed |= not ok
        print(
            f"{ledger.name:<10} {ledger.members:>8} {backend:<10} {median:>9.3f} {min(times):>7.3f} "
            f"{max(times):>7.3f} {ledger.budget:>9.1f}  {'yes' if ok else 'NO'}"
        )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
