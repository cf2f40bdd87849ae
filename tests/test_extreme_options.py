"""No option value, however odd, prints a traceback (issue 7, defect 5).

Every command runs with a battery of extreme values for each of its options: dates and
moments far outside the ledger's range or malformed, years of the wrong length, huge
and negative numbers, empty, over-long and control-character text, odd Unicode and
undecodable bytes, unknown formats and languages, and store URLs that cannot be opened.
Each is refused with exit 2 and exactly one line on stderr, no traceback, and the ledger
unchanged (`export` the same bytes before and after). Values at the edges of the range
are accepted. Most cases run in-process through click's CliRunner; a handful through the
real command line.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from coopledger.commands.main import cli
from coopledger.ledger.events import FIRST_DATE, LAST_DATE
from tests.conftest import ROOT, run_cli

FIRST, LAST = FIRST_DATE.isoformat(), LAST_DATE.isoformat()
HUGE = "99999999999999999999999"
UNDECODABLE = os.fsdecode(b"\xff")  # what Python makes of a byte that is not UTF-8 in argv

BAD_DATES = {
    "year-1": "0001-01-01",
    "day-before-first": "1799-12-31",
    "day-after-last": "3000-01-01",
    "year-9999": "9999-12-31",
    "five-digit-year": "10000-01-01",
    "feb-30": "2025-02-30",
    "month-13": "2025-13-01",
    "empty": "",
    "space": " ",
    "no-zero-padding": "2025-1-1",
    "basic-format": "20250101",
    "week-date": "2025-W01-1",
    "fullwidth-digits": "\uff12\uff10\uff12\uff15-01-01",
    "rtl-override": "\u202e2025-01-01",
    "undecodable": UNDECODABLE,
    "very-long": "2025-01-01" + "x" * 10_000,
    "negative": "-2025-01-01",
}
BAD_MOMENTS = {
    **BAD_DATES,
    "year-1-east-of-utc": "0001-01-01T00:00+01:00",
    "year-9999-west-of-utc": "9999-12-31T23:59-01:00",
    "first-day-but-1799-in-utc": f"{FIRST}T00:00+00:01",
    "last-day-but-3000-in-utc": f"{LAST}T23:59-00:01",
    "hour-25": "2025-01-01T25:00",
    "offset-25h": "2025-01-01T00:00+25:00",
    "bad-separator": "2025-01-01X00:00",
}
BAD_YEARS = {
    "9999": "9999",
    "0": "0",
    "-1": "-1",
    "-5": "-5",
    "1": "1",
    "two-digits": "25",
    "10000": "10000",
    "huge": "99999999999999999999",
    "before-first": "1799",
    "after-last": "3000",
    "empty": "",
    "letters": "abc",
    "decimal": "2025.0",
    "plus-sign": "+2025",
    "leading-space": " 2025",
    "fullwidth": "\uff12\uff10\uff12\uff15",
    "arabic-indic": "\u0662\u0660\u0662\u0665",
}
BAD_TEXT = {
    "too-long": "x" * 1001,
    "newline": "a\nb",
    "nul": "a\x00b",
    "escape-sequence": "\x1b[31mred",
    "undecodable": UNDECODABLE,
}
BAD_CHOICES = {
    "unknown": "bogus",
    "empty": "",
    "upper-case": "TABLE",
    "very-long": "x" * 10_000,
    "undecodable": UNDECODABLE,
}

READ_COMMANDS = {
    "register": ["register"],
    "board": ["board"],
    "check": ["check"],
    "movements": ["movements"],
    "assemblies": ["assemblies"],
    "history": ["history", "M01"],
    "assembly-show": ["assembly", "show", "AG2025"],
    "report": ["report"],
    "chart": ["chart", "members", "-o", "CHART.svg"],
}
PERIOD_COMMANDS = ("report", "movements", "assemblies", "chart")
FORMAT_COMMANDS = (*(c for c in READ_COMMANDS if c != "chart"), "log")


def battery() -> Iterator[tuple[str, list[str]]]:
    """(id, arguments after --db) of every case that must exit 2 with one line."""
    for name in ("register", "board", "check"):
        for label, value in BAD_DATES.items():
            yield f"{name} --as-of {label}", [*READ_COMMANDS[name], "--as-of", value]
    for name, command in READ_COMMANDS.items():
        for label, value in BAD_MOMENTS.items():
            yield f"{name} --known-at {label}", [*command, "--known-at", value]
    for option in ("--since", "--until"):
        for label, value in BAD_MOMENTS.items():
            yield f"log {option} {label}", ["log", option, value]
    for label, value in BAD_MOMENTS.items():
        yield f"report --compare-known-at {label}", ["report", "--compare-known-at", value]
    yield (
        "report --compare-known-at after --known-at",
        [
            "report",
            "--known-at",
            "2025-01-01",
            "--compare-known-at",
            "2025-06-01",
        ],
    )
    for name in PERIOD_COMMANDS:
        command = READ_COMMANDS[name]
        for label, value in BAD_YEARS.items():
            yield f"{name} --year {label}", [*command, f"--year={value}"]
        for label, value in BAD_DATES.items():
            yield f"{name} --from {label}", [*command, "--from", value, "--to", "2025-12-31"]
            yield f"{name} --to {label}", [*command, "--from", "2025-01-01", "--to", value]
        yield f"{name} year-1 period", [*command, "--from", "0001-01-01", "--to", "0001-12-31"]
        yield f"{name} --from after --to", [*command, "--from", "2025-12-31", "--to", "2025-01-01"]
        yield f"{name} --from alone", [*command, "--from", "2025-01-01"]
        yield f"{name} --year and --from", [*command, "--year", "2025", "--from", "2025-01-01"]
    for name in FORMAT_COMMANDS:
        command = READ_COMMANDS.get(name, [name])
        for label, value in BAD_CHOICES.items():
            yield f"{name} --format {label}", [*command, "--format", value]
    for name in ("report", "chart"):
        for label, value in {
            "unknown": "xx",
            "empty": "",
            "upper-case": "FR",
            "undecodable": UNDECODABLE,
        }.items():
            yield f"{name} --lang {label}", [*READ_COMMANDS[name], "--lang", value]
    for label, value in BAD_TEXT.items():
        yield f"board --body {label}", ["board", "--body", value]
        yield f"log --type {label}", ["log", "--type", value]
        yield f"movements --kind {label}", ["movements", "--kind", value]
        yield f"history MEMBER {label}", ["history", value]
        yield f"assembly show ASSEMBLY {label}", ["assembly", "show", value]
        yield f"report --cooperative {label}", ["report", "--format", "md", "--cooperative", value]
        yield f"chart -o {label}", ["chart", "members", "-o", value + ".svg"]
    for label, value in {
        "four-characters": "....",
        "digit": "1",
        "decimal-comma": ",",
        "html": "<",
        "markdown-table": "|",
        "newline": "\n",
        "undecodable": UNDECODABLE,
    }.items():
        yield (
            f"report --thousands-separator {label}",
            ["report", "--format", "md", "--thousands-separator", value],
        )
    for label, value in {
        "empty": "",
        "unknown-section": "principle9=FILE",
        "no-file": "principle4=",
        "missing-file": "principle4=/nonexistent/p4.md",
        "folder": "principle4=FOLDER",
        "not-utf8": "principle4=LATIN1",
        "nul-in-name": "principle4=a\x00b",
        "newline-in-name": "principle4=a\nb",
    }.items():
        yield f"report --include {label}", ["report", "--format", "md", "--include", value]
    for label, value in {
        "unknown-subject": ["chart", "bogus", "-o", "CHART.svg"],
        "gif": ["chart", "members", "-o", "CHART.gif"],
        "missing-folder": ["chart", "members", "-o", "/nonexistent/chart.svg"],
        "folder": ["chart", "members", "-o", "FOLDER.svg"],
    }.items():
        yield f"chart {label}", value
    yield from writes()


def writes() -> Iterator[tuple[str, list[str]]]:
    """Entering commands: odd dates, numbers and choices are refused before anything is written."""
    admit = ["member", "admit", "Z1", "--name", "Zoe", "--category", "A", "--shares", "1"]
    for label in ("year-1", "year-9999", "five-digit-year", "feb-30", "empty", "undecodable"):
        value = BAD_DATES[label]
        yield f"member admit --date {label}", [*admit, "--date", value]
        yield f"member resign --date {label}", ["member", "resign", "M01", "--date", value]
        yield f"retract --date {label}", ["retract", "@1", "--reason", "r", "--date", value]
        yield f"assembly vote --date {label}", ["assembly", "vote", "AG2025", "M02", "--date", value]
        yield (
            f"mandate elect --until {label}",
            ["mandate", "elect", "M02", "--until", value, "--assembly", "AG2025"],
        )
        yield f"mandate coopt --until {label}", ["mandate", "coopt", "M02", "--until", value]
    record = ["record", "member.admitted", "--member", "Z1", "--name", "Zoe", "--category", "A"]
    yield "record --shares huge", [*record, "--shares", HUGE, "--date", "2025-03-01"]
    yield "record --date year-9999", [*record, "--shares", "1", "--date", "9999-12-31"]
    yield "record --name undecodable", [*record, "--shares", "1", "--name", UNDECODABLE]
    yield "member admit --shares huge", [*admit[:-1], HUGE, "--date", "2025-03-01"]
    decide = ["assembly", "decide", "AG2025", "R9", "--title", "t", "--against", "0"]
    for label, value in {
        "huge": HUGE,
        "negative": "-1",
        "letters": "abc",
        "empty": "",
        "5000-digits": "1" * 5000,
    }.items():
        yield f"assembly decide --for {label}", [*decide, "--for", value]
    yield "assembly decide --title too-long", [*decide, "--for", "1", "--title", "t" * 5000]
    yield "assembly decide --majority bogus", [*decide, "--for", "1", "--majority", "bogus"]
    for label in ("two-digits", "0", "9999", "huge", "letters"):
        yield (
            f"assembly allocate --year {label}",
            ["assembly", "allocate", "AG2025", "--year", BAD_YEARS[label]],
        )
    yield (
        "assembly allocate --reserves 1e400",
        ["assembly", "allocate", "AG2025", "--year", "2025", "--reserves", "1e400"],
    )
    yield (
        "assembly convene --kind bogus",
        ["assembly", "convene", "AG9", "--kind", "bogus", "--date", "2025-09-01"],
    )


BAD_URLS = {
    "port-99999": "postgresql+psycopg://postgres@127.0.0.1:99999/test",
    "port-0": "postgresql+psycopg://postgres@127.0.0.1:0/test",
    "port-letters": "postgresql+psycopg://postgres@127.0.0.1:abc/test",
    "port-negative": "postgresql+psycopg://postgres@127.0.0.1:-1/test",
    "unclosed-ipv6": "postgresql+psycopg://postgres@[::1/test",
    "host-with-space": "postgresql+psycopg://postgres@ho st/test",
    "bad-schema": 'postgresql+psycopg://postgres@127.0.0.1:5432/test?schema=a"b',
    "empty-schema": "postgresql+psycopg://postgres@127.0.0.1:5432/test?schema=",
    "bad-sslmode": "postgresql+psycopg://postgres@127.0.0.1:5432/test?sslmode=bogus",
    "unknown-parameter": "postgresql+psycopg://postgres@127.0.0.1:5432/test?colour=red",
    "unknown-scheme": "mysql://root@127.0.0.1/test",
    "http": "http://example.org/",
    "unknown-driver": "postgresql+asyncpg://postgres@127.0.0.1/test",
    "empty": "",
    "sqlite-two-slashes": "sqlite://coop.db",
    "sqlite-query": "sqlite:///coop.db?mode=ro",
    "sqlite-folder": "sqlite:///FOLDER",
    "sqlite-missing-folder": "sqlite:////nonexistent/folder/coop.db",
    "sqlite-name-too-long": "sqlite:///" + "x" * 5000,
    "nul": "coop\x00.db",
    "undecodable": f"coop{UNDECODABLE}.db",
}

# The options of the entry sub-commands and of the group: each runs on a ledger of its
# own, since `--by` is read before the entry is checked.
ENTRY_OPTIONS = {
    "member admit --shares letters": [
        "member",
        "admit",
        "Z1",
        "--name",
        "Zoe",
        "--category",
        "A",
        "--shares",
        "abc",
    ],
    "member leave --reason bogus": ["member", "leave", "M01", "--reason", "bogus"],
    "--by too-long": [
        "--by",
        "x" * 2000,
        "member",
        "admit",
        "Z2",
        "--name",
        "Zoe",
        "--category",
        "A",
        "--shares",
        "1",
    ],
    "--by undecodable": [
        "--by",
        UNDECODABLE,
        "member",
        "admit",
        "Z2",
        "--name",
        "Zoe",
        "--category",
        "A",
        "--shares",
        "1",
    ],
}

# At the edges of the range, and the odd values that are fine: accepted.
ACCEPTED = {
    "register --as-of first-day": ["register", "--as-of", FIRST],
    "register --as-of last-day": ["register", "--as-of", LAST],
    "board --as-of last-day": ["board", "--as-of", LAST],
    "check --as-of last-day": ["check", "--as-of", LAST],
    "register --known-at first-day": ["register", "--known-at", FIRST],
    "register --known-at last-moment-in-utc": ["register", "--known-at", f"{LAST}T23:59:59-00:00"],
    "assemblies --known-at first-moment-east": ["assemblies", "--known-at", f"{FIRST}T00:00+00:00"],
    "log --since first --until last": ["log", "--since", FIRST, "--until", LAST],
    "report --year first": ["report", "--year", str(FIRST_DATE.year)],
    "report --year last": ["report", "--year", str(LAST_DATE.year)],
    "report whole range": ["report", "--from", FIRST, "--to", LAST, "--compare-known-at", FIRST],
    "movements whole range": ["movements", "--from", FIRST, "--to", LAST],
    "report html whole range": ["report", "--format", "html", "--from", FIRST, "--to", LAST],
    "chart whole range": ["chart", "members", "--from", FIRST, "--to", LAST, "-o", "CHART.svg"],
    "report --thousands-separator narrow-nbsp": [
        "report",
        "--format",
        "md",
        "--thousands-separator",
        "\u202f",
    ],
}


@pytest.fixture(scope="module", autouse=True)
def restore_gc() -> Iterator[None]:
    """`cli` freezes the garbage collector and raises its thresholds, for one short process."""
    thresholds = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*thresholds)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """The demo ledger on an SQLite file, and a folder for the cases' files; after every
    case of this file, the ledger holds exactly what it held before."""
    work = tmp_path_factory.mktemp("extreme")
    url = f"sqlite:///{work / 'demo.db'}"
    loaded = CliRunner().invoke(cli, ["--db", url, "import", str(ROOT / "examples" / "demo.jsonl")])
    assert loaded.exit_code == 0, loaded.output
    (work / "FOLDER").mkdir()
    (work / "FOLDER.svg").mkdir()
    (work / "LATIN1").write_bytes("Coopérative".encode("latin-1"))
    before = export(url)
    yield url, work
    assert export(url) == before


def invoke(args: list[str], url: str, work: Path) -> Result:
    """Run one case in-process, in the work folder (for CHART.svg and the like)."""
    args = [
        arg.replace("FOLDER", str(work / "FOLDER")).replace("LATIN1", str(work / "LATIN1")) for arg in args
    ]
    args = [str(work / arg) if arg.startswith("CHART.") else arg for arg in args]
    return CliRunner().invoke(cli, ["--db", url, *args], env={"COOPLEDGER_TODAY": "2025-12-31"})


def export(url: str) -> bytes:
    done = CliRunner().invoke(cli, ["--db", url, "export"])
    assert done.exit_code == 0, done.output
    return done.stdout_bytes


def assert_one_line_refusal(result: Result) -> None:
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    unexpected = result.exception is not None and not isinstance(result.exception, SystemExit)
    assert not unexpected, f"{type(result.exception).__name__}: {result.exception}"
    assert "Traceback" not in result.output, result.output
    assert result.exit_code == 2, (result.exit_code, result.output)
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("coopledger: error: "), lines[0]


CASES = list(battery())


@pytest.mark.parametrize("args", [args for _, args in CASES], ids=[name for name, _ in CASES])
def test_extreme_values_exit_2_with_one_line(args: list[str], demo: tuple[str, Path]) -> None:
    url, work = demo
    writing = args[0] in ("record", "member", "retract", "mandate", "assembly") and args[1] != "show"
    before = export(url) if writing else b""
    assert_one_line_refusal(invoke(args, url, work))
    if writing:
        assert export(url) == before


@pytest.mark.parametrize("url", list(BAD_URLS.values()), ids=list(BAD_URLS))
def test_store_urls_that_cannot_be_opened_exit_2_with_one_line(url: str, demo: tuple[str, Path]) -> None:
    _, work = demo
    url = url.replace("FOLDER", str(work / "FOLDER"))
    for command in (["register"], ["init"], ["import", str(ROOT / "examples" / "demo.jsonl")]):
        result = CliRunner().invoke(cli, ["--db", url, *command])
        assert_one_line_refusal(result)
        assert any(word in result.stderr for word in ("--db", "URL", "store", "no ledger at"))


def test_an_empty_store_variable_is_an_error_not_a_new_ledger(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["register"], env={"COOPLEDGER_DB": ""})
    assert_one_line_refusal(result)
    assert "COOPLEDGER_DB is empty" in result.stderr
    result = CliRunner().invoke(cli, ["--db", "", "init"])
    assert_one_line_refusal(result)
    assert "--db is empty" in result.stderr
    assert not list(tmp_path.iterdir())  # no ./coopledger.db


@pytest.mark.parametrize("args", list(ENTRY_OPTIONS.values()), ids=list(ENTRY_OPTIONS))
def test_entry_options_exit_2_with_one_line(args: list[str], tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'demo.db'}"  # a ledger of its own: --by today writes the entry
    assert (
        CliRunner().invoke(cli, ["--db", url, "import", str(ROOT / "examples" / "demo.jsonl")]).exit_code == 0
    )
    before = export(url)
    assert_one_line_refusal(invoke(args, url, tmp_path))
    assert export(url) == before


@pytest.mark.parametrize("args", list(ACCEPTED.values()), ids=list(ACCEPTED))
def test_values_at_the_edges_are_accepted(args: list[str], demo: tuple[str, Path]) -> None:
    url, work = demo
    result = invoke(args, url, work)
    assert result.exit_code == 0 and result.exception is None, (result.exception, result.output)
    assert "Traceback" not in result.output


SUBPROCESS = {
    "report --year 9999": ["report", "--year", "9999"],
    "board --as-of 9999-12-31": ["board", "--as-of", "9999-12-31"],
    "log --since year-1-east-of-utc": ["log", "--since", "0001-01-01T00:00+01:00"],
    "register --known-at year-9999-west-of-utc": ["register", "--known-at", "9999-12-31T23:59-01:00"],
    "movements --year -5": ["movements", "--year", "-5"],
    "board --body undecodable": ["board", "--body", UNDECODABLE],
    "record --shares huge": [
        "record",
        "member.admitted",
        "--member",
        "Z1",
        "--name",
        "Zoe",
        "--category",
        "A",
        "--shares",
        HUGE,
        "--date",
        "2025-03-01",
    ],
}


@pytest.mark.parametrize("args", list(SUBPROCESS.values()), ids=list(SUBPROCESS))
def test_through_the_real_command_line(args: list[str], demo: tuple[str, Path]) -> None:
    url, _ = demo
    before = export(url)
    done = run_cli(*args, db=url)
    stderr = done.stderr.decode(errors="replace")
    assert done.returncode == 2, stderr
    assert len(stderr.splitlines()) == 1 and "Traceback" not in stderr, stderr
    assert export(url) == before


@pytest.mark.parametrize(
    ("db", "env"),
    [
        ("postgresql+psycopg://postgres@127.0.0.1:99999/test", {}),
        ("postgresql+psycopg://postgres@[::1/test", {}),
        ("", {}),
        (None, {"COOPLEDGER_DB": ""}),
    ],
    ids=["port-99999", "unclosed-ipv6", "empty-db", "empty-variable"],
)
def test_store_urls_through_the_real_command_line(
    db: str | None, env: dict[str, str], tmp_path: Path
) -> None:
    import subprocess
    import sys

    command = [
        sys.executable,
        "-m",
        "coopledger.commands",
        *(["--db", db] if db is not None else []),
        "register",
    ]
    done = subprocess.run(
        command,
        capture_output=True,
        cwd=tmp_path,
        env={**os.environ, **env, "PYTHONPATH": str(ROOT)},
        timeout=60,
    )
    stderr = done.stderr.decode()
    assert done.returncode == 2, stderr
    assert len(stderr.splitlines()) == 1 and "Traceback" not in stderr, stderr
    assert not list(tmp_path.iterdir())  # nothing created where it ran
