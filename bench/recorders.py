"""Which event store: eventsourcing's own recorders against eventsourcing-sqlalchemy's, measured.

The ledger stores its entries through an eventsourcing application recorder. Two
families could do it: eventsourcing 9.5's own SQLite and PostgreSQL recorders
(plain sqlite3 / psycopg), and eventsourcing-sqlalchemy 1.0.1 (one recorder on any
SQLAlchemy URL, through the ORM). This script writes N stored events of about
300 bytes in one stream, in batches (one batch of N, and many batches of 100), and
reads them all back with `select_notifications`, for each recorder on a SQLite file
and on PostgreSQL, and prints the medians with each figure's ratio to eventsourcing's
own recorder on the same backend.

eventsourcing-sqlalchemy 1.0.1 requires SQLAlchemy < 2.1, which our venv cannot
hold, so the script builds its own venv (bench/out/venv-recorders) on first use and
re-executes itself there:

    python bench/recorders.py                 # N = 50,000, 3 runs
    python bench/recorders.py --events 10000 --runs 1 --no-pg

Every run is a child process with a fresh database (a temp SQLite file, or a new
PostgreSQL schema dropped afterwards) and a timeout, so a recorder that hangs is
reported as such instead of stopping the benchmark.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from cleanup import cleanup_on_signals

HERE = Path(__file__).resolve().parent
VENV = HERE / "out" / "venv-recorders"
REQUIREMENTS = ["eventsourcing>=9.5,<10", "eventsourcing-sqlalchemy==1.0.1", "psycopg[binary,pool]"]
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
STATE_SIZE = 300
PAGE = 10_000  # select_notifications page size when reading back
STREAM = uuid.uuid5(uuid.NAMESPACE_URL, "https://coopledger/bench/recorders")


@dataclass(frozen=True)
class Case:
    """One recorder on one backend."""

    recorder: str  # the label printed
    backend: str  # "SQLite" or "PostgreSQL"
    module: str  # PERSISTENCE_MODULE
    extra: tuple[tuple[str, str], ...] = ()
    baseline: bool = False  # eventsourcing's own recorder: the reference for the ratios


CASES = [
    Case("eventsourcing.sqlite", "SQLite", "eventsourcing.sqlite", baseline=True),
    Case("eventsourcing_sqlalchemy", "SQLite", "eventsourcing_sqlalchemy"),
    Case("eventsourcing.postgres", "PostgreSQL", "eventsourcing.postgres", baseline=True),
    Case(
        "eventsourcing.postgres, DB functions",
        "PostgreSQL",
        "eventsourcing.postgres",
        (("POSTGRES_ENABLE_DB_FUNCTIONS", "y"),),
    ),
    Case("eventsourcing_sqlalchemy", "PostgreSQL", "eventsourcing_sqlalchemy"),
]


# ---------------------------------------------------------------------------- the venv


def in_bench_venv() -> bool:
    return Path(sys.prefix).resolve() == VENV.resolve()


def ensure_venv() -> Path:
    """Create bench/out/venv-recorders with the pinned packages unless it already works."""
    python = VENV / "bin" / "python"
    probe = "import eventsourcing_sqlalchemy, eventsourcing.postgres, psycopg"
    if python.exists() and subprocess.run([python, "-c", probe], capture_output=True).returncode == 0:
        return python
    print(f"recorders: building {VENV} ...", file=sys.stderr)
    VENV.parent.mkdir(parents=True, exist_ok=True)
    base = getattr(sys, "_base_executable", sys.executable)
    subprocess.run([base, "-m", "venv", "--clear", str(VENV)], check=True)
    pip = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    done = subprocess.run([*pip, *REQUIREMENTS])
    if done.returncode != 0:
        raise SystemExit(f"recorders: pip could not install {REQUIREMENTS} into {VENV}")
    return python


# ---------------------------------------------------------------------------- one run (child)


def stored_events(count: int, first_version: int) -> list[Any]:
    """`count` events of STATE_SIZE bytes, consecutive versions of one stream (as the ledger does)."""
    from eventsourcing.persistence import StoredEvent

    pad = b"x" * STATE_SIZE
    return [
        StoredEvent(
            originator_id=STREAM,
            originator_version=version,
            topic="bench.recorders:Event",
            state=(b'{"seq":%d,"body":"' % version + pad)[: STATE_SIZE - 2] + b'"}',
        )
        for version in range(first_version, first_version + count)
    ]


def construct(env: dict[str, str]) -> tuple[Any, Any]:
    from eventsourcing.persistence import InfrastructureFactory

    factory = InfrastructureFactory.construct(env)
    return factory, factory.application_recorder()


def write_all(recorder: Any, batches: int, size: int) -> float:
    """Build every batch first, then time only the inserts."""
    prepared = [stored_events(size, 1 + b * size) for b in range(batches)]
    started = time.perf_counter()
    for batch in prepared:
        recorder.insert_events(batch)
    return time.perf_counter() - started


def read_all(recorder: Any, expected: int) -> float:
    """Page through the whole notification log; checks the count and the order."""
    started = time.perf_counter()
    count, start, last = 0, None, 0
    while True:
        page = recorder.select_notifications(start, PAGE, inclusive_of_start=False)
        if not page:
            break
        count += len(page)
        start = page[-1].id
        if page[0].originator_version <= last:
            raise RuntimeError("notifications out of order")
        last = page[-1].originator_version
    elapsed = time.perf_counter() - started
    if count != expected:
        raise RuntimeError(f"read back {count} notifications, wrote {expected}")
    return elapsed


def child(spec: dict[str, Any]) -> None:
    """One measured run, in its own process: construct, write, read; prints JSON."""
    factory, recorder = construct(spec["env"])
    try:
        write = write_all(recorder, spec["batches"], spec["size"])
        read = read_all(recorder, spec["batches"] * spec["size"])
    finally:
        factory.close()
    print(json.dumps({"write": write, "read": read}))


# ---------------------------------------------------------------------------- the parent


@dataclass
class Result:
    """The timings of one case and batch shape, or why there are none."""

    writes: list[float] = field(default_factory=list)
    reads: list[float] = field(default_factory=list)
    failure: str = ""

    def median(self, which: str) -> float | None:
        values = self.writes if which == "write" else self.reads
        return statistics.median(values) if values and not self.failure else None


class Places:
    """Fresh databases for each run, and their removal."""

    def __init__(self, pg_url: str | None):
        self.tmp = Path(tempfile.mkdtemp(prefix="coopledger-recorders-"))
        self.pg = pg_conninfo(pg_url) if pg_url else None
        self.counter = 0

    def env(self, case: Case) -> tuple[dict[str, str], str]:
        """The recorder's environment for a fresh database, and what to remove afterwards."""
        self.counter += 1
        env = {"PERSISTENCE_MODULE": case.module, "CREATE_TABLE": "y", **dict(case.extra)}
        if case.backend == "SQLite":
            path = self.tmp / f"run-{self.counter}.db"
            if case.module == "eventsourcing_sqlalchemy":
                env["SQLALCHEMY_URL"] = f"sqlite:///{path}"
            else:
                env["SQLITE_DBNAME"] = str(path)
            return env, str(path)
        assert self.pg is not None
        schema = f"bench_rec_{os.getpid()}_{self.counter}"
        self.create_schema(schema)
        if case.module == "eventsourcing_sqlalchemy":
            info = self.pg
            auth = info["user"] + (f":{info['password']}" if info["password"] else "")
            env["SQLALCHEMY_URL"] = (
                f"postgresql+psycopg://{auth}@{info['host']}:{info['port']}/{info['dbname']}"
            )
            env["SQLALCHEMY_SCHEMA"] = schema
        else:
            env.update(
                POSTGRES_DBNAME=self.pg["dbname"],
                POSTGRES_HOST=self.pg["host"],
                POSTGRES_PORT=str(self.pg["port"]),
                POSTGRES_USER=self.pg["user"],
                POSTGRES_PASSWORD=self.pg["password"],
                POSTGRES_SCHEMA=schema,
            )
        return env, schema

    def pg_connect(self) -> Any:
        import psycopg

        assert self.pg is not None
        return psycopg.connect(**self.pg, connect_timeout=5, autocommit=True)

    def create_schema(self, schema: str) -> None:
        from psycopg.sql import SQL, Identifier

        with self.pg_connect() as conn:
            conn.execute(SQL("CREATE SCHEMA {0}").format(Identifier(schema)))

    def remove(self, place: str) -> None:
        if place.endswith(".db"):
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(place + suffix).unlink(missing_ok=True)
            return
        from psycopg.sql import SQL, Identifier

        try:
            with self.pg_connect() as conn:
                conn.execute("SET lock_timeout = '30s'")
                conn.execute(SQL("DROP SCHEMA IF EXISTS {0} CASCADE").format(Identifier(place)))
        except Exception as e:  # clean-up must not hide the figures
            print(f"recorders: could not drop schema {place}: {e}", file=sys.stderr)

    def close(self) -> None:
        shutil.rmtree(self.tmp, ignore_errors=True)


def pg_conninfo(url: str) -> dict[str, Any]:
    parts = urlsplit(url)
    return {
        "host": parts.hostname or "127.0.0.1",
        "port": parts.port or 5432,
        "user": unquote(parts.username or "postgres"),
        "password": unquote(parts.password or ""),
        "dbname": parts.path.lstrip("/") or "postgres",
    }


def run_once(places: Places, case: Case, batches: int, size: int, timeout: float, result: Result) -> None:
    """One child run of a case; a failure or hang is recorded and stops that case's later runs."""
    if result.failure:
        return
    env, place = places.env(case)
    spec = json.dumps({"env": env, "batches": batches, "size": size})
    try:
        done = subprocess.run(
            [sys.executable, __file__, "--child", spec], capture_output=True, timeout=timeout
        )
        if done.returncode != 0:
            tail = done.stderr.decode(errors="replace").strip().splitlines()[-1:]
            result.failure = f"failed (exit {done.returncode}): {' '.join(tail) or 'no message'}"
        else:
            timings = json.loads(done.stdout.decode().strip().splitlines()[-1])
            result.writes.append(timings["write"])
            result.reads.append(timings["read"])
    except subprocess.TimeoutExpired:
        result.failure = f"hung (> {timeout:.0f} s, killed)"
    finally:
        places.remove(place)
    if result.failure:
        print(f"  ! {case.recorder} on {case.backend}, {batches} x {size}: {result.failure}", file=sys.stderr)


def measure(
    cases: list[Case], shapes: list[tuple[int, int]], runs: int, places: Places, timeout: float
) -> dict[tuple[Case, tuple[int, int]], Result]:
    """Every case and shape, k times, interleaved run by run so that noise spreads evenly."""
    results = {(case, shape): Result() for case in cases for shape in shapes}
    for run in range(1, runs + 1):
        print(f"run {run}/{runs}", file=sys.stderr)
        for (case, shape), result in results.items():
            run_once(places, case, shape[0], shape[1], timeout, result)
    return results


# ---------------------------------------------------------------------------- rendering


def cell(value: float | None, result: Result) -> str:
    if result.failure:
        return "hung" if result.failure.startswith("hung") else "failed"
    return "-" if value is None else f"{value:.3f}" if value < 10 else f"{value:.1f}"


def per_second(count: int, value: float | None) -> str:
    return f"{count / value:,.0f}" if value else ""


def versus(value: float | None, base: float | None) -> str:
    return f"{value / base:.2f}×" if value is not None and base else ""


def table(results: dict[tuple[Case, tuple[int, int]], Result], events: int) -> list[str]:
    lines = [
        "| backend | batches | recorder | write (s) | write ev/s | write vs own "
        "| read (s) | read ev/s | read vs own |",
        "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    baselines = {(c.backend, shape): r for (c, shape), r in results.items() if c.baseline}
    order = {case: index for index, case in enumerate(CASES)}
    backends = {"SQLite": 0, "PostgreSQL": 1}
    rows = sorted(
        results.items(), key=lambda item: (backends[item[0][0].backend], -item[0][1][1], order[item[0][0]])
    )
    for (case, shape), result in rows:
        base = baselines.get((case.backend, shape))
        write, read = result.median("write"), result.median("read")
        lines.append(
            f"| {case.backend} | {shape[0]:,} × {shape[1]:,} | {case.recorder} | {cell(write, result)} "
            f"| {per_second(events, write)} | {versus(write, base.median('write') if base else None)} "
            f"| {cell(read, result)} | {per_second(events, read)} "
            f"| {versus(read, base.median('read') if base else None)} |"
        )
    return lines


def facts(places: Places) -> list[str]:
    names = ["eventsourcing", "eventsourcing-sqlalchemy", "SQLAlchemy", "psycopg", "psycopg-binary"]
    lines = [
        f"- CPUs: {os.cpu_count()}, load average at start: " + " ".join(f"{x:.2f}" for x in os.getloadavg()),
        f"- Python {sys.version.split()[0]} ({sys.prefix}), SQLite {sqlite3.sqlite_version}",
        "- " + ", ".join(f"{n} {metadata.version(n)}" for n in names),
    ]
    if places.pg:
        with places.pg_connect() as conn:
            row = conn.execute("SHOW server_version").fetchone()
        lines.append(f"- PostgreSQL {row[0] if row else '?'}")
    return lines


# ---------------------------------------------------------------------------- main


def check_postgres(places: Places) -> None:
    try:
        with places.pg_connect() as conn:
            conn.execute("SELECT 1")
    except Exception as e:
        raise SystemExit(f"recorders: cannot reach PostgreSQL: {e}\n(use --no-pg to skip it)") from e


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=50_000, help="stored events per run (default 50,000)")
    parser.add_argument("--small-batch", type=int, default=100, help="size of the small batches (100)")
    parser.add_argument("--runs", type=int, default=3, help="runs per figure; the median is shown (3)")
    parser.add_argument("--pg", default=os.environ.get("BENCH_PG", DEFAULT_PG), help="PostgreSQL URL")
    parser.add_argument("--no-pg", action="store_true", help="SQLite only")
    parser.add_argument("--timeout", type=float, default=120, help="seconds before a run counts as hung")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.events % args.small_batch:
        parser.error("--events must be a multiple of --small-batch")
    return args


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    if args.child:
        child(json.loads(args.child))
        return 0
    if not in_bench_venv():
        python = ensure_venv()
        os.execv(python, [str(python), __file__, *argv])
    places = Places(None if args.no_pg else args.pg)
    cases = [c for c in CASES if c.backend == "SQLite" or places.pg]
    shapes = [(1, args.events), (args.events // args.small_batch, args.small_batch)]
    try:
        with cleanup_on_signals():
            if places.pg:
                check_postgres(places)
            environment = facts(places)
            results = measure(cases, shapes, args.runs, places, args.timeout)
    finally:
        places.close()
    print(f"## Event store: {args.events:,} stored events of {STATE_SIZE} bytes, median of {args.runs}\n")
    print("\n".join(environment) + "\n")
    print("\n".join(table(results, args.events)))
    failed = [
        f"- {c.recorder} on {c.backend}, {s[0]} × {s[1]}: {r.failure}"
        for (c, s), r in results.items()
        if r.failure
    ]
    if failed:
        print("\nFailures:\n\n" + "\n".join(failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
