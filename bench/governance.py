"""Benchmark governance on a 45,000-member ledger (SQLite): a large assembly's participation, board, show.

Builds the ledger once with bench/generate.py (10 years, seed 1) and `coopledger import`,
then for each of three runs copies it, convenes an assembly and times, as process wall
time of the real command line:

* `assembly vote AG --from-file voters.csv`: 1,600 members taking part, 200 of them by proxy,
  recorded in one transaction (rules checked, projections caught up);
* `board --as-of` and `assembly show` on that ledger.

Prints the median of the three runs against the targets (2 s, 0.5 s).

    python bench/governance.py [--members 45000] [--runs 3] [--workdir /tmp/coopledger-bench]
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from coopledger.ledger.database import parse_database
from coopledger.projections.read_models import open_engine
from coopledger.projections.register.queries import register_as_of

ROOT = Path(__file__).resolve().parent.parent

MEETING = dt.date(2026, 6, 16)
VOTERS, BY_PROXY = 1_600, 200
TARGETS = {"assembly vote --from-file (1,600 voters)": 2.0, "board --as-of": 0.5, "assembly show": 0.5}


def coopledger(db: Path, *args: str) -> float:
    """Run the command line once; its wall time in seconds."""
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "coopledger.commands", "--db", str(db), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"coopledger {' '.join(args)} failed:\n{done.stderr}")
    return elapsed


def build(members: int, workdir: Path) -> Path:
    """The generated ledger, imported once and kept for later runs."""
    ledger = workdir / f"ledger-{members}.db"
    if ledger.exists():
        return ledger
    journal = workdir / f"journal-{members}.jsonl"
    subprocess.run(
        [sys.executable, str(ROOT / "bench" / "generate.py"), "--members", str(members), "-o", str(journal)],
        check=True,
    )
    partial = workdir / "partial.db"
    partial.unlink(missing_ok=True)
    print(f"importing {journal.name} ({coopledger(partial, 'import', str(journal)):.1f} s)", file=sys.stderr)
    partial.rename(ledger)
    return ledger


def participation_list(ledger: Path, path: Path, seed: int) -> None:
    """1,600 members on the meeting day; the last 200 give their proxy to 200 of the others."""
    engine = open_engine(parse_database(f"sqlite:///{ledger}"))
    members = [row.member for row in register_as_of(engine, MEETING)]
    engine.dispose()
    chosen = random.Random(seed).sample(members, VOTERS)
    present, represented = chosen[: VOTERS - BY_PROXY], chosen[VOTERS - BY_PROXY :]
    holders = random.Random(seed + 1).sample(present, BY_PROXY)
    lines = [f"{m}," for m in present] + [f"{m},{h}" for m, h in zip(represented, holders, strict=True)]
    random.Random(seed + 2).shuffle(lines)  # proxies may come before their holders' own lines
    path.write_text("member,proxy\n" + "\n".join(lines) + "\n")


def run(ledger: Path, workdir: Path, number: int) -> dict[str, float]:
    db = workdir / f"run-{number}.db"
    shutil.copyfile(ledger, db)
    voters = workdir / f"voters-{number}.csv"
    participation_list(db, voters, number)
    coopledger(db, "assembly", "convene", "AG2026", "--date", MEETING.isoformat())
    return {
        "assembly vote --from-file (1,600 voters)": coopledger(
            db, "assembly", "vote", "AG2026", "--from-file", str(voters)
        ),
        "board --as-of": coopledger(db, "board", "--as-of", MEETING.isoformat()),
        "assembly show": coopledger(db, "assembly", "show", "AG2026"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--members", type=int, default=45_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/coopledger-bench"))
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    ledger = build(args.members, args.workdir)
    runs = [run(ledger, args.workdir, n) for n in range(1, args.runs + 1)]
    print(f"Governance on a {args.members:,}-member ledger (SQLite), median of {args.runs} runs\n")
    print(f"{'what':<42} {'median':>8} {'runs':>22} {'target':>8}  ok")
    for what, target in TARGETS.items():
        times = [r[what] for r in runs]
        spread = " ".join(f"{t:.2f}" for t in times)
        median = statistics.median(times)
        print(
            f"{what:<42} {median:>7.2f}s {spread:>22} {target:>7.1f}s  {'yes' if median < target else 'NO'}"
        )


if __name__ == "__main__":
    main()
