"""A ledger recorded far out of date order beside the same ledger in order: time and peak memory.

    .venv/bin/python bench/out_of_order.py --members 450000 [--before /tmp/old] [--runs 3] [--pg URL]

The journal is bench/run.py's (`--members N --years 10 --seed 1`, cached in bench/out/), and
the same lines newest year first: a year keeps its own order, so every line is accepted as in
the original, but each year's entries are recorded after the later years'. Each ledger is
imported once (SQLite in a temporary folder, or with `--pg URL` a PostgreSQL schema each,
dropped at the end; its time and peak are a figure too), then
`verify` and a dry-run amendment of `min_shares.A` dated back to the founding year run on it
`--runs` times, alternating ledgers (and trees, with `--before`); this tree also imports the
newest-first journal with `--in-date-order`, once. Peak memory is the
process's own maximum resident set (`wait4`), as `/usr/bin/time -f %M` gives it. Prints a
Markdown table of medians.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

from import_side_by_side import compile_tree  # bench/ is the script's folder, first on sys.path
from run import HERE, PgInfo, Stores, Tree, journal_for, older_tree, this_tree
from workload import FIRST_YEAR

AMENDMENT = {"type": "statutes.amended", "parameter": "min_shares.A", "value": 1}


def newest_first(journal: Path, target: Path) -> None:
    """The journal's lines, newest year first, each year's in their own order."""
    with journal.open("rb") as lines:
        keyed = [(-int(json.loads(line)["date"][:4]), n, line) for n, line in enumerate(lines)]
    keyed.sort()
    with target.open("wb") as out:
        out.writelines(line for _, _, line in keyed)


def measured(tree: Tree, *arguments: str, expect: int = 0) -> tuple[float, float]:
    """Wall seconds and peak MiB of one coopledger process of `tree`, which must exit `expect`."""
    env = {**os.environ, "PYTHONPATH": tree.pythonpath} if tree.pythonpath else None
    started = time.perf_counter()
    child = subprocess.Popen(
        [*tree.program, *arguments],
        cwd=tree.cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    error = child.stderr.read().decode(errors="replace") if child.stderr else ""
    if child.returncode != expect:
        raise SystemExit(f"exit {child.returncode}: {' '.join(arguments)}\n{error}")
    return wall, usage.ru_maxrss / 1024


def main() -> None:
    with_stores(__doc__ or "", 3, measure)


def with_stores(
    doc: str, runs: int, measure: Callable[[argparse.Namespace, Stores], None], cases: bool = False
) -> None:
    """Parse a side-by-side bench's options (`--members --runs --before --pg`, and with `cases`
    `--case TEXT`, repeatable: the cases whose name holds one), then measure with its stores,
    which are removed (or dropped) at the end."""
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    if cases:
        parser.add_argument("--case", action="append", default=[], help="only the cases naming this")
    parser.add_argument("--members", type=int, default=450_000)
    parser.add_argument("--runs", type=int, default=runs)
    parser.add_argument("--before", type=Path, help="a worktree of an older commit, measured beside")
    parser.add_argument(
        "--pg", help="a PostgreSQL base URL: the ledgers there, a schema each (default SQLite)"
    )
    args = parser.parse_args()
    stores = Stores(PgInfo.parse(args.pg) if args.pg else None)
    try:
        measure(args, stores)
    finally:
        stores.close()


def compared_trees(args: argparse.Namespace, stores: Stores) -> list[Tree]:
    """This tree, and `--before`'s if given, compiled as an installed package is."""
    trees = [this_tree()]
    if args.before is not None:
        compile_tree(args.before.resolve())
        trees.append(older_tree(args.before.resolve(), stores.tmp / "links"))
    compile_tree(HERE.parent)
    return trees


def ledger_url(stores: Stores, label: str) -> str:
    """A ledger of its own: an SQLite file in the temporary folder, or a PostgreSQL schema."""
    if stores.pg is None:
        return f"sqlite:///{stores.sqlite_path(label)}"
    return stores.pg_url(stores.pg_schema(label.replace("-", "_")))


def measure(args: argparse.Namespace, stores: Stores) -> None:
    """Import both journals with each tree, then verify and amend each ledger `--runs` times."""

    def ledger(label: str) -> str:
        return ledger_url(stores, label)

    folder = stores.tmp
    trees = compared_trees(args, stores)
    journals = {"in date order": journal_for(args.members), "newest year first": folder / "newest.jsonl"}
    newest_first(journals["in date order"], journals["newest year first"])
    amendment = folder / "amendment.jsonl"
    amendment.write_text(json.dumps({**AMENDMENT, "date": f"{FIRST_YEAR}-02-01"}) + "\n", encoding="utf-8")
    figures: dict[tuple[str, str, str], list[tuple[float, float]]] = defaultdict(list)
    ledgers = {}
    for tree in trees:
        for order, journal in journals.items():
            db = ledger(f"{tree.label or 'this'}-{order.replace(' ', '-')}")
            figures[tree.label, order, "import"].append(measured(tree, "--db", db, "import", str(journal)))
            ledgers[tree.label, order] = db
            print(f"imported {order} with {tree.label or 'this tree'}", file=sys.stderr, flush=True)
    # This tree's way with such a file: recorded by date, a part at a time.
    by_date = ledger("by-date")
    newest = str(journals["newest year first"])
    figures["", "newest year first", "import --in-date-order"].append(
        measured(trees[0], "--db", by_date, "import", "--in-date-order", newest)
    )
    work = {"verify": ("verify",), "amendment (dry run)": ("import", "--dry-run", str(amendment))}
    for run in range(args.runs):
        for (label, order), db in sorted(ledgers.items(), reverse=run % 2 == 1):
            tree = next(tree for tree in trees if tree.label == label)
            for name, arguments in work.items():
                figures[label, order, name].append(measured(tree, "--db", db, *arguments))
        print(f"run {run + 1} of {args.runs} done", file=sys.stderr, flush=True)
    backend = "SQLite" if stores.pg is None else "PostgreSQL"
    print(f"\n{args.members:,} members, {backend}; import once, then medians of {args.runs}\n")
    print("| coopledger | ledger | command | wall (s) | peak (MiB) |")
    print("| --- | --- | --- | ---: | ---: |")
    for (label, order, name), values in figures.items():
        wall = statistics.median(w for w, _ in values)
        peak = statistics.median(p for _, p in values)
        print(f"| {label or 'this tree'} | {order} | {name} | {wall:,.2f} | {peak:,.0f} |")


if __name__ == "__main__":
    main()
