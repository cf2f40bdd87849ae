"""Where `verify`'s time goes: the whole command's CPU, and each check's, one at a time.

    .venv/bin/python bench/verify_parts.py --db 'postgresql+psycopg://postgres@127.0.0.1:5432/test?schema=scale5m'
    .venv/bin/python bench/verify_parts.py --db /tmp/ledger.db --parts-only

First one real `coopledger verify` (unless --parts-only): its wall time, the CPU of its two
processes (user + system, from the kernel's accounting of children), and, on a local
PostgreSQL server, the CPU of the server's processes meanwhile (sampled from /proc, since a
backend's CPU is in no view of the server and ends with its connection). Then each part of
`verify` alone, in this process, in a snapshot of its own: reading and decoding every entry,
and on top of that each check of the main pass (chain, indexes, tree, identities); the rules'
fold (the pass, then the entries read again); the members' and the bodies' read models (their
timelines through `coop_subjects`, refolded and compared). A part's figure is wall and CPU
seconds; the checks of the main pass are given beyond the bare read. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import gc
import os
import resource
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from import_side_by_side import compile_tree  # bench/ is the script's folder, first on sys.path

from coopledger.commands.context import App, db_url
from coopledger.ledger import scan
from coopledger.ledger.audit import Chain, Check, Identities, Indexes, Pass, Rules, Stored, Tree
from coopledger.ledger.events import decode
from coopledger.ledger.store import Store
from coopledger.ledger.tree import leaf_data
from coopledger.projections.audit import BODIES, REGISTER, ReadModels, check_subjects

HERE = Path(__file__).resolve().parent.parent
COOPLEDGER = str(Path(sys.executable).with_name("coopledger"))
TICKS = os.sysconf("SC_CLK_TCK")


def _server_cpu() -> dict[int, float]:
    """CPU seconds so far of every PostgreSQL process on this machine, by pid."""
    found = {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/stat", "rb") as stat:
                fields = stat.read().rsplit(b")", 1)[1].split()
            with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
                if not cmdline.read().startswith(b"postgres"):
                    continue
        except OSError:
            continue
        found[int(pid)] = (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime
    return found


@contextmanager
def server_cpu() -> Iterator[list[float]]:
    """The CPU the server's processes spend inside the block (sampled every 0.2 s, so a backend
    that starts and ends between two samples is missed): one number, in the list yielded."""
    before, last, done = _server_cpu(), {}, threading.Event()

    def sample() -> None:
        while not done.wait(0.2):
            last.update(_server_cpu())

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    spent: list[float] = []
    try:
        yield spent
    finally:
        done.set()
        thread.join()
        last.update(_server_cpu())
        spent.append(sum(cpu - before.get(pid, 0.0) for pid, cpu in last.items()))


def whole(url: str) -> tuple[float, float, float | None]:
    """One real `coopledger verify`: wall, the CPU of its processes, the server's CPU."""
    start = resource.getrusage(resource.RUSAGE_CHILDREN)
    with server_cpu() as server:
        began = time.perf_counter()
        subprocess.run([COOPLEDGER, "--db", url, "verify"], check=True, stdout=subprocess.DEVNULL)
        wall = time.perf_counter() - began
    end = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = end.ru_utime - start.ru_utime + end.ru_stime - start.ru_stime
    return wall, cpu, server[0] if url.startswith("postgresql") else None


def timed(work: Callable[[], object]) -> tuple[float, float]:
    gc.collect()
    began, cpu = time.perf_counter(), time.process_time()
    work()
    return time.perf_counter() - began, time.process_time() - cpu


def main_pass(store: Store, make: Callable[[Pass], list[Check]]) -> Callable[[], object]:
    """The main pass with these checks only: every entry read, decoded and shown to them."""

    def run() -> None:
        with scan.snapshot(store) as conn:
            shared = Pass(conn, store, lambda _: None)
            checks = make(shared)
            for position, state in enumerate(store.states(), start=1):
                state = bytes(state)
                entry = decode(state)
                stored = Stored(position, state, leaf_data(state))
                for check in checks:
                    check.see(entry, stored)
            for check in checks:
                check.findings()

    return run


def rules(store: Store) -> Callable[[], object]:
    """The rules' fold as a long ledger's `verify` runs it: seen in the pass, folded after it
    over the entries read again."""

    def run() -> None:
        with scan.snapshot(store) as conn:
            shared = Pass(conn, store, lambda _: None, limit=0)
            check = Rules(shared)
            for position, entry in enumerate(shared.reading(), start=1):
                check.see(entry, Stored(position, b"", b""))
            check.findings()

    return run


def read_models(store: Store) -> Callable[[], object]:
    """The members' and the bodies' rows against their folds, as `verify`'s worker compares them."""

    def run() -> None:
        with scan.snapshot(store) as conn:
            shared = Pass(conn, store, lambda _: None, limit=0)
            shared.entries = None
            diffs = ReadModels(shared).diffs
            for fold in (REGISTER, BODIES):
                check_subjects(shared, fold, diffs, scan.timelines(conn, store, fold.prefix))

    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", required=True, help="a ledger URL or SQLite path")
    parser.add_argument("--parts-only", action="store_true", help="not the whole command")
    args = parser.parse_args()
    url = db_url(args.db)
    compile_tree(HERE)
    gc.set_threshold(100_000, 20, 20)  # as the command runs (`commands/main.py`)
    rows = []
    if not args.parts_only:
        wall, cpu, server = whole(url)
        rows.append(("`coopledger verify`, two processes", wall, cpu, server))
    app = App(url, None)
    store = app.store
    head = store.head()
    bare = timed(main_pass(store, lambda _: []))
    rows.append(("read and decode every entry (the main pass's own cost)", *bare, None))
    checks: dict[str, Callable[[Pass], list[Check]]] = {
        "the hash chain": lambda _: [Chain()],
        "the entry and subject indexes": lambda shared: [Indexes(shared.conn, store)],
        "the Merkle tree": lambda shared: [Tree(scan.tree_rows(shared.conn))],
        "the identity store": lambda shared: [Identities(shared.conn, store)],
    }
    for name, make in checks.items():
        wall, cpu = timed(main_pass(store, make))
        rows.append((f"... plus {name}", wall - bare[0], cpu - bare[1], None))
    rows.append(("the rules' fold (the pass, then the entries read again)", *timed(rules(store)), None))
    rows.append(("the members' and bodies' read models (the worker)", *timed(read_models(store)), None))
    app.close()
    print(f"\n`verify`'s parts on {head.seq if head else 0:,} entries ({url.split('?')[0]})\n")
    print("| part | wall (s) | CPU (s) | server CPU (s) |")
    print("| --- | ---: | ---: | ---: |")
    for name, wall, cpu, server in rows:
        print(f"| {name} | {wall:,.2f} | {cpu:,.2f} | {'' if server is None else f'{server:,.2f}'} |")


if __name__ == "__main__":
    main()
