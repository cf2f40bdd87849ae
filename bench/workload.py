"""The commands the benches time on a ledger (`bench/run.py`, `bench/scale.py`), and what each
needs made first.

Every command of the CLI that reads or writes a ledger is here but `import`, `rebuild` and
`init` (timed apart) and `serve` (`bench/web_load.py`): a command left out of the bench can
turn slow with nothing to show it (`verify` once turned quadratic so).
"""

from __future__ import annotations

import datetime as dt
import re
import shlex
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

LAST_YEAR = 2025  # bench/generate.py's default --last-year
EVE = f"{LAST_YEAR}-12-31"
YEARS = 10  # the years of bench/run.py's journals
FIRST_YEAR = LAST_YEAR - YEARS + 1  # within every journal of the benches (5,000,000 members: 20 years)

# Dates the write commands give, from today (their entries are dated today unless told): the
# first days of next year (a resignation falls in the first half of a fiscal year), tomorrow
# (an exit or the end of a mandate dated the day its subject began comes before it, as the
# rules order one day's entries), the end of next June (a cooptation's end), the first of this
# month in three years (an election's or a renewal's end: within `mandate_max_years`, 4, on any
# day of the year).
TODAY = dt.date.today()
NEXT_YEAR = TODAY.year + 1
TOMORROW = (TODAY + dt.timedelta(days=1)).isoformat()
TERM_END = f"{TODAY.year + 3}-{TODAY.month:02d}-01"
ADMIT = ("member", "admit", "{member}", "--name", "Bench", "--category", "A", "--shares", "3")
CONVENE = ("assembly", "convene", "{assembly}", "--kind", "ordinary")
# The mandates are timed in a body of their own, of two seats, so that the board's vacancies,
# filled one run after another, do not decide what is refused.
SEATS = ("record", "body.seats", "--body", "{body}", "--count", "2")
COOPT = ("mandate", "coopt", "{member}", "--body", "{body}", "--until", f"{NEXT_YEAR}-06-15")
DECIDING = ("assembly", "convene", "{assembly}", "--kind", "ordinary", "--date", TOMORROW)
COOPTED = (SEATS, ADMIT, COOPT, DECIDING)  # a cooptation pending before tomorrow's assembly


@dataclass(frozen=True)
class Command:
    """A command a user runs on a ledger, timed on the ledger of the last import.

    `kind` names the floor it is measured against ("select": the floor table read in order,
    beside the fixed cost of starting the CLI; "read_all": the ledger's own events read back;
    "write": one entry's rows written by bench/floors/admit.py, process start included).
    `setup`: commands run untimed just before, each a process of its own, that make what the
    command acts on (a member admitted today, an assembly convened today): a write is timed on
    a subject of its own, whatever the generated journal holds. Placeholders, fresh each run:
    {id}, {member}, {other}, {assembly}, {body}; {checkpoint}, a checkpoint file; {out}, a temp folder.
    """

    label: str
    arguments: tuple[str, ...]
    kind: str
    setup: tuple[tuple[str, ...], ...] = ()

    @property
    def shown(self) -> str:
        """As a user would type it, its placeholders in capitals (ID, MEMBER, ...)."""
        typed = (re.sub(r"[{]([a-z]+)[}]", lambda m: m[1].upper(), a) for a in self.arguments)
        return f"`{shlex.join(typed)}`"


def decided(verb: str, *more: str) -> Command:
    """A mandate decision of tomorrow's assembly on the person coopted today."""
    arguments = ("mandate", verb, "{member}", "--body", "{body}", "--assembly", "{assembly}", *more)
    return Command(f"mandate {verb}", arguments, "write", COOPTED)


# Every command a user runs on a ledger but `import` and `rebuild` (timed apart): the reads,
# then the writes (each run's ledger is a fresh import, so the writes do not pile up).
COMMANDS: tuple[Command, ...] = (
    Command("register", ("register", "--as-of", EVE, "--format", "csv"), "select"),
    Command("movements", ("movements", "--year", str(LAST_YEAR), "--format", "csv"), "select"),
    Command("history", ("history", "M000001", "--format", "csv"), "select"),
    Command("show", ("show", "100"), "select"),
    Command("member show", ("member", "show", "M000001"), "select"),
    Command(
        "member certificate",
        ("member", "certificate", "M000001", "--cooperative", "Bench", "--format", "html"),
        "select",
    ),
    Command("board", ("board", "--as-of", EVE, "--format", "csv"), "select"),
    Command("assemblies", ("assemblies", "--year", str(LAST_YEAR), "--format", "csv"), "select"),
    Command("assembly show", ("assembly", "show", f"AG{LAST_YEAR}"), "select"),
    Command("assembly roll", ("assembly", "roll", f"AG{LAST_YEAR}", "--format", "csv"), "select"),
    Command("check", ("check", "--as-of", EVE, "--format", "json"), "select"),
    Command("report", ("report", "--year", str(LAST_YEAR), "--format", "json"), "select"),
    Command("chart", ("chart", "members", "--year", str(LAST_YEAR), "-o", "{out}/members.svg"), "select"),
    Command("log", ("log", "--format", "csv"), "read_all"),
    Command("export", ("export",), "read_all"),
    Command("verify", ("verify",), "read_all"),
    Command("checkpoint", ("checkpoint",), "select"),
    Command("prove", ("prove", "--member", "M000001", "--checkpoint", "{checkpoint}"), "select"),
    Command(
        "member admit",
        ("member", "admit", "{id}", "--name", "Bench", "--category", "A", "--shares", "1"),
        "write",
    ),
    Command(
        "member update", ("member", "update", "{member}", "--address", "Rue du Banc 1"), "write", (ADMIT,)
    ),
    Command("member pay", ("member", "pay", "{member}", "--amount", "25.00"), "write", (ADMIT,)),
    Command("member subscribe", ("member", "subscribe", "{member}", "--count", "1"), "write", (ADMIT,)),
    Command(
        "member transfer",
        ("member", "transfer", "{member}", "--to", "{other}", "--count", "1"),
        "write",
        (ADMIT, ("member", "admit", "{other}", "--name", "Other", "--category", "A", "--shares", "1")),
    ),
    Command("member redeem", ("member", "redeem", "{member}", "--count", "1"), "write", (ADMIT,)),
    Command(
        "member resign",
        ("member", "resign", "{member}", "--date", f"{NEXT_YEAR}-01-04", "--allow-future"),
        "write",
        (ADMIT,),
    ),
    Command(
        "member leave",
        ("member", "leave", "{member}", "--reason", "death", "--date", TOMORROW),
        "write",
        (ADMIT,),
    ),
    Command(
        "member exclude",
        ("member", "exclude", "{member}", "--reason", "bench", "--date", TOMORROW),
        "write",
        (ADMIT,),
    ),
    Command(
        "member forget",  # a person who left in the journal's first year: erasable since
        ("member", "forget", "{member}", "--reason", "request"),
        "write",
        (
            (*ADMIT, "--date", f"{FIRST_YEAR}-02-01"),
            ("member", "leave", "{member}", "--reason", "death", "--date", f"{FIRST_YEAR}-03-01"),
        ),
    ),
    Command("retract", ("retract", "{id}", "--reason", "bench"), "write", ((*ADMIT, "--id", "{id}"),)),
    Command(
        "record statutes.amended",
        ("record", "statutes.amended", "--parameter", "proxy_limit", "--value", "2"),
        "write",
    ),
    Command(  # every entry dated from its date on checked again under the new value
        "record statutes.amended, a year back",
        (
            "record",
            "statutes.amended",
            "--parameter",
            "proxy_limit",
            "--value",
            "2",
            "--date",
            f"{LAST_YEAR}-01-01",
        ),
        "write",
    ),
    Command(  # reaches most of the ledger: checked in two streamed reads of it (`check_whole`)
        "record statutes.amended, from the first year",
        (
            "record",
            "statutes.amended",
            "--parameter",
            "min_shares.A",
            "--value",
            "1",
            "--date",
            f"{FIRST_YEAR}-02-01",
        ),
        "write",
    ),
    Command("assembly convene", CONVENE, "write"),
    Command("assembly vote", ("assembly", "vote", "{assembly}", "{member}"), "write", (CONVENE, ADMIT)),
    Command(
        "assembly decide",
        ("assembly", "decide", "{assembly}", "R1", "--title", "Accounts", "--for", "1", "--against", "0"),
        "write",
        (CONVENE, ADMIT, ("assembly", "vote", "{assembly}", "{member}")),
    ),
    Command(
        "assembly allocate",
        (
            "assembly",
            "allocate",
            "{assembly}",
            "--year",
            str(LAST_YEAR),
            "--reserves",
            "100.00",
            "--dividend-rate",
            "1",
        ),
        "write",
        (CONVENE,),
    ),
    Command("mandate coopt", COOPT, "write", (SEATS, ADMIT)),
    decided("confirm"),
    decided("reject"),
    decided("renew", "--until", TERM_END),
    decided("revoke"),
    Command(
        "mandate elect",
        (
            "mandate",
            "elect",
            "{member}",
            "--body",
            "{body}",
            "--assembly",
            "{assembly}",
            "--until",
            TERM_END,
        ),
        "write",
        (SEATS, ADMIT, CONVENE),
    ),
    Command(
        "mandate resign",
        ("mandate", "resign", "{member}", "--body", "{body}", "--date", TOMORROW),
        "write",
        (SEATS, ADMIT, COOPT),
    ),
)


def prepared(command: Command, out: Path, run: Callable[[list[str]], str]) -> list[str]:
    """The command's arguments, its placeholders filled afresh, once its setup has run (through
    `run`, which runs a coopledger command on the ledger and gives its output) in `out`, a
    folder of its own."""
    fresh = f"B{time.monotonic_ns()}"
    values = {
        "id": fresh,
        "member": fresh,
        "other": f"{fresh}X",
        "assembly": f"AG{fresh}",
        "body": f"bench{fresh}",
        "checkpoint": str(out / "checkpoint"),
        "out": str(out),
    }
    if "{checkpoint}" in command.arguments:  # a checkpoint of the ledger to prove against
        (out / "checkpoint").write_text(run(["checkpoint"]))
    for step in command.setup:
        run(filled(step, values))
    return filled(command.arguments, values)


def filled(arguments: Sequence[str], values: dict[str, str]) -> list[str]:
    return [argument.format(**values) for argument in arguments]
