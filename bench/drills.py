"""Crash and race drills of issue 7, rerun by hand against the real CLI (never by the tests).

The tests prove single cases; these drills repeat the two ways a real ledger gets hurt,
many times and at random moments, so that rare windows show up:

- **kill**: SIGKILL `import` (then `register`, then `rebuild`) at random moments spread
  over its measured run time, on a ledger that already holds examples/demo.jsonl. The
  ledger must hold all of the file or none of it, `verify` must pass, and a re-import
  must complete.
- **race**: K processes import the same small file at the same instant (every one must
  exit 0 and the file be recorded once), or K different files (nothing lost, nothing
  twice). A non-zero exit in the same-file race is a *false refusal*.

    python bench/drills.py                      # both backends, 40 kills, 8 rounds (~25 min)
    python bench/drills.py --quick              # 8 kills per backend (~9 min)
    python bench/drills.py --backend sqlite --kills 20 --rounds 4 --seed 3
    python bench/drills.py --quick --skip race --newest-first   # the import checked by date

Every ledger is new (a SQLite file in a temp dir, or a `?schema=drill_...` PostgreSQL
schema) and removed afterwards, Ctrl-C and SIGTERM included. Exit status 0 if every run
was clean, 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any
from urllib.parse import unquote, urlsplit

from cleanup import cleanup_on_signals
from generate import generate

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DEMO = ROOT / "examples" / "demo.jsonl"
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
RACE_DATE = "2026-01-05"
AS_OF = "2026-12-31"
ENTRIES_PER_RACE_FILE = 5

# The racers import the CLI first, say they are ready, then wait for one start file:
# they all begin the command within a millisecond, start-up cost already paid. After
# the barrier this is exactly `python -m coopledger.commands ARGS`.
BARRIER = """\
import os, sys, time
ready, go = sys.argv[1], sys.argv[2]
from coopledger.commands.main import cli
open(ready, "w").close()
while not os.path.exists(go):
    time.sleep(0.0005)
sys.argv = ["coopledger", *sys.argv[3:]]
cli()
"""


class DrillError(Exception):
    """A step of a drill failed; the message says which and what was seen."""


# ---------------------------------------------------------------------------- results


@dataclass
class Tally:
    """One row of the final table: how many runs, how many clean, and what went wrong."""

    backend: str
    drill: str
    runs: int = 0
    clean: int = 0
    about: str = ""
    failures: list[str] = field(default_factory=list)
    notes: Counter[str] = field(default_factory=Counter)

    def fail(self, message: str) -> None:
        self.failures.append(message)
        print(f"  ! {self.backend} {self.drill}: {message}", file=sys.stderr)


# ---------------------------------------------------------------------------- processes


def cli_args(url: str, *args: str) -> list[str]:
    """The CLI's arguments (after the program name) for one command on one ledger."""
    return ["--db", url, "--by", "drill", *args]


def cli_argv(url: str, *args: str) -> list[str]:
    return [sys.executable, "-m", "coopledger.commands", *cli_args(url, *args)]


def child_env() -> dict[str, str]:
    """The venv's interpreter finds the project even if it is not installed in editable mode."""
    env = os.environ.copy()
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    return env


def first_line(text: str, skip_ok: bool = False) -> str:
    """The line that says what went wrong: the first one, or a traceback's last one
    (and past the `...: ok` lines `verify` prints before a problem)."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if lines and lines[0].startswith("Traceback"):
        return f"traceback: {lines[-1][:300]}"
    for line in lines:
        if not (skip_ok and line.endswith(": ok")):
            return line[:300]
    return "no message"


def failure_line(done: subprocess.CompletedProcess[str]) -> str:
    return first_line(done.stderr) if done.stderr.strip() else first_line(done.stdout, skip_ok=True)


def run(url: str, *args: str, timeout: float) -> subprocess.CompletedProcess[str]:
    """One CLI command to its end; `DrillError` if it outruns the timeout (it is killed)."""
    argv = cli_argv(url, *args)
    try:
        return subprocess.run(
            argv,
            cwd=ROOT,
            env=child_env(),
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired:
        raise DrillError(f"hung (> {timeout:.0f} s, killed): {' '.join(args)}") from None


def run_ok(url: str, *args: str, timeout: float) -> str:
    """stdout of a command that must succeed; `DrillError` with its message otherwise."""
    done = run(url, *args, timeout=timeout)
    if done.returncode != 0:
        raise DrillError(f"`{args[0]}` exit {done.returncode}: {failure_line(done)}")
    return done.stdout


def timed_ok(url: str, *args: str, timeout: float) -> float:
    started = time.perf_counter()
    run_ok(url, *args, timeout=timeout)
    return time.perf_counter() - started


@dataclass
class Killed:
    """What happened to a process sent SIGKILL after `delay` seconds."""

    delay: float
    landed: bool  # still running when the signal was sent
    returncode: int
    stderr: str


def run_killed(url: str, args: Sequence[str], delay: float, timeout: float) -> Killed:
    """Start a command and SIGKILL it `delay` s after the spawn, unless it ended first."""
    with tempfile.TemporaryFile("w+") as err:
        process = subprocess.Popen(
            cli_argv(url, *args),
            cwd=ROOT,
            env=child_env(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=err,
            text=True,
        )
        try:
            try:
                process.wait(timeout=delay)
                landed = False
            except subprocess.TimeoutExpired:
                process.send_signal(signal.SIGKILL)
                landed = True
            try:
                returncode = process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                raise DrillError(f"`{args[0]}` survived SIGKILL for {timeout:.0f} s") from None
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
        err.seek(0)
        return Killed(delay, landed, returncode, err.read())


@dataclass
class Raced:
    returncode: int | None  # None: hung and killed
    stderr: str


def run_raced(argvs: Sequence[Sequence[str]], workdir: Path, timeout: float) -> list[Raced]:
    """Run CLI commands released together by a start file; each one's exit code and stderr."""
    go = workdir / "go"
    started: list[tuple[subprocess.Popen[bytes], IO[bytes]]] = []
    try:
        for i, argv in enumerate(argvs):
            log = (workdir / f"stderr-{i}").open("w+b")
            ready = str(workdir / f"ready-{i}")
            command = [sys.executable, "-c", BARRIER, ready, str(go), *argv]
            racer = subprocess.Popen(
                command,
                cwd=ROOT,
                env=child_env(),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=log,
            )
            started.append((racer, log))
        deadline = time.monotonic() + timeout
        while not all((workdir / f"ready-{i}").exists() for i in range(len(argvs))):
            if time.monotonic() > deadline or any(p.poll() is not None for p, _ in started):
                break  # a racer died in start-up: release the others, its exit code tells
            time.sleep(0.005)
        go.touch()
        results: list[Raced] = []
        for process, err in started:
            try:
                returncode: int | None = process.wait(timeout=max(1.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
                returncode = None
            err.seek(0)
            results.append(Raced(returncode, err.read().decode(errors="replace")))
        return results
    finally:
        for process, err in started:
            if process.poll() is None:
                process.kill()
                process.wait()
            err.close()


# ---------------------------------------------------------------------------- ledgers


@dataclass(frozen=True)
class PgServer:
    """The PostgreSQL base URL and psycopg connection facts (the `schema` parameter is ours)."""

    url: str
    conninfo: dict[str, Any]

    @classmethod
    def parse(cls, url: str) -> PgServer:
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

    def connect(self) -> Any:
        import psycopg

        return psycopg.connect(**self.conninfo, autocommit=True)


class Ledgers:
    """Fresh ledgers of one backend, each removed by `discard` (and all of them by `close`)."""

    def __init__(self, backend: str, tmp: Path, pg: PgServer | None):
        self.backend = backend
        self.tmp = tmp
        self.pg = pg
        self.schemas: set[str] = set()
        self.counter = 0

    def fresh(self, label: str) -> str:
        """The URL of a ledger that does not exist yet (the first command creates it)."""
        self.counter += 1
        if self.backend == "sqlite":
            return str(self.tmp / f"{label}-{self.counter}.db")
        assert self.pg is not None
        schema = f"drill_{label}_{os.getpid()}_{self.counter}"
        self.schemas.add(schema)
        return f"{self.pg.url}?schema={schema}"

    def discard(self, url: str) -> None:
        if self.backend == "sqlite":
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(f"{url}{suffix}").unlink(missing_ok=True)
            return
        schema = url.rsplit("schema=", 1)[1]
        from psycopg.sql import SQL, Identifier

        assert self.pg is not None
        try:
            with self.pg.connect() as conn:
                conn.execute("SET lock_timeout = '30s'")
                conn.execute(SQL("DROP SCHEMA IF EXISTS {0} CASCADE").format(Identifier(schema)))
            self.schemas.discard(schema)
        except Exception as e:  # clean-up must not hide the results
            print(f"drills: could not drop schema {schema}: {e}", file=sys.stderr)

    def close(self) -> None:
        for schema in sorted(self.schemas):
            self.discard(f"?schema={schema}")

    @contextmanager
    def one(self, label: str) -> Iterator[str]:
        url = self.fresh(label)
        try:
            yield url
        finally:
            self.discard(url)


# ---------------------------------------------------------------------------- journals


def write_kill_journal(path: Path, members: int, newest_first: bool = False) -> list[str]:
    """The membership and share entries of a generated journal (bench/generate.py, 10 years,
    seed 1); its board and assemblies would clash with those of the demo already recorded.
    `newest_first`: the years in reverse (each keeping its order), so that `import` checks the
    file by date and records it again in its own order (`Ledger.record_parts`)."""
    kept = [
        entry
        for entry in generate(members=members, years=10, seed=1)
        if entry["type"].split(".")[0] in ("member", "shares")
    ]
    if newest_first:
        kept.sort(key=lambda entry: -int(str(entry["date"])[:4]))
    with path.open("w", encoding="utf-8") as out:
        out.writelines(json.dumps(entry, ensure_ascii=False) + "\n" for entry in kept)
    return [entry["id"] for entry in kept]


def write_admissions(path: Path, tag: str, members: Sequence[str]) -> list[str]:
    """A small journal admitting new members; its entry ids are derived from theirs."""
    ids = [f"race-{tag}-{member}" for member in members]
    with path.open("w", encoding="utf-8") as out:
        for entry_id, member in zip(ids, members, strict=True):
            entry: dict[str, Any] = {"id": entry_id, "type": "member.admitted", "date": RACE_DATE}
            entry["member"] = member
            entry |= {"name": f"Racer {member}", "category": "A", "shares": 1}
            out.write(json.dumps(entry) + "\n")
    return ids


def recorded_ids(url: str, timeout: float) -> Counter[str]:
    """How many times each entry id is recorded, read from `export` (no catch-up involved)."""
    ids: Counter[str] = Counter()
    for line in run_ok(url, "export", timeout=timeout).splitlines():
        if line.strip():
            ids[str(json.loads(line).get("id"))] += 1
    return ids


def register_members(url: str, timeout: float) -> Counter[str]:
    rows = json.loads(run_ok(url, "register", "--as-of", AS_OF, "--format", "json", timeout=timeout))
    return Counter(row["member"] for row in rows)


# ---------------------------------------------------------------------------- kill drill


@dataclass(frozen=True)
class Timings:
    """Wall times of unkilled commands: the span the kill moments are spread over."""

    import_s: float
    register_s: float
    rebuild_s: float


def calibrate(ledgers: Ledgers, journal: Path, timeout: float) -> Timings:
    """One unkilled run of each command on the drill's ledger shape, checked like the others."""
    with ledgers.one("calibrate") as url:
        run_ok(url, "import", str(DEMO), timeout=timeout)
        import_s = timed_ok(url, "import", str(journal), timeout=timeout)
        register_s = timed_ok(url, "register", "--as-of", AS_OF, "--format", "csv", timeout=timeout)
        rebuild_s = timed_ok(url, "rebuild", timeout=timeout)
        run_ok(url, "verify", timeout=timeout)
    return Timings(import_s, register_s, rebuild_s)


def spread(n: int, span: float, rng: random.Random) -> list[float]:
    """n random moments in [0, span], one in each n-th of it (so the whole span is covered), shuffled."""
    moments = [(i + rng.random()) * span / n for i in range(n)]
    rng.shuffle(moments)
    return moments


def verify_fails(url: str, timeout: float) -> str:
    """Why `verify` did not pass ('' if it passed)."""
    try:
        done = run(url, "verify", timeout=timeout)
    except DrillError as e:
        return str(e)
    return "" if done.returncode == 0 else f"verify exit {done.returncode}: {failure_line(done)}"


def note_kill(tally: Tally, what: str, killed: Killed) -> bool:
    """Note where a kill landed; a command that ended before it must have succeeded."""
    tally.notes["landed" if killed.landed else "ended first"] += 1
    if not killed.landed and killed.returncode != 0:
        tally.fail(f"{what} (not killed, ended first) exit {killed.returncode}: {first_line(killed.stderr)}")
        return False
    return True


def kill_run(
    url: str,
    journal: Path,
    ids: Sequence[str],
    delays: tuple[float, float, float],
    tallies: tuple[Tally, Tally, Tally],
    timeout: float,
) -> str:
    """One ledger: kill import, check all-or-none and verify; kill register, re-import, verify;
    kill rebuild, verify. Returns a one-line summary for the progress log."""
    t_import, t_register, t_rebuild = tallies
    d_import, d_register, d_rebuild = delays
    for tally in tallies:
        tally.runs += 1
    ok = {"import": True, "register": True, "rebuild": True}
    file_ids = set(ids)
    demo_ids = {json.loads(line)["id"] for line in DEMO.read_text(encoding="utf-8").splitlines() if line}

    def failed(key: str, tally: Tally, message: str) -> None:
        ok[key] = False
        tally.fail(message)

    run_ok(url, "import", str(DEMO), timeout=timeout)
    where = f"import killed at {d_import:.2f} s"
    killed = run_killed(url, ["import", str(journal)], d_import, timeout)
    ok["import"] = note_kill(t_import, where, killed)
    recorded = recorded_ids(url, timeout)
    held = len(file_ids & set(recorded))
    outcome = "all" if held == len(file_ids) else "none" if held == 0 else f"{held} of {len(file_ids)}"
    t_import.notes[outcome if outcome in ("all", "none") else "part"] += 1
    if outcome not in ("all", "none"):
        failed("import", t_import, f"{where}: the ledger holds {outcome} entries of the file")
    if not demo_ids <= set(recorded):
        failed("import", t_import, f"{where}: demo entries lost: {sorted(demo_ids - set(recorded))[:3]}")
    if why := verify_fails(url, timeout):
        failed("import", t_import, f"{where}, file {outcome}: {why}")

    where_reg = f"{where}, file {outcome}, register killed at {d_register:.2f} s"
    args = ["register", "--as-of", AS_OF, "--format", "csv"]
    ok["register"] = note_kill(t_register, where_reg, run_killed(url, args, d_register, timeout))
    try:
        run_ok(url, "import", str(journal), timeout=timeout)
    except DrillError as e:
        failed("import", t_import, f"{where_reg}: re-import: {e}")
    recorded = recorded_ids(url, timeout)
    missing = file_ids - set(recorded)
    twice = sorted(i for i, n in recorded.items() if n > 1)
    if missing or twice:
        message = f"after the re-import {len(missing)} entries missing, {len(twice)} twice ({twice[:3]})"
        failed("import", t_import, f"{where_reg}: {message}")
    if why := verify_fails(url, timeout):
        failed("register", t_register, f"{where_reg}, re-imported: {why}")
        failed("import", t_import, f"{where_reg}, re-imported: {why}")

    where_reb = f"rebuild killed at {d_rebuild:.2f} s"
    ok["rebuild"] = note_kill(t_rebuild, where_reb, run_killed(url, ["rebuild"], d_rebuild, timeout))
    if why := verify_fails(url, timeout):
        failed("rebuild", t_rebuild, f"{where_reb}: {why}")

    for key, tally in zip(("import", "register", "rebuild"), tallies, strict=True):
        tally.clean += ok[key]
    verdict = "ok" if all(ok.values()) else "FAILED: " + ", ".join(k for k, v in ok.items() if not v)
    return f"{where} ({outcome}), register at {d_register:.2f} s, rebuild at {d_rebuild:.2f} s: {verdict}"


def kill_drill(
    backend: str,
    ledgers: Ledgers,
    journal: Path,
    ids: Sequence[str],
    n: int,
    rng: random.Random,
    timeout: float,
) -> list[Tally]:
    """N ledgers, each with an import, a register and a rebuild killed at random moments."""
    tallies = (Tally(backend, "kill import"), Tally(backend, "kill register"), Tally(backend, "kill rebuild"))
    try:
        timings = calibrate(ledgers, journal, timeout)
    except DrillError as e:
        for tally in tallies:
            tally.fail(f"calibration (unkilled run): {e}")
        return list(tallies)
    print(
        f"{backend}: unkilled import of {len(ids)} entries {timings.import_s:.2f} s, "
        f"register {timings.register_s:.2f} s, rebuild {timings.rebuild_s:.2f} s",
        file=sys.stderr,
    )
    for tally, span in zip(tallies, (timings.import_s, timings.register_s, timings.rebuild_s), strict=True):
        tally.about = f"kills spread over 0-{span:.2f} s"
    moments = zip(
        spread(n, timings.import_s, rng),
        spread(n, timings.register_s, rng),
        spread(n, timings.rebuild_s, rng),
        strict=True,
    )
    for i, delays in enumerate(moments, start=1):
        with ledgers.one("kill") as url:
            try:
                summary = kill_run(url, journal, ids, delays, tallies, timeout)
            except DrillError as e:  # a command hung or the setup failed: the run is lost
                tallies[0].fail(f"run {i}: {e}")
                summary = f"FAILED: {e}"
        print(f"{backend} kill {i}/{n}: {summary}", file=sys.stderr)
    return list(tallies)


# ---------------------------------------------------------------------------- race drill


@dataclass(frozen=True)
class RaceFile:
    """One file of a race round and what the ledger must hold of it afterwards."""

    path: Path
    ids: list[str]
    members: list[str]


def race_drill(
    backend: str, ledgers: Ledgers, tmp: Path, racers: int, rounds: int, same: bool, timeout: float
) -> Tally:
    """K imports released together, R rounds on one ledger (not yet created: round 1 also races
    its creation). Same file: all exit 0, recorded once. Different files: nothing lost or doubled."""
    tally = Tally(backend, "race same file" if same else "race different files")
    tally.about = f"{racers} racers x {rounds} rounds"
    tag = "s" if same else "d"
    with ledgers.one(f"race{tag}") as url:
        total = 0  # entries recorded before the round
        for r in range(1, rounds + 1):
            workdir = tmp / f"{backend}-race{tag}-{r}"
            workdir.mkdir()
            files: list[RaceFile] = []
            for p in range(1 if same else racers):
                members = [f"R{r}-{i}" if same else f"D{r}-{p}-{i}" for i in range(ENTRIES_PER_RACE_FILE)]
                path = workdir / f"racer-{p}.jsonl"
                files.append(RaceFile(path, write_admissions(path, tag, members), members))
            racer_files = [files[0 if same else p] for p in range(racers)]
            argvs = [cli_args(url, "import", str(f.path)) for f in racer_files]
            results = run_raced(argvs, workdir, timeout)
            exits = Counter("hung" if res.returncode is None else str(res.returncode) for res in results)
            for p, res in enumerate(results):
                tally.runs += 1
                if res.returncode == 0:
                    tally.clean += 1
                    continue
                tally.notes["false refusals" if same else "non-zero exits"] += 1
                how = "hung, killed" if res.returncode is None else f"exit {res.returncode}"
                tally.fail(f"round {r} racer {p}: {how}: {first_line(res.stderr)}")
            succeeded = {f.path for f, res in zip(racer_files, results, strict=True) if res.returncode == 0}
            try:
                total = check_race_round(url, r, files, succeeded, total, tally, timeout)
            except DrillError as e:
                tally.fail(f"round {r}: checking: {e}")
            print(f"{backend} {tally.drill} round {r}/{rounds}: exits {dict(exits)}", file=sys.stderr)
    return tally


def check_race_round(
    url: str,
    r: int,
    files: Sequence[RaceFile],
    succeeded: set[Path],
    before: int,
    tally: Tally,
    timeout: float,
) -> int:
    """A file some racer imported (exit 0) is recorded exactly once, entries and register rows;
    a file every racer failed left nothing (exit 1 and 2 write nothing); no other entry appeared.
    Returns the ledger's entry count."""
    recorded = recorded_ids(url, timeout)
    listed = register_members(url, timeout)
    added = 0
    for f in files:
        want = 1 if f.path in succeeded else 0
        added += want * len(f.ids)
        what = "imported (exit 0)" if want else "refused by every racer"
        wrong = {i: recorded[i] for i in f.ids if recorded[i] != want}
        for n in wrong.values():
            tally.notes["lost" if n < want else "doubled" if want else "written though refused"] += 1
        if wrong:
            tally.fail(
                f"round {r}: {f.path.name}, {what}: entries recorded {dict(list(wrong.items())[:3])} times"
            )
        off = {m: listed[m] for m in f.members if listed[m] != want}
        if off:
            tally.fail(f"round {r}: {f.path.name}, {what}: register rows {dict(list(off.items())[:3])}")
    total = sum(recorded.values())
    if total != before + added:
        tally.fail(f"round {r}: the ledger holds {total} entries, expected {before} + {added}")
    return total


# ---------------------------------------------------------------------------- report


def print_table(tallies: Sequence[Tally], elapsed: float) -> None:
    """The results table, then the first failure messages of each row."""
    header = ("backend", "drill", "runs", "clean", "failures", "notes")
    rows = [
        (
            t.backend,
            t.drill,
            str(t.runs),
            str(t.clean),
            str(len(t.failures)),
            "; ".join([*([t.about] if t.about else []), *(f"{k} {v}" for k, v in t.notes.items())]),
        )
        for t in tallies
    ]
    widths = [max(len(row[i]) for row in (header, *rows)) for i in range(len(header))]
    right = {2, 3, 4}

    def line(cells: Sequence[str]) -> str:
        padded = (
            c.rjust(w) if i in right else c.ljust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        )
        return "| " + " | ".join(padded) + " |"

    print()
    print(line(header))
    rule = ("-" * (w + 1) + ":" if i in right else "-" * (w + 2) for i, w in enumerate(widths))
    print("|" + "|".join(rule) + "|")
    for row in rows:
        print(line(row))
    print(f"\n{time.strftime('%Y-%m-%d %H:%M')}, {elapsed:.0f} s")
    for t in tallies:
        if t.failures:
            print(f"\n{t.backend} {t.drill}: {len(t.failures)} failure(s)")
            for message in t.failures[:10]:
                print(f"  - {message}")
            if len(t.failures) > 10:
                print(f"  ... and {len(t.failures) - 10} more")


# ---------------------------------------------------------------------------- main


def pg_reachable(pg: PgServer) -> str:
    """Why the server cannot be used ('' if it can)."""
    try:
        with pg.connect() as conn:
            conn.execute("SELECT 1")
    except Exception as e:
        return f"cannot connect to {pg.url}: {first_line(str(e))}"
    return ""


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="8 kills per backend instead of 40")
    parser.add_argument("--backend", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--kills", type=int, help="ledgers killed per backend (default 40, --quick 8)")
    parser.add_argument("--racers", type=int, help="racing processes (default 6 on SQLite, 8 on PostgreSQL)")
    parser.add_argument("--rounds", type=int, default=8, help="rounds of each race (default 8)")
    parser.add_argument("--members", type=int, default=5000, help="size of the killed import (default 5000)")
    parser.add_argument("--seed", type=int, help="seed of the kill moments (default: random, printed)")
    parser.add_argument("--timeout", type=float, default=120, help="a command running longer is hung (s)")
    parser.add_argument("--pg", default=os.environ.get("BENCH_PG", DEFAULT_PG), help="PostgreSQL base URL")
    parser.add_argument("--skip", choices=("kill", "race"), action="append", default=[], help="leave out")
    parser.add_argument(
        "--newest-first",
        action="store_true",
        help="the killed import's years in reverse, in parts of 1,000 lines: killed while it is checked "
        "by date or recorded again in its own order",
    )
    args = parser.parse_args(argv)
    if args.newest_first:
        os.environ["COOPLEDGER_IMPORT_PART"] = "1000"  # several parts: the check by date runs
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    kills = args.kills if args.kills is not None else 8 if args.quick else 40
    seed = args.seed if args.seed is not None else random.randrange(10**6)
    print(f"drills: seed {seed} (rerun the same moments with --seed {seed})", file=sys.stderr)
    rng = random.Random(seed)
    started = time.perf_counter()
    tallies: list[Tally] = []
    tmp = Path(tempfile.mkdtemp(prefix="coopledger-drills-"))
    with cleanup_on_signals():
        try:
            journal = tmp / "kill.jsonl"
            ids = (
                write_kill_journal(journal, args.members, args.newest_first)
                if "kill" not in args.skip
                else []
            )
            for backend in backends:
                pg = PgServer.parse(args.pg) if backend == "postgres" else None
                if pg is not None and (why := pg_reachable(pg)):
                    tallies.append(Tally(backend, "setup", failures=[why]))
                    continue
                ledgers = Ledgers(backend, tmp, pg)
                try:
                    if "race" not in args.skip:
                        racers = args.racers or (6 if backend == "sqlite" else 8)
                        for same in (True, False):
                            race = race_drill(backend, ledgers, tmp, racers, args.rounds, same, args.timeout)
                            tallies.append(race)
                    if "kill" not in args.skip:
                        tallies += kill_drill(backend, ledgers, journal, ids, kills, rng, args.timeout)
                finally:
                    ledgers.close()
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    print_table(tallies, time.perf_counter() - started)
    return 0 if tallies and all(not t.failures for t in tallies) else 1


if __name__ == "__main__":
    sys.exit(main())
