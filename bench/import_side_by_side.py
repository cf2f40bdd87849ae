"""Import speed, side by side: an older commit's coopledger against this tree's, alternating.

    git worktree add /tmp/before 0f9a88e
    .venv/bin/python bench/import_side_by_side.py --before /tmp/before \\
        --journal bench/out/journal-reference-10y-s1.jsonl --backend sqlite --pairs 5

Each run imports the journal into a fresh empty ledger (a new SQLite file in a temporary
folder, or a new PostgreSQL schema dropped afterwards) with the real command line, in a
process of its own; before and now alternate (before first in odd pairs, now first in
even ones), so that a machine shared with other work slows both alike. Prints each run's
wall and CPU time (user + system of the process), then the medians and the ratio now/before.
Both trees are byte-compiled first, so that neither pays for compiling its modules.

The older tree runs from its folder as `python -m commands` (before the packaging change
its modules were top-level `ledger`, `commands`); `--before-module coopledger.commands`
for a tree of the packaged layout. "Now" is this repository (the installed package),
or `--now TREE`, another worktree of the packaged layout, run through a link tree
`coopledger/{ledger,projections,commands,reports}` (as `make lint` does for mypy).
"""

from __future__ import annotations

import argparse
import atexit
import compileall
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
POSTGRES = os.environ.get("COOPLEDGER_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def _drop(schema: str) -> None:
    import psycopg

    url = POSTGRES.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def link_tree(tree: Path, folder: Path) -> Path:
    """A folder whose `coopledger` package is the packaged layout's four folders in `tree`."""
    package = folder / "coopledger"
    package.mkdir(parents=True, exist_ok=True)
    for name in ("ledger", "projections", "commands", "reports"):
        (package / name).symlink_to(tree / name)
    return folder


def compile_tree(tree: Path) -> None:
    """Write the bytecode of `tree`'s four folders, so that its commands run from it as an installed
    package does: an editable install under PYTHONDONTWRITEBYTECODE (as on these machines)
    compiles every coopledger module from source on each start, 40-60 ms of a `board`."""
    for name in ("ledger", "projections", "commands", "reports"):
        compileall.compile_dir(tree / name, quiet=1)


def run_once(
    which: str, tree: Path, module: str, path: Path | None, journal: Path, backend: str
) -> tuple[float, float]:
    """One import into a fresh ledger: (wall seconds, CPU seconds of the child)."""
    with tempfile.TemporaryDirectory() as folder:
        schema = f"sbs_{uuid.uuid4().hex[:12]}"
        url = f"sqlite:///{folder}/ledger.db" if backend == "sqlite" else f"{POSTGRES}?schema={schema}"
        env = dict(os.environ)
        env.pop("PYTHONPATH", None)
        if path is not None:
            env["PYTHONPATH"] = str(path)
        command = [sys.executable, "-m", module, "--db", url, "import", str(journal)]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        done = subprocess.run(command, cwd=tree, env=env, capture_output=True, text=True)
        wall = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if backend == "postgresql":
            _drop(schema)
        if done.returncode != 0:
            raise SystemExit(f"{which}: exit {done.returncode}\n{done.stderr}")
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--before", type=Path, required=True, help="worktree of the older commit")
    parser.add_argument("--before-module", default="commands")
    parser.add_argument("--now", type=Path, help="worktree of the packaged layout (default: this one)")
    parser.add_argument("--journal", type=Path, required=True)
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--pairs", type=int, default=5)
    args = parser.parse_args()
    journal = args.journal.resolve()
    entries = sum(1 for line in journal.open("rb") if line.strip())
    links = Path(tempfile.mkdtemp(prefix="sbs-links-"))
    atexit.register(shutil.rmtree, links, ignore_errors=True)
    before = args.before.resolve()
    before_path = before if args.before_module == "commands" else link_tree(before, links / "before")
    now = args.now.resolve() if args.now else HERE
    now_path = link_tree(now, links / "now") if args.now else None
    for tree in (before, now):
        compile_tree(tree)
    sides = {
        "before": (before, args.before_module, before_path),
        "now": (now, "coopledger.commands", now_path),
    }
    times: dict[str, list[tuple[float, float]]] = {"before": [], "now": []}
    for pair in range(args.pairs):
        order = ("before", "now") if pair % 2 == 0 else ("now", "before")
        for which in order:
            tree, module, path = sides[which]
            wall, cpu = run_once(which, tree, module, path, journal, args.backend)
            times[which].append((wall, cpu))
            print(f"pair {pair + 1} {which:6} wall {wall:6.2f} s  cpu {cpu:6.2f} s", flush=True)
    print(f"{args.backend}, {journal.name} ({entries:,} entries), medians of {args.pairs}:")
    medians = {}
    for which in ("before", "now"):
        wall = statistics.median(w for w, _ in times[which])
        cpu = statistics.median(c for _, c in times[which])
        medians[which] = (wall, cpu)
        least = min(w for w, _ in times[which]), min(c for _, c in times[which])
        print(
            f"  {which:6} wall {wall:6.2f} s ({entries / wall:,.0f} entries/s)  cpu {cpu:6.2f} s"
            f"  (fastest: wall {least[0]:.2f} s, cpu {least[1]:.2f} s)"
        )
    ratios = [n[0] / b[0] for b, n in zip(times["before"], times["now"], strict=True)]
    print(
        f"  now/before: wall {medians['now'][0] / medians['before'][0]:.3f} "
        f"(median of the pairs' ratios {statistics.median(ratios):.3f}), "
        f"cpu {medians['now'][1] / medians['before'][1]:.3f}"
    )


if __name__ == "__main__":
    main()
