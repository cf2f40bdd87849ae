"""Refused imports of a long journal: time and peak memory, this tree beside an older one.

    .venv/bin/python bench/refused.py --members 450000 [--before /tmp/old] [--runs 2] [--pg URL] [--case TEXT]

The journal is bench/run.py's (`--members N --years 10 --seed 1`, cached in bench/out/), with
one line added at its end that the ledger refuses: a payment of a member who does not exist
(refused by the rules), imported as it is and with `--in-date-order`, and in the middle of the
journal, with the retraction of another member's entry (the journal's first change of an
address) at its end, which cannot change that refusal; and a payment given the id of the
journal's second line (refused before the rules: the id is used twice); and a journal
assertion of no member at all on the last day (refused once the register is written). Each case
runs `--runs` times, alternating trees, into an empty ledger (SQLite in a temporary folder,
or with `--pg URL` a PostgreSQL schema each, dropped at the end), and must exit 1 with the
ledger left empty: a refused file writes nothing. Peak memory is the process's own maximum
resident set (`wait4`), as `/usr/bin/time -f %M` gives it. Prints a Markdown table of medians.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from collections import defaultdict
from pathlib import Path

from out_of_order import compared_trees, ledger_url, measured, with_stores
from run import Stores, journal_for

NOBODY = {"type": "shares.paid", "member": "NOBODY", "amount": "25.00"}
UPDATED = "the journal's first member.updated"  # stands for its id in a retraction
MIDDLE = "in the middle"  # a line so marked goes after the journal's middle line, on its date
# The lines each case adds at the end of the journal, and the import's options.
CASES: dict[str, tuple[list[dict[str, object]], tuple[str, ...]]] = {
    "a rule refuses the last line": ([NOBODY], ()),
    "the same, --in-date-order": ([NOBODY], ("--in-date-order",)),
    "the same in the middle, another member's entry retracted at the end": (
        [{**NOBODY, MIDDLE: True}, {"type": "entry.retracted", "entry": UPDATED, "reason": "entered twice"}],
        (),
    ),
    "the last line's id is used twice": ([{**NOBODY, "member": "M000002", "id": "g0000002"}], ()),
    "the last line asserts no member at all": ([{"type": "assert.members", "count": 0}], ()),
}


def refused_journal(journal: Path, target: Path, lines: list[dict[str, object]]) -> None:
    """The journal with `lines` added at its end, dated its last day (or `MIDDLE`)."""
    journal_lines = journal.read_bytes().splitlines(keepends=True)
    middle = len(journal_lines) // 2
    updated = next(json.loads(line)["id"] for line in journal_lines if b'"member.updated"' in line)
    ends: dict[bool, list[bytes]] = {True: [], False: []}
    for line in lines:
        placed = {key: value for key, value in line.items() if key != MIDDLE}
        placed["date"] = json.loads(journal_lines[middle - 1 if MIDDLE in line else -1])["date"]
        if placed.get("entry") == UPDATED:
            placed["entry"] = updated
        ends[MIDDLE in line].append(json.dumps(placed).encode() + b"\n")
    ordered = [*journal_lines[:middle], *ends[True], *journal_lines[middle:], *ends[False]]
    target.write_bytes(b"".join(ordered))


def main() -> None:
    with_stores(__doc__ or "", 2, measure, cases=True)


def measure(args: argparse.Namespace, stores: Stores) -> None:
    """Each case with each tree, `--runs` times, alternating; the ledgers must stay empty."""
    folder = stores.tmp
    trees = compared_trees(args, stores)
    journal = journal_for(args.members)
    files = {}
    cases = {name: case for name, case in CASES.items() if not args.case or any(c in name for c in args.case)}
    for number, (case, (lines, _)) in enumerate(cases.items()):
        files[case] = folder / f"refused-{number}.jsonl"
        refused_journal(journal, files[case], lines)
    figures: dict[tuple[str, str], list[tuple[float, float]]] = defaultdict(list)
    for run in range(args.runs):
        for tree in trees if run % 2 == 0 else trees[::-1]:
            for number, (case, (_, options)) in enumerate(cases.items()):
                db = ledger_url(stores, f"{tree.label or 'this'}-{number}-{run}")
                arguments = ("--db", db, "import", *options, str(files[case]))
                figures[tree.label, case].append(measured(tree, *arguments, expect=1))
                measured(tree, "--db", db, "show", "1", expect=1)  # no entry: nothing was written
        print(f"run {run + 1} of {args.runs} done", file=sys.stderr, flush=True)
    backend = "SQLite" if stores.pg is None else "PostgreSQL"
    print(f"\n{args.members:,} members, {backend}; medians of {args.runs}\n")
    print("| coopledger | case | wall (s) | peak (MiB) |")
    print("| --- | --- | ---: | ---: |")
    for (label, case), values in sorted(figures.items(), key=lambda item: list(CASES).index(item[0][1])):
        wall = statistics.median(w for w, _ in values)
        peak = statistics.median(p for _, p in values)
        print(f"| {label or 'this tree'} | {case} | {wall:,.2f} | {peak:,.0f} |")


if __name__ == "__main__":
    main()
