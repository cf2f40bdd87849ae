"""The largest cooperatives: every command on one big ledger, with its wall time and peak memory.

    .venv/bin/python bench/generate.py --members 5000000 --years 20 --seed 1 -o /tmp/j5m.jsonl
    .venv/bin/python bench/scale.py --journal /tmp/j5m.jsonl \\
        --db 'postgresql+psycopg://postgres@127.0.0.1:5432/test?schema=scale5m' --runs 3

Imports the journal into a fresh ledger once (at 5,000,000 members it takes a quarter of an
hour), then times each command `--runs` times as a real process (median, and the peak
resident memory of the slowest run, from the kernel's accounting of that child alone): a
month of 5,000 admissions imported as a file, then every command of `bench/workload.py`, the
same as `bench/run.py` times at 45,000 and 450,000 members, each after its untimed setup
(the writes add entries, so they add up: what they add is a rounding error at this size);
the commands that read every entry (`log`, `export`, `verify`) and `rebuild` `--heavy-runs`
times each. Each row also gives the load average after it. Prints a Markdown table, the
database's size per member, and the PostgreSQL plans of the read models' hot queries
(EXPLAIN), to show no query reads what it does not need.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from import_side_by_side import compile_tree  # bench/ is the script's folder, first on sys.path
from workload import COMMANDS, EVE, LAST_YEAR, prepared

HERE = Path(__file__).resolve().parent.parent
COOPLEDGER = str(Path(sys.executable).with_name("coopledger"))


@dataclass
class Timed:
    """One command's runs: wall seconds and peak resident memory (KiB) of each."""

    label: str
    walls: list[float] = field(default_factory=list)
    peaks: list[int] = field(default_factory=list)

    def row(self) -> str:
        wall = statistics.median(self.walls)
        peak = max(self.peaks) / 1024
        return f"| {self.label} | {wall:,.2f} | {len(self.walls)} | {peak:,.0f} |"


def run(db: str, *args: str) -> tuple[float, int]:
    """A real `coopledger` process: (wall seconds, its own peak RSS in KiB).

    Its output goes nowhere: held here, a 5,000,000-row register would grow this process, and
    Linux starts a child's peak RSS at its parent's size when it forks (the first measurements
    at 5,000,000 members read 668 MiB for every command after the register's)."""
    with tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        child = subprocess.Popen([COOPLEDGER, "--db", db, *args], stdout=subprocess.DEVNULL, stderr=err)
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - started
        err.seek(0)
        problem = err.read().decode()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"coopledger {' '.join(args)}: exit {os.waitstatus_to_exitcode(status)}\n{problem}")
    return wall, usage.ru_maxrss


# Names this invocation's new members, so that a run again on the same ledger (--skip-import)
# admits members no earlier run did, instead of being refused or matching entries already there.
RUN = f"{int(time.time()) % 100_000:05d}"


def output(db: str, args: Sequence[str]) -> str:
    """What a `coopledger` command prints, untimed (a timed command's setup)."""
    return subprocess.run([COOPLEDGER, "--db", db, *args], check=True, capture_output=True, text=True).stdout


def month_of_admissions(path: Path, year: int, month: int, count: int) -> None:
    """`count` admissions in one month, of members neither the journal nor an earlier run named."""
    with path.open("w") as journal:
        for n in range(1, count + 1):
            day = 1 + (n - 1) * 28 // count
            journal.write(
                json.dumps(
                    {
                        "type": "member.admitted",
                        "date": f"{year}-{month:02d}-{day:02d}",
                        "member": f"NEW{RUN}{month:02d}{n:05d}",
                        "name": f"New member {n}",
                        "category": "A",
                        "shares": 1,
                    }
                )
                + "\n"
            )


def explain(db: str, as_of: str, member: str) -> list[str]:
    """PostgreSQL's plans of the register as of a date, a member's lines, the board, the votes."""
    import psycopg

    url, _, query = db.replace("postgresql+psycopg://", "postgresql://").partition("?")
    schema = dict(part.split("=", 1) for part in query.split("&") if part).get("schema", "public")
    statements = {
        "register as of": (
            "SELECT * FROM register_spells WHERE valid_from <= %(d)s "
            "AND (valid_to IS NULL OR valid_to > %(d)s) AND known_to IS NULL AND status = 'member' "
            "ORDER BY member"
        ),
        "one member's lines": "SELECT * FROM register_spells WHERE member = %(m)s AND known_to IS NULL",
        "the board's mandates": "SELECT * FROM governance_mandates WHERE body = 'board' AND known_to IS NULL",
        "an assembly's votes": (
            "SELECT count(*) FROM governance_votes WHERE assembly = %(a)s AND known_to IS NULL"
        ),
    }
    plans = []
    with psycopg.connect(url, options=f"-csearch_path={schema}") as conn:
        for name, sql in statements.items():
            try:
                rows = conn.execute(
                    "EXPLAIN ANALYZE " + sql, {"d": as_of, "m": member, "a": f"AG{as_of[:4]}"}
                ).fetchall()
            except psycopg.Error as e:
                conn.rollback()
                plans.append(f"{name}: {e}")
                continue
            plans.append(f"{name}:\n" + "\n".join(f"    {row[0]}" for row in rows))
    return plans


def database_size(db: str) -> int | None:
    """Bytes of the ledger's tables and indexes (PostgreSQL: its schema; SQLite: the file)."""
    if db.startswith("sqlite:///"):
        path = Path(db.removeprefix("sqlite:///"))
        return path.stat().st_size if path.exists() else None
    import psycopg

    url, _, query = db.replace("postgresql+psycopg://", "postgresql://").partition("?")
    schema = dict(part.split("=", 1) for part in query.split("&") if part).get("schema", "public")
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c JOIN pg_namespace n "
            "ON n.oid = c.relnamespace WHERE n.nspname = %s AND c.relkind = 'r'",
            (schema,),
        ).fetchone()
    return int(row[0]) if row and row[0] is not None else None


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--journal", type=Path, required=True)
    parser.add_argument("--db", required=True, help="a ledger URL; imported into unless --skip-import")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--heavy-runs", type=int, default=3, help="runs of verify and rebuild (0: none)")
    parser.add_argument("--skip-import", action="store_true", help="the ledger already holds the journal")
    parser.add_argument(
        "--members", type=int, help="members at the end of the journal, for the size per member"
    )
    args = parser.parse_args()
    compile_tree(HERE)
    entries = sum(1 for _ in args.journal.open("rb"))
    print(f"# {args.journal.name}: {entries:,} lines; load average {os.getloadavg()}", flush=True)
    timed: list[Timed] = []

    def measure(label: str, runs: int, commands: Callable[[int], Sequence[str]]) -> None:
        if runs == 0:  # e.g. --heavy-runs 0: not measured this time
            return
        figure = Timed(label)
        for number in range(runs):
            wall, peak = run(args.db, *commands(number))
            figure.walls.append(wall)
            figure.peaks.append(peak)
        timed.append(figure)
        print(figure.row(), f"load {os.getloadavg()[0]:.1f}", flush=True)

    if not args.skip_import:
        measure(f"`import` ({entries:,} entries, once)", 1, lambda _: ("import", str(args.journal)))
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder)
        year = LAST_YEAR + 1
        months = [out / f"month-{n + 2:02d}.jsonl" for n in range(args.runs)]
        for n, path in enumerate(months):
            month_of_admissions(path, year, n + 2, 5_000)
        measure("a month of 5,000 admissions (`import`)", args.runs, lambda n: ("import", str(months[n])))
        for command in COMMANDS:  # every other command, each after its untimed setup
            runs = args.heavy_runs if command.kind == "read_all" else args.runs
            measure(command.shown, runs, lambda _, c=command: prepared(c, out, lambda a: output(args.db, a)))
    measure("`rebuild`", args.heavy_runs, lambda _: ("rebuild",))
    print("\n| command | median (s) | runs | peak memory (MiB) |\n| --- | ---: | ---: | ---: |")
    for figure in timed:
        print(figure.row())
    size = database_size(args.db)
    if size is not None:
        per_member = f", {size / args.members:,.0f} bytes per member" if args.members else ""
        print(f"\ndatabase: {size / 2**20:,.0f} MiB, {size / entries:,.0f} bytes per entry{per_member}")
    if not args.db.startswith("sqlite"):
        print("\n" + "\n".join(explain(args.db, EVE, "M000001")))


if __name__ == "__main__":
    main()
