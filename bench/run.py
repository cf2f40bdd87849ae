"""End-to-end timings of coopledger beside the floors of its storage (run by hand, not in tests).

Every figure is the wall time of a real `coopledger` process, as a user sees it, and
each sits beside a *floor*: the least the same storage needs for the same rows
(plain sqlite3 / psycopg, no ledger). The ratio figure / floor says how much the
ledger costs on top of the database; a ratio that grows with N points at work that
does not scale linearly. Issue 12's floors (bench/floors/, one process each, timed in
turn with their command) come first, with the issue's target ratio.

    python bench/run.py              # 45,000 and 450,000 members, SQLite and PostgreSQL
    python bench/run.py --quick      # 45,000 only, SQLite only, written to bench/results-quick.md
    python bench/run.py --repeat 3 --no-pg
    python bench/run.py --quick --before /tmp/old   # beside a worktree of an older commit

With `--before TREE`, every import, command and rebuild also runs with that tree's
coopledger (its modules, started by this interpreter) on ledgers it imported itself, in turn
with this tree's, and a second table gives old and new side by side, measured in one run.

Journals come from bench/generate.py (10 years, seed 1) and are cached in bench/out/.
Each figure is the median of k runs (5 for 45k, 3 for 450k and --quick; --repeat K), the
backends interleaved run by run and each command followed at once by its floor, so that a
noisy neighbour hurts both alike. The table is printed and written to bench/results.md
(bench/results-quick.md with --quick). Temporary files are removed and every
PostgreSQL schema made here is dropped, even on Ctrl-C.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from cleanup import cleanup_on_signals
from import_side_by_side import compile_tree, link_tree
from workload import COMMANDS, EVE, YEARS, Command, prepared

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
FLOORS = HERE / "floors"
RESULTS = HERE / "results.md"
RESULTS_QUICK = HERE / "results-quick.md"
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
SIZES = {45_000: 5, 450_000: 3}  # members -> default number of runs
# --quick: 45k members on SQLite in three runs, not five, so that every command beside its floor
# fits in about two minutes (both backends took 358 s at a load of 5; the full run has both).
QUICK = {45_000: 3}
SEED = 1

Row = tuple[int, str, str, str, str]  # (seq, id, type, date, json text)
# Issue 12's targets: the largest ratio of each figure to its floor (bench/floors/) it accepts.
TARGETS = {"--help": 2.0, "import": 2.0, "register": 1.5, "verify": 3.0, "rebuild": 3.0, "member admit": 2.0}
# Issue 12's floor of each figure, as the table names it (bench/floors/, see bench/README.md).
ISSUE_FLOORS = {
    "import": "floors/import_journal.py: parse, hash-chain, 4 rows an entry, 1 transaction",
    "register": "floors/register.py: indexed SELECT of register_spells, csv",
    "verify": "floors/verify.py: every stored entry re-read and re-hashed",
    "member admit": "floors/admit.py: one entry's 4 rows, 1 transaction",
}
REBUILD_FLOOR = "floors/import_journal.py (the import floor, run between import and rebuild)"
CLICK_FLOOR = 'python -c "import click"'


class BenchError(Exception):
    """A measurement could not be made; the message says which and why."""


class Hung(BenchError):
    """A process outran its timeout (it was killed); its figure is reported as 'hung'."""


# ---------------------------------------------------------------------------- measuring


@dataclass
class Figure:
    """The median of k timings, or why there is none."""

    times: list[float] = field(default_factory=list)
    failure: str = ""

    @property
    def median(self) -> float | None:
        return statistics.median(self.times) if self.times and not self.failure else None

    def add(self, measure: Callable[[], float]) -> None:
        """Time one run unless an earlier one failed (a hang would only repeat)."""
        if self.failure:
            return
        try:
            self.times.append(measure())
        except BenchError as e:
            self.failure = str(e)
            print(f"  ! {e}", file=sys.stderr)


def timed(action: Callable[[], Any]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def coopledger_bin() -> str:
    """The console script of this interpreter's environment, so the venv's code is measured."""
    candidate = Path(sys.executable).with_name("coopledger")
    found = str(candidate) if candidate.exists() else shutil.which("coopledger")
    if not found:
        raise SystemExit("bench: no `coopledger` script; activate the venv (. .venv/bin/activate)")
    return found


@dataclass(frozen=True)
class Tree:
    """Whose coopledger a backend runs: this environment's console script, or an older tree's
    modules started by this interpreter (`--before`), from the tree's folder (a layout with
    top-level `commands`) or through a link folder holding its `coopledger` package."""

    label: str  # how the tables name it: "" for this tree
    program: tuple[str, ...]
    cwd: str | None = None
    pythonpath: str | None = None


def this_tree() -> Tree:
    return Tree("", (coopledger_bin(),))


def older_tree(folder: Path, links: Path) -> Tree:
    """A worktree of an older commit, run as `python -m commands` or `-m coopledger.commands`."""
    done = subprocess.run(["git", "-C", str(folder), "rev-parse", "--short", "HEAD"], capture_output=True)
    label = done.stdout.decode().strip() or folder.name
    if (folder / "commands" / "__main__.py").exists() and not (folder / "pyproject.toml").read_text(
        encoding="utf-8"
    ).count("coopledger.commands"):
        return Tree(label, (sys.executable, "-m", "commands"), cwd=str(folder))
    return Tree(
        label, (sys.executable, "-m", "coopledger.commands"), pythonpath=str(link_tree(folder, links))
    )


def run_process(argv: Sequence[str], timeout: float, tree: Tree | None = None) -> tuple[float, str]:
    """Wall time and stdout of one process (of `tree`'s coopledger when given); `BenchError`
    naming it if it fails or hangs."""
    env = None
    if tree is not None and tree.pythonpath:
        env = {**os.environ, "PYTHONPATH": tree.pythonpath}
    started = time.perf_counter()
    try:
        done = subprocess.run(
            argv,
            capture_output=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
            cwd=tree.cwd if tree else None,
            env=env,
        )
    except subprocess.TimeoutExpired:
        raise Hung(f"hung (> {timeout:.0f} s, killed): {' '.join(argv[1:4])} ...") from None
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        tail = done.stderr.decode(errors="replace").strip().splitlines()[-3:]
        how = f"killed by signal {-done.returncode}" if done.returncode < 0 else f"exit {done.returncode}"
        raise BenchError(f"{how}: {' '.join(argv)}: {' / '.join(tail) or 'no message'}")
    return elapsed, done.stdout.decode(errors="replace")


# ---------------------------------------------------------------------------- journals


def journal_for(members: int) -> Path:
    """The seeded journal for a size, generated once into a temp dir and cached in bench/out/."""
    OUT.mkdir(exist_ok=True)
    cached = OUT / f"journal-{members}-{YEARS}y-s{SEED}.jsonl"
    if cached.exists():
        return cached
    print(f"generating {cached.name} ...", file=sys.stderr)
    with tempfile.TemporaryDirectory(prefix="coopledger-gen-") as tmp:
        target = Path(tmp) / cached.name
        argv = [sys.executable, str(HERE / "generate.py"), "--members", str(members), "--years", str(YEARS)]
        subprocess.run([*argv, "--seed", str(SEED), "-o", str(target)], check=True)
        shutil.move(str(target), cached)
    return cached


def journal_rows(path: Path) -> list[Row]:
    """The journal as plain rows for the floors: what a minimal event table would hold."""
    rows: list[Row] = []
    with path.open(encoding="utf-8") as lines:
        for seq, line in enumerate(lines, start=1):
            data = json.loads(line)
            rows.append((seq, data.get("id", ""), data["type"], data["date"], line.rstrip("\n")))
    return rows


# ---------------------------------------------------------------------------- stores


@dataclass(frozen=True)
class PgInfo:
    """Connection facts of the PostgreSQL base URL (the `schema` parameter is ours)."""

    url: str
    conninfo: dict[str, Any]

    @classmethod
    def parse(cls, url: str) -> PgInfo:
        parts = urlsplit(url)
        conninfo = {
            "host": parts.hostname or "127.0.0.1",
            "port": parts.port or 5432,
            "user": unquote(parts.username or "postgres"),
            "password": unquote(parts.password or ""),
            "dbname": parts.path.lstrip("/") or "postgres",
            "connect_timeout": 5,
        }
        return cls(url.split("?")[0], conninfo)


class Stores:
    """Fresh ledgers and floor databases, and the clean-up of all of them.

    SQLite files live in one temp dir; PostgreSQL gets one schema per ledger or
    floor, all dropped by `close` (earlier ones as soon as a newer one replaces them,
    so that 450k runs do not pile up gigabytes).
    """

    def __init__(self, pg: PgInfo | None):
        self.tmp = Path(tempfile.mkdtemp(prefix="coopledger-bench-"))
        self.pg = pg
        self.schemas: list[str] = []
        self.counter = 0

    def sqlite_path(self, label: str) -> Path:
        self.counter += 1
        return self.tmp / f"{label}-{self.counter}.db"

    def pg_schema(self, label: str) -> str:
        self.counter += 1
        schema = f"bench_{label}_{os.getpid()}_{self.counter}"
        self.schemas.append(schema)
        return schema

    def pg_url(self, schema: str) -> str:
        assert self.pg is not None
        return f"{self.pg.url}?schema={schema}"

    def pg_connect(self, **kwargs: Any) -> Any:
        import psycopg

        assert self.pg is not None
        return psycopg.connect(**self.pg.conninfo, **kwargs)

    def discard_sqlite(self, path: Path | None) -> None:
        if path is not None:
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)

    def drop_schema(self, schema: str | None) -> None:
        if schema is None or self.pg is None:
            return
        from psycopg.sql import SQL, Identifier

        try:
            with self.pg_connect(autocommit=True) as conn:
                conn.execute("SET lock_timeout = '30s'")
                conn.execute(SQL("DROP SCHEMA IF EXISTS {0} CASCADE").format(Identifier(schema)))
            if schema in self.schemas:
                self.schemas.remove(schema)
        except Exception as e:  # clean-up must not hide the figures
            print(f"bench: could not drop schema {schema}: {e}", file=sys.stderr)

    def close(self) -> None:
        for schema in list(self.schemas):
            self.drop_schema(schema)
        shutil.rmtree(self.tmp, ignore_errors=True)


# ---------------------------------------------------------------------------- floors

FLOOR_TABLE = "CREATE TABLE floor (seq BIGINT PRIMARY KEY, id TEXT, type TEXT, date TEXT, body TEXT)"


def sqlite_insert_floor(path: Path, rows: list[Row]) -> float:
    """executemany of the journal rows into an empty WAL file table, one transaction
    (eventsourcing opens SQLite files in WAL mode too)."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute(FLOOR_TABLE)

        def insert() -> None:
            conn.execute("BEGIN")
            conn.executemany("INSERT INTO floor VALUES (?,?,?,?,?)", rows)
            conn.execute("COMMIT")

        return timed(insert)
    finally:
        conn.close()


def sqlite_query_floor(path: Path, sql: str) -> float:
    """One query on a file database, connection included (as a CLI process must)."""

    def query() -> None:
        conn = sqlite3.connect(path)
        try:
            conn.execute(sql).fetchall()
        finally:
            conn.close()

    return timed(query)


def pg_insert_floor(stores: Stores, schema: str, rows: list[Row], copy: bool) -> float:
    """executemany (psycopg pipelines it) or COPY of the rows into an empty table, one transaction."""
    from psycopg.sql import SQL, Identifier

    with stores.pg_connect() as conn:
        conn.execute(SQL("CREATE SCHEMA {0}").format(Identifier(schema)))
        conn.execute(SQL(FLOOR_TABLE.replace("floor", "{0}.floor")).format(Identifier(schema)))
        conn.commit()
        table = SQL("{0}.floor").format(Identifier(schema))

        def insert() -> None:
            with conn.cursor() as cur:
                if copy:
                    with cur.copy(SQL("COPY {0} FROM STDIN").format(table)) as out:
                        for row in rows:
                            out.write_row(row)
                else:
                    cur.executemany(SQL("INSERT INTO {0} VALUES (%s,%s,%s,%s,%s)").format(table), rows)
            conn.commit()

        return timed(insert)


def pg_query_floor(stores: Stores, sql: Any) -> float:
    """One query, connection included (as a CLI process must)."""

    def query() -> None:
        with stores.pg_connect() as conn:
            conn.execute(sql).fetchall()

    return timed(query)


def sqlite_events_table(path: Path) -> str:
    conn = sqlite3.connect(path)
    try:
        names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    finally:
        conn.close()
    for name in ("stored_events", "coopledger_events"):
        if name in names:
            return name
    raise BenchError(f"no events table in {path} (tables: {sorted(names)})")


def pg_events_table(stores: Stores, schema: str) -> str:
    with stores.pg_connect() as conn:
        names = {
            r[0]
            for r in conn.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = %s", (schema,)
            )
        }
    for name in ("coopledger_events", "stored_events"):
        if name in names:
            return name
    raise BenchError(f"no events table in schema {schema} (tables: {sorted(names)})")


READ_ALL = "SELECT state FROM {0} ORDER BY originator_id, originator_version"


# ---------------------------------------------------------------------------- one size


@dataclass
class Backend:
    """One store kind under test, with what later measurements read: the ledger of the last
    import (`kept["ledger"]`) and the import floor's newest database (`kept["floor"]`)."""

    kind: str  # "SQLite" or "PostgreSQL"
    url_of: Callable[[str], tuple[str, Any]]  # fresh URL for a label, and its handle for discarding
    discard: Callable[[Any], None]
    tree: Tree
    imports: Figure = field(default_factory=Figure)
    commands: dict[str, Figure] = field(default_factory=lambda: {c.label: Figure() for c in COMMANDS})
    rebuilds: Figure = field(default_factory=Figure)
    rebuild_own: Figure = field(default_factory=Figure)
    kept: dict[str, tuple[str, Any]] = field(default_factory=dict)  # label -> (URL, handle)
    events: str = ""  # the name of the ledger's events table
    printed: str = ""  # the register the command printed last, for its floor to match

    @property
    def url(self) -> str:
        return self.kept["ledger"][0] if "ledger" in self.kept else ""

    @property
    def name(self) -> str:
        return f"{self.kind} ({self.tree.label})" if self.tree.label else self.kind

    def run(self, arguments: Sequence[str], timeout: float) -> tuple[float, str]:
        """One process of this backend's coopledger on its ledger."""
        return run_process([*self.tree.program, "--db", self.url, *arguments], timeout, self.tree)


@dataclass
class Floors:
    """The floor figures of one backend, in the order they are printed; `issue` holds issue 12's,
    by the label of the command each is the floor of."""

    insert: dict[str, Figure] = field(default_factory=dict)
    count: Figure = field(default_factory=Figure)
    select: Figure = field(default_factory=Figure)
    read_all: Figure = field(default_factory=Figure)
    issue: dict[str, Figure] = field(default_factory=lambda: {label: Figure() for label in ISSUE_FLOORS})


@dataclass
class SizeResult:
    members: int
    entries: int
    runs: int
    backends: list[Backend]
    floors: dict[str, Floors]


def load_once(
    backend: Backend, label: str, argv: Callable[[Backend, str], list[str]], entries: int, timeout: float
) -> float:
    """Load the journal into a fresh store (label "ledger": `coopledger import`; "floor": the
    import floor) and check every entry went in. The store replaces the older one of its label,
    for the measurements that follow."""
    url, handle = backend.url_of(label)
    try:
        elapsed, out = run_process(argv(backend, url), timeout, backend.tree if label == "ledger" else None)
        loaded = re.search(r"(\d+) entries", out)
        if not loaded or int(loaded.group(1)) != entries:
            raise BenchError(
                f"{backend.name} {label} loaded {loaded and loaded.group(1)} of {entries}: {out!r}"
            )
    except BenchError:
        backend.discard(handle)
        raise
    backend.discard(backend.kept.get(label, ("", None))[1])
    backend.kept[label] = url, handle
    return elapsed


def importing(journal: Path) -> Callable[[Backend, str], list[str]]:
    return lambda backend, url: [*backend.tree.program, "--db", url, "import", str(journal)]


def import_floor(journal: Path) -> Callable[[Backend, str], list[str]]:
    return lambda _, url: [*floor_script("import_journal.py"), url, str(journal)]


def floor_script(name: str) -> list[str]:
    """The argv of one of issue 12's floors: a process of its own, as the command is."""
    return [sys.executable, str(FLOORS / name)]


# The floor scripts of the commands that have one, given the backend measured.
COMMAND_FLOORS: dict[str, Callable[[Backend], list[str]]] = {
    "register": lambda b: [*floor_script("register.py"), b.url, EVE],
    "verify": lambda b: [*floor_script("verify.py"), b.url, b.events],
    "member admit": lambda b: [*floor_script("admit.py"), b.kept["floor"][0]],
}


def command_once(backend: Backend, command: Command, members: int, timeout: float) -> float:
    """One command on the ledger of the last import, after its untimed setup; the register
    must not be empty."""
    with tempfile.TemporaryDirectory(prefix="coopledger-bench-") as out:
        argv = prepared(command, Path(out), lambda arguments: backend.run(arguments, timeout)[1])
        elapsed, printed = backend.run(argv, timeout)
    if command.label == "register":
        if printed.count("\n") - 1 < members * 0.9:
            raise BenchError(
                f"{backend.name} register has {printed.count(chr(10)) - 1} rows, expected about {members}"
            )
        backend.printed = printed
    return elapsed


def command_floor_once(backend: Backend, label: str, timeout: float) -> float:
    """A command's floor, right after the command; the register's must print the same rows."""
    elapsed, out = run_process(COMMAND_FLOORS[label](backend), timeout)
    if label == "register" and out != backend.printed:
        raise BenchError(f"{backend.name} register floor printed other rows than the command")
    return elapsed


def rebuild_once(backend: Backend, timeout: float) -> float:
    """Rebuild the read models; records the command's own timer beside the wall time."""
    elapsed, out = backend.run(["rebuild"], timeout)
    own = re.search(r"in ([\d.]+) s", out)
    if own:
        backend.rebuild_own.times.append(float(own.group(1)))
    return elapsed


def measure_size(
    members: int, runs: int, stores: Stores, timeout: float, older: Tree | None = None
) -> SizeResult:
    """All figures for one size, run after run. On each backend an import, the import floor
    and a rebuild in turn (the floor is the issue's for both: A/B/A), then every command, each
    followed at once by its floor (A/B), so that a noisy neighbour hurts both sides alike;
    with an `older` tree, its import, rebuild and commands on each backend after this tree's,
    in the same run (the floors are this tree's)."""
    journal = journal_for(members)
    rows = journal_rows(journal)
    entries = len(rows)
    trees = [this_tree(), *([older] if older else [])]
    backends = [
        make(stores, tree)
        for make in (sqlite_backend, *([pg_backend] if stores.pg else []))
        for tree in trees
    ]
    floors = {b.kind: Floors() for b in backends}
    kept: dict[str, Any] = {}
    print(f"N = {members:,} members, {entries:,} entries, {runs} runs", file=sys.stderr)
    for run in range(1, runs + 1):
        print(f"  run {run}/{runs}", file=sys.stderr)
        insert_floors(stores, rows, floors, kept)
        for backend in backends:
            floor = floors[backend.kind]
            ours = not backend.tree.label  # the floors go with this tree's figures
            backend.imports.add(
                lambda b=backend: load_once(b, "ledger", importing(journal), entries, timeout)
            )
            if ours:
                floor.issue["import"].add(
                    lambda b=backend: load_once(b, "floor", import_floor(journal), entries, timeout)
                )
            if not backend.url:
                continue
            backend.events = backend.events or events_table(stores, backend)
            backend.rebuilds.add(lambda b=backend: rebuild_once(b, timeout))
            if ours:
                floor.read_all.add(lambda b=backend: read_all_floor(stores, b))
            for command in COMMANDS:
                backend.commands[command.label].add(
                    lambda b=backend, c=command: command_once(b, c, members, timeout)
                )
                if ours and command.label in COMMAND_FLOORS and "floor" in backend.kept:
                    floor.issue[command.label].add(
                        lambda b=backend, c=command.label: command_floor_once(b, c, timeout)
                    )
        read_floors(stores, floors, kept)
    for backend in backends:
        for figure in (backend.imports, backend.rebuilds, *backend.commands.values()):
            if not backend.url and not figure.failure:
                figure.failure = "no ledger: the import failed"
        for _, handle in backend.kept.values():
            backend.discard(handle)
    stores.discard_sqlite(kept.get("sqlite"))
    stores.drop_schema(kept.get("pg_executemany"))
    stores.drop_schema(kept.get("pg_copy"))
    return SizeResult(members, entries, runs, backends, floors)


def sqlite_backend(stores: Stores, tree: Tree) -> Backend:
    def fresh(label: str) -> tuple[str, Any]:
        path = stores.sqlite_path(label)
        return f"sqlite:///{path}", path

    return Backend("SQLite", fresh, stores.discard_sqlite, tree)


def pg_backend(stores: Stores, tree: Tree) -> Backend:
    def fresh(label: str) -> tuple[str, Any]:
        schema = stores.pg_schema(label)
        return stores.pg_url(schema), schema

    return Backend("PostgreSQL", fresh, stores.drop_schema, tree)


def insert_floors(stores: Stores, rows: list[Row], floors: dict[str, Floors], kept: dict[str, Any]) -> None:
    """One run of each insert floor into a fresh table; the newest table is kept for the reads."""

    def sqlite_floor() -> float:
        path = stores.sqlite_path("floor")
        elapsed = sqlite_insert_floor(path, rows)
        stores.discard_sqlite(kept.get("sqlite"))
        kept["sqlite"] = path
        return elapsed

    floors["SQLite"].insert.setdefault("sqlite3 executemany", Figure()).add(sqlite_floor)
    if "PostgreSQL" not in floors:
        return
    for label, copy in (("psycopg executemany", False), ("psycopg COPY", True)):

        def pg_floor(copy: bool = copy) -> float:
            key = "pg_copy" if copy else "pg_executemany"
            schema = stores.pg_schema("floor")
            elapsed = pg_insert_floor(stores, schema, rows, copy)
            stores.drop_schema(kept.get(key))
            kept[key] = schema
            return elapsed

        floors["PostgreSQL"].insert.setdefault(label, Figure()).add(pg_floor)


def read_floors(stores: Stores, floors: dict[str, Floors], kept: dict[str, Any]) -> None:
    """count(*) and SELECT * ORDER BY seq over the floor table, connection included."""
    if "sqlite" in kept:
        floors["SQLite"].count.add(lambda: sqlite_query_floor(kept["sqlite"], "SELECT count(*) FROM floor"))
        floors["SQLite"].select.add(
            lambda: sqlite_query_floor(kept["sqlite"], "SELECT * FROM floor ORDER BY seq")
        )
    if "PostgreSQL" in floors and "pg_copy" in kept:
        from psycopg.sql import SQL, Identifier

        table = SQL("{0}.floor").format(Identifier(kept["pg_copy"]))
        pg = floors["PostgreSQL"]
        pg.count.add(lambda: pg_query_floor(stores, SQL("SELECT count(*) FROM {0}").format(table)))
        pg.select.add(lambda: pg_query_floor(stores, SQL("SELECT * FROM {0} ORDER BY seq").format(table)))


def events_table(stores: Stores, backend: Backend) -> str:
    """The name of the ledger's events table (eventsourcing names it per backend)."""
    handle = backend.kept["ledger"][1]
    if backend.kind == "SQLite":
        return sqlite_events_table(handle)
    return pg_events_table(stores, handle)


def read_all_floor(stores: Stores, backend: Backend) -> float:
    """Read every stored event's state back in order from the ledger itself: the least a
    rebuild must do."""
    handle = backend.kept["ledger"][1]
    if backend.kind == "SQLite":
        return sqlite_query_floor(handle, READ_ALL.format(backend.events))
    from psycopg.sql import SQL, Identifier

    table = SQL("{0}.{1}").format(Identifier(handle), Identifier(backend.events))
    return pg_query_floor(stores, SQL(READ_ALL).format(table))


# ---------------------------------------------------------------------------- fixed costs


@dataclass
class FixedCosts:
    """What every command pays before touching a store (the interpreter, then the CLI's
    imports), and the floor of `coopledger --help`: importing click alone."""

    start: Figure = field(default_factory=Figure)
    help: Figure = field(default_factory=Figure)
    click: Figure = field(default_factory=Figure)

    def floors(self) -> list[tuple[str, Figure]]:
        return [("python -c pass", self.start), ("coopledger --help", self.help)]


def fixed_costs(runs: int, timeout: float) -> FixedCosts:
    """The fixed costs, `coopledger --help` and its floor in turn run by run."""
    costs = FixedCosts()
    for _ in range(runs):
        costs.start.add(lambda: run_process([sys.executable, "-c", "pass"], timeout)[0])
        costs.help.add(lambda: run_process([coopledger_bin(), "--help"], timeout)[0])
        costs.click.add(lambda: run_process([sys.executable, "-c", "import click"], timeout)[0])
    return costs


# ---------------------------------------------------------------------------- rendering


def seconds(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.3f}" if value < 10 else f"{value:.1f}"


def rate(count: int, value: float | None) -> str:
    return f"{count / value:,.0f}" if value else ""


def ratio(figure: float | None, floor: float | None) -> str:
    if figure is None or not floor:
        return ""
    return f"{figure / floor:,.1f}×"


def shown(figure: Figure) -> str:
    if figure.failure:
        if figure.failure.startswith("no ledger"):
            return "n/a"
        return "hung" if figure.failure.startswith("hung") else "failed"
    return seconds(figure.median)


def verdict(figure: Figure, floor: Figure, target: float) -> str:
    """The issue's target ratio, and whether this run meets it."""
    wanted = f"≤ {target:g}×"
    if figure.median is None or not floor.median:
        return wanted
    return f"{wanted}, " + ("met" if figure.median / floor.median <= target else "missed")


HEADER = (
    "| measure | backend | median (s) | entries/s | floor | floor (s) | floor rows/s | ratio | target |\n"
    "| --- | --- | ---: | ---: | --- | ---: | ---: | ---: | --- |"
)
READ_FLOOR = "SELECT state ORDER BY version (ledger's events)"


def group(
    measure: str,
    backend: str,
    figure: Figure,
    floors: list[tuple[str, Figure]],
    entries: int | None = None,
    target: float | None = None,
) -> list[str]:
    """Table rows of one figure beside its floors, the figure on the first row only; rates per
    entry if `entries` is given; with a `target`, the first floor is the issue's, and its row
    says whether the ratio meets it."""
    lines = []
    for index, (floor, base) in enumerate(floors):
        first = index == 0
        cells = [
            measure if first else "",
            backend if first else "",
            shown(figure) if first else "",
            rate(entries, figure.median) if first and entries else "",
            floor,
            shown(base),
            rate(entries, base.median) if entries else "",
            ratio(figure.median, base.median),
            verdict(figure, base, target) if first and target else "",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def startup_table(costs: FixedCosts, runs: int) -> list[str]:
    """The start-up of the CLI beside importing click, the issue's floor for `--help`."""
    floors = [(CLICK_FLOOR, costs.click), ("python -c pass", costs.start)]
    help_rows = group("`coopledger --help`", "", costs.help, floors, target=TARGETS["--help"])
    return [f"### Start-up, median of {runs}", "", HEADER, *help_rows]


def size_table(result: SizeResult, costs: FixedCosts) -> list[str]:
    """One size's table: a row per (figure, floor) pair, the figure shown on its first row only."""
    n = result.entries
    lines = [
        f"### {result.members:,} members: {n:,} entries, median of {result.runs}",
        "",
        HEADER,
    ]
    for backend in result.backends:
        if backend.tree.label:
            continue  # an older tree's figures: `side_by_side`
        floors = result.floors[backend.kind]
        issue = floors.issue
        bulk = "COPY" if backend.kind == "PostgreSQL" else "executemany"
        inserts = [(f"{name}, 1 transaction", figure) for name, figure in floors.insert.items()]
        import_floors = [(f"{ISSUE_FLOORS['import']} ({bulk})", issue["import"]), *inserts]
        imports = backend.imports
        lines += group(
            "`import` into an empty ledger", backend.name, imports, import_floors, n, TARGETS["import"]
        )
        reads = [
            ("SELECT count(*) (floor table)", floors.count),
            ("SELECT * ORDER BY seq (floor table)", floors.select),
        ]
        kinds = {
            "select": reads + costs.floors(),
            "read_all": [(READ_FLOOR, floors.read_all), *costs.floors()],
            "write": costs.floors(),
        }
        for command in COMMANDS:
            label = command.label
            own = [(ISSUE_FLOORS[label], issue[label])] if label in COMMAND_FLOORS else []
            lines += group(
                command.shown,
                backend.name,
                backend.commands[label],
                [*own, *kinds[command.kind]],
                target=TARGETS.get(label),
            )
        rebuild_floors = [(REBUILD_FLOOR, issue["import"]), (READ_FLOOR, floors.read_all)]
        lines += group(
            "`rebuild` (wall)", backend.name, backend.rebuilds, rebuild_floors, n, TARGETS["rebuild"]
        )
        own_timer = [(READ_FLOOR, floors.read_all)]
        lines += group("`rebuild` (its own timer)", backend.name, backend.rebuild_own, own_timer, n)
    return lines


def side_by_side(result: SizeResult) -> list[str]:
    """The older tree's figures beside this tree's, measured in the same run (`--before`)."""
    pairs = [
        (ours, theirs)
        for ours in result.backends
        for theirs in result.backends
        if not ours.tree.label and theirs.tree.label and theirs.kind == ours.kind
    ]
    if not pairs:
        return []
    label = pairs[0][1].tree.label
    lines = [
        f"### {result.members:,} members, old and new: {label} beside this tree, median of {result.runs}",
        "",
        f"| measure | backend | {label} (s) | now (s) | now / {label} |",
        "| --- | --- | ---: | ---: | ---: |",
    ]
    for ours, theirs in pairs:
        named = [
            ("`import` into an empty ledger", ours.imports, theirs.imports),
            *((c.shown, ours.commands[c.label], theirs.commands[c.label]) for c in COMMANDS),
            ("`rebuild` (wall)", ours.rebuilds, theirs.rebuilds),
        ]
        for measure, now, old in named:
            change = f"{now.median / old.median:.2f}" if now.median and old.median else ""
            lines.append(f"| {measure} | {ours.kind} | {shown(old)} | {shown(now)} | {change} |")
    return lines


def failures(results: list[SizeResult], costs: FixedCosts) -> list[str]:
    fixed = [*costs.floors(), (CLICK_FLOOR, costs.click)]
    notes = [f"- {name}: {figure.failure}" for name, figure in fixed if figure.failure]
    for result in results:
        for backend in result.backends:
            named = {"import": backend.imports, "rebuild": backend.rebuilds, **backend.commands}
            if not backend.tree.label:
                named |= {
                    f"floor of {label}": figure for label, figure in result.floors[backend.kind].issue.items()
                }
            for name, figure in named.items():
                if figure.failure:
                    notes.append(f"- {result.members:,} members, {backend.name} {name}: {figure.failure}")
    return notes


# ---------------------------------------------------------------------------- environment


def environment(pg: PgInfo | None, stores: Stores) -> list[str]:
    """Facts that decide how far these numbers carry to another machine."""
    facts = [
        f"- CPUs: {os.cpu_count()} ({platform.machine()}), load average at start: {load_average()}",
        f"- Python {platform.python_version()} ({sys.executable})",
        f"- SQLite {sqlite3.sqlite_version}",
    ]
    if pg:
        with stores.pg_connect() as conn:
            version = conn.execute("SHOW server_version").fetchone()
        facts.append(
            f"- PostgreSQL {version[0] if version else '?'} at {pg.conninfo['host']}:{pg.conninfo['port']}"
        )
    packages = ["eventsourcing", "SQLAlchemy", "psycopg", "psycopg-binary", "msgspec", "click"]
    facts.append("- " + ", ".join(f"{p} {version_of(p)}" for p in packages))
    facts.append(f"- coopledger at git {git_head()}")
    return facts


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def version_of(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "absent"


def git_head() -> str:
    try:
        done = subprocess.run(["git", "-C", str(HERE), "rev-parse", "--short", "HEAD"], capture_output=True)
        dirty = subprocess.run(["git", "-C", str(HERE), "status", "--porcelain"], capture_output=True)
        return done.stdout.decode().strip() + (" (+ uncommitted changes)" if dirty.stdout.strip() else "")
    except OSError:
        return "?"


def report(
    results: list[SizeResult], costs: FixedCosts, facts: list[str], argv: list[str], started: float
) -> str:
    """The results page; the load average at the end and the run's length join the facts, the
    machine being shared."""
    facts = [
        *facts,
        f"- load average at end: {load_average()}; the whole run took {time.perf_counter() - started:.0f} s",
    ]
    body = [*startup_table(costs, len(costs.help.times)), ""]
    for result in results:
        body += [*size_table(result, costs), ""]
        if compared := side_by_side(result):
            body += [*compared, ""]
    notes = failures(results, costs)
    when = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    parts = [
        f"# coopledger benchmark results\n\n{when}, `python bench/run.py {' '.join(argv)}`. "
        "Wall times of real `coopledger` processes; ratio = figure / floor (see bench/README.md).\n",
        "\n".join(facts) + "\n",
        "\n".join(body),
    ]
    if notes:
        parts.append("Failures:\n\n" + "\n".join(notes) + "\n")
    return "\n".join(parts)


# ---------------------------------------------------------------------------- main


def check_postgres(pg: PgInfo, stores: Stores) -> None:
    try:
        with stores.pg_connect() as conn:
            conn.execute("SELECT 1")
    except Exception as e:
        raise SystemExit(f"bench: cannot reach PostgreSQL at {pg.url}: {e}\n(use --no-pg to skip it)") from e


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"only 45,000 members, SQLite only, 3 runs, written to {RESULTS_QUICK.name}",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        metavar="K",
        help="runs per figure (default 5 at 45k, 3 at 450k and with --quick)",
    )
    parser.add_argument("--pg", default=os.environ.get("BENCH_PG", DEFAULT_PG), help="PostgreSQL base URL")
    parser.add_argument("--no-pg", action="store_true", help="SQLite only")
    parser.add_argument(
        "--before",
        type=Path,
        help="a worktree of an older commit, measured beside this tree in the same run (old and new)",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        help="seconds before a process counts as hung (default 60 s per 45k members, at least 120)",
    )
    parser.add_argument(
        "--output",
        type=Path,
        help=f"Markdown file to write (default {RESULTS.name}, or with --quick {RESULTS_QUICK.name})",
    )
    args = parser.parse_args(argv)
    if args.repeat is not None and args.repeat < 1:
        parser.error("--repeat must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    started = time.perf_counter()
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    output = args.output or (RESULTS_QUICK if args.quick else RESULTS)
    coopledger_bin()
    pg = None if args.no_pg or args.quick else PgInfo.parse(args.pg)
    sizes = QUICK if args.quick else SIZES
    stores = Stores(pg)
    older = older_tree(args.before.resolve(), stores.tmp / "before") if args.before else None
    for tree in (HERE.parent, *([args.before.resolve()] if args.before else [])):
        compile_tree(tree)
    results: list[SizeResult] = []
    try:
        with cleanup_on_signals():
            if pg:
                check_postgres(pg, stores)
            facts = environment(pg, stores)
            costs = fixed_costs(args.repeat or max(sizes.values()), 60)
            for members, runs in sizes.items():
                timeout = args.timeout or max(120.0, 60.0 * members / 45_000)
                results.append(measure_size(members, args.repeat or runs, stores, timeout, older))
    finally:
        stores.close()
    text = report(results, costs, facts, argv, started)
    print(text)
    output.write_text(text, encoding="utf-8")
    print(f"written to {output}", file=sys.stderr)
    return 1 if failures(results, costs) else 0


if __name__ == "__main__":
    sys.exit(main())
