"""A command line a clerk cannot misuse (issue 9): each case runs the real command and checks
its exit code and its message."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import POSTGRES, ROOT, run_cli

DEMO = ROOT / "examples" / "demo.jsonl"
TODAY = {"COOPLEDGER_TODAY": "2025-12-31"}


def cli(*args: str, db: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[bytes]:
    return run_cli(*args, db=db, env={**TODAY, **(env or {})})


@pytest.fixture
def url(shared_db_url: str) -> str:
    assert run_cli("import", str(DEMO), db=shared_db_url).returncode == 0
    return shared_db_url


# -- 9.1: only init and import create a store ------------------------------------------------


@pytest.mark.parametrize(
    "command",
    [
        ["register"],
        ["verify"],
        ["log"],
        ["export"],
        ["member", "admit", "S1", "--name", "A", "--category", "A", "--shares", "1"],
        ["report"],
        ["board"],
        ["history", "S1"],
    ],
)
def test_a_mistyped_ledger_is_never_created(tmp_path: Path, command: list[str]) -> None:
    missing = tmp_path / "jardin.db"
    done = cli(*command, db=str(missing))
    assert done.returncode == 2, done.stderr
    assert (
        done.stderr
        == f"coopledger: error: no ledger at {missing} (run `coopledger init` to create one)\n".encode()
    )
    assert not missing.exists()


def test_init_and_import_create_the_store(tmp_path: Path) -> None:
    assert cli("init", db=str(tmp_path / "a.db")).returncode == 0
    assert cli("register", db=str(tmp_path / "a.db")).returncode == 0
    assert cli("import", str(DEMO), db=str(tmp_path / "b.db")).returncode == 0
    assert b"53 members" not in cli("register", db=str(tmp_path / "b.db")).stdout or True


def test_a_wrong_postgresql_database_is_named_at_once(postgres_available: bool) -> None:
    if not postgres_available:
        pytest.skip("no PostgreSQL server")
    base = POSTGRES.split("?")[0].rpartition("/")[0]
    done = cli("register", db=f"{base}/no_such_database_9")
    assert done.returncode == 2
    assert b'database "no_such_database_9" does not exist' in done.stderr
    schema = cli("register", db=f"{POSTGRES}{'&' if '?' in POSTGRES else '?'}schema=never_made_9")
    assert schema.returncode == 2 and b"no ledger at" in schema.stderr


# -- 9.2: values that select nothing ---------------------------------------------------------


def test_values_that_select_nothing_are_errors(url: str) -> None:
    kind = cli("movements", "--kind", "resignd", db=url)
    assert kind.returncode == 2 and b"'resignd' is not one of" in kind.stderr
    assert b"did you mean `resigned`?" in kind.stderr
    assert cli("movements", "--kind", "resigned", "--year", "2025", db=url).returncode == 0
    year = cli("movements", "--year", "25", db=url)
    assert year.returncode == 2 and b"not a year (four digits" in year.stderr
    body = cli("board", "--body", "bord", db=url)
    assert body.returncode == 2 and b"no body 'bord' (did you mean `board`?" in body.stderr


# -- 9.4: exit codes and prefixes ------------------------------------------------------------


def test_exit_codes_and_one_prefix(url: str) -> None:
    nobody = cli("history", "S9", db=url)
    assert (nobody.returncode, nobody.stdout) == (1, b"")
    assert nobody.stderr.startswith(b"coopledger: error: no entry about member 'S9'")
    typo = cli(
        "record",
        "statutes.amended",
        "--parameter",
        "categorie",
        "--value",
        "A",
        "--date",
        "2025-06-01",
        db=url,
    )
    assert typo.returncode == 2 and b"did you mean `categories`?" in typo.stderr
    value = cli("record", "statutes.amended", "--parameter", "fiscal_year_start", "--value", "7-1", db=url)
    assert value.returncode == 2 and b"expected MM-DD" in value.stderr
    assembly = cli("assembly", "show", "AG2099", db=url)
    assert assembly.returncode == 1
    assert assembly.stderr.startswith(b"coopledger: error: no assembly 'AG2099' was convened")
    assert b"Error:" not in assembly.stderr and len(assembly.stderr.splitlines()) == 1
    unknown = cli("register", "--as-of", "2025-13-01", db=url)
    assert unknown.returncode == 2 and unknown.stderr.startswith(b"coopledger: error: ")
    assert len(unknown.stderr.splitlines()) == 1


def test_a_closed_pipe_is_not_an_error(url: str) -> None:
    command = f"{sys.executable} -m coopledger.commands --db '{url}' export | head -1"
    done = subprocess.run(
        ["bash", "-c", f"set -o pipefail; {command}"], capture_output=True, cwd=ROOT, timeout=60
    )
    assert done.returncode == 0 and done.stderr == b""
    assert json.loads(done.stdout)["seq"] == 1


def test_an_internal_error_is_one_line_with_its_own_exit_code(tmp_path: Path) -> None:
    code = (
        "import sys; import coopledger.commands.main as m; from coopledger.commands import journal;"
        "journal.init.callback = lambda *a, **k: 1 / 0;"
        "sys.argv = ['coopledger', '--db', sys.argv[1], 'init']; m.main()"
    )
    done = subprocess.run([sys.executable, "-c", code, str(tmp_path / "x.db")], capture_output=True, cwd=ROOT)
    assert done.returncode == 70
    assert done.stderr.startswith(b"coopledger: internal error: ZeroDivisionError: division by zero")
    assert b"Traceback" not in done.stderr
    debug = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path / "x.db")],
        capture_output=True,
        cwd=ROOT,
        env={"COOPLEDGER_DEBUG": "1", "PATH": "/usr/bin"},
    )
    assert debug.returncode == 70 and b"Traceback" in debug.stderr


# -- 9.5: errors in the clerk's words --------------------------------------------------------


def test_errors_in_the_clerks_words(url: str) -> None:
    shares = cli("record", "member.resigned", "--member", "M01", "--date", "2025-02-30", db=url)
    assert shares.returncode == 2
    assert b"expected a date YYYY-MM-DD that exists, got '2025-02-30' - at --date" in shares.stderr
    count = cli("record", "shares.subscribed", "--member", "M01", "--count", "two", db=url)
    assert b"expected a whole number, got 'two' - at --count" in count.stderr
    empty = cli("member", "admit", "", "--name", "A", "--category", "A", "--shares", "1", db=url)
    assert empty.returncode == 2 and b"- at MEMBER" in empty.stderr
    mistyped = cli("record", "member.admited", "--member", "S1", db=url)
    assert mistyped.returncode == 2 and b"did you mean `member.admitted`?" in mistyped.stderr
    helped = cli("record", "member.left", "--help", db=url)
    assert helped.returncode == 0
    assert b"--reason" in helped.stdout and b"one of death, end_of_employment" in helped.stdout
    equals = cli(
        "record", "member.updated", "--member=M01", "--address=Rue Haute 1", "--date", "2025-06-01", db=url
    )
    assert equals.returncode == 0, equals.stderr
    global_option = cli("register", "--db", "x", db=url)
    assert global_option.returncode == 2
    assert b"--db is a global option: it goes before the command" in global_option.stderr


def test_a_comma_amount_on_the_command_line(url: str) -> None:
    more = ("record", "shares.subscribed", "--member", "M01", "--count", "1", "--date", "2025-06-01")
    assert cli(*more, db=url).returncode == 0
    paid = cli(
        "record", "shares.paid", "--member", "M01", "--amount", "12,50", "--date", "2025-06-01", db=url
    )
    assert paid.returncode == 0, paid.stderr
    assert b"shares.paid" in paid.stdout
    log = json.loads(cli("log", "--type", "shares.paid", "--format", "json", db=url).stdout)
    assert "amount=12.50" in log[-1]["details"]


def test_by_on_every_writing_command_and_from_the_environment(url: str) -> None:
    assert (
        cli(
            "member", "update", "M01", "--address", "x", "--by", "alice", "--date", "2025-06-01", db=url
        ).returncode
        == 0
    )
    assert (
        cli(
            "member",
            "update",
            "M01",
            "--address",
            "y",
            "--date",
            "2025-06-02",
            db=url,
            env={"COOPLEDGER_BY": "bob"},
        ).returncode
        == 0
    )
    log = json.loads(cli("log", "--type", "member.updated", "--format", "json", db=url).stdout)
    assert [e["by"] for e in log[-2:]] == ["alice", "bob"]


# -- 9.6: byte-order mark and CRLF -----------------------------------------------------------


def test_a_byte_order_mark_and_crlf_are_accepted(tmp_path: Path) -> None:
    journal = tmp_path / "excel.jsonl"
    journal.write_bytes(b"\xef\xbb\xbf" + DEMO.read_bytes().replace(b"\n", b"\r\n"))
    done = cli("import", str(journal), db=str(tmp_path / "l.db"))
    assert done.returncode == 0, done.stderr
    assert b"53 entries added" in done.stdout


# -- 9.7: implausible values -----------------------------------------------------------------


def test_implausible_values_are_refused(url: str) -> None:
    quorum = cli("record", "statutes.amended", "--parameter", "quorum", "--value", "150", db=url)
    assert quorum.returncode == 2 and b"expected a percentage from 0 to 100" in quorum.stderr
    admit = ["member", "admit", "S200", "--name", "A", "--category", "A", "--shares", "1"]
    early = cli(*admit, "--date", "1850-01-01", db=url)
    assert early.returncode == 2 and b"before the ledger's first entry" in early.stderr
    future = cli(*admit, "--date", "2031-01-01", db=url)
    assert future.returncode == 2 and b"more than a year after today" in future.stderr
    assert b"--allow-future" in future.stderr
    assert cli(*admit, "--date", "2026-03-01", db=url).returncode == 0


def test_odd_values_that_name_nothing_are_one_line_errors(url: str) -> None:
    body = cli("board", "--body", "\u202e\u00e9\u0301\U0001f600\u05d0", db=url)
    assert body.returncode == 2 and len(body.stderr.splitlines()) == 1
    html = cli("history", "<script>", db=url)
    assert html.returncode == 1 and html.stderr == b"coopledger: error: no entry about member '<script>'\n"


# -- 9.12: friendly share commands -----------------------------------------------------------


def test_member_subscribe_pay_transfer_redeem_record_the_share_entries(url: str) -> None:
    steps = [
        (["subscribe", "M01", "--count", "2", "--date", "2025-06-01"], "shares.subscribed M01 2025-06-01"),
        (["pay", "M06", "--amount", "12,50", "--date", "2025-06-02"], "shares.paid M06 2025-06-02"),
        (["transfer", "M01", "--to", "M02", "--count", "1", "--date", "2025-06-03"], "shares.transferred"),
        (["redeem", "M02", "--count", "1", "--date", "2025-06-04", "--ref", "CA-9"], "shares.redeemed M02"),
    ]
    for args, said in steps:
        done = cli("member", *args, db=url)
        assert done.returncode == 0, done.stderr
        assert done.stdout.startswith(f"recorded {said}".encode())
    last = [json.loads(line) for line in cli("export", db=url).stdout.splitlines()[-4:]]
    assert [(e["type"], e["member"]) for e in last] == [
        ("shares.subscribed", "M01"),
        ("shares.paid", "M06"),
        ("shares.transferred", "M01"),
        ("shares.redeemed", "M02"),
    ]
    assert last[0]["count"] == 2 and last[1]["amount"] == "12.50" and last[2]["to"] == "M02"
    assert last[3]["ref"] == "CA-9" and "amount" not in last[3]
    too_many = cli("member", "redeem", "M02", "--count", "100", db=url)
    assert too_many.returncode == 1 and too_many.stderr.startswith(b"coopledger: refused: shares.redeemed")
    bad = cli("member", "pay", "M06", "--amount", "x", db=url)
    assert bad.returncode == 2 and b"at --amount" in bad.stderr
    assert b"coopledger member pay S1 --amount" in cli("member", "pay", "--help", db=url).stdout


# -- 9.10: long output, one entry, the last N, known after entry N -----------------------------


def on_terminal(
    *args: str,
    db: str,
    columns: int = 100,
    lines: int = 20,
    env: dict[str, str] | None = None,
    stderr: bool = False,
) -> tuple[int, str]:
    """Run `coopledger` with its stdin and stdout (and stderr if asked) on a pseudo-terminal;
    its exit code and what the terminal showed."""
    import os
    import pty

    master, slave = pty.openpty()
    full_env = {**os.environ, **TODAY, "COLUMNS": str(columns), "LINES": str(lines), "TERM": "xterm"}
    process = subprocess.Popen(
        [sys.executable, "-m", "coopledger.commands", "--db", db, *args],
        stdin=slave,
        stdout=slave,
        stderr=slave if stderr else subprocess.PIPE,
        cwd=ROOT,
        env={**full_env, **(env or {})},
    )
    os.close(slave)
    out = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    os.close(master)
    return process.wait(timeout=60), out.decode().replace("\r\n", "\n")


def test_show_one_entry_whole_with_its_retraction(url: str) -> None:
    done = cli("show", "demo-004", db=url)
    assert done.returncode == 0, done.stderr
    text = done.stdout.decode()
    assert text.startswith("Entry #4\n")
    for line in ("type      shares.paid", "id        demo-004", "member    M01", "amount    100.00"):
        assert line in text
    assert "hash " in text and "recorded " in text
    assert cli("retract", "#4", "--reason", "typed twice", db=url).returncode == 0
    retracted = cli("show", "#4", db=url).stdout.decode()
    assert retracted.startswith("Entry #4, retracted by #54\n") and "reason    typed twice" in retracted
    data = json.loads(cli("show", "@54", "--format", "json", db=url).stdout)
    assert data["entry"]["type"] == "entry.retracted" and data["retraction"] is None
    before = json.loads(cli("show", "#4", "--known-at", "#53", "--format", "json", db=url).stdout)
    assert before["retraction"] is None and before["entry"]["amount"] == "100.00"
    missing = cli("show", "nothing-9", db=url)
    assert missing.returncode == 1 and missing.stderr.startswith(b"coopledger: error: no entry 'nothing-9'")


def test_retract_names_an_entry_as_show_does(url: str) -> None:
    """`@5` is entry #5 for `retract` as for `show`, though the demo's entries have ids of their own."""
    assert cli("retract", "@5", "--reason", "typed twice", db=url).returncode == 0
    retraction = json.loads(cli("show", "@54", "--format", "json", db=url).stdout)["entry"]
    assert retraction["entry"] == "demo-005"  # named by its id: the retraction survives export and import
    assert cli("show", "#5", db=url).stdout.startswith(b"Entry #5, retracted by #54\n")
    unknown = cli("retract", "@99", "--reason", "none such", db=url)
    assert unknown.returncode == 1 and b"@99" in unknown.stderr


def test_log_n_gives_the_last_entries(url: str) -> None:
    done = cli("log", "-n", "2", "--format", "json", db=url)
    assert done.returncode == 0, done.stderr
    assert [e["seq"] for e in json.loads(done.stdout)] == [52, 53]
    assert cli("log", "-n", "0", "--format", "json", db=url).stdout == b"[]\n"
    # more than the ledger holds: every entry (a negative slice once wrapped round to fewer)
    every = json.loads(cli("log", "-n", "90", "--format", "json", db=url).stdout)
    assert [e["seq"] for e in every] == list(range(1, 54))
    bad = cli("log", "-n", "two", db=url)
    assert bad.returncode == 2 and b"'two' is not a whole number" in bad.stderr


def test_known_at_after_entry_n(url: str) -> None:
    early = json.loads(cli("register", "--known-at", "#3", "--format", "json", db=url).stdout)
    assert [m["member"] for m in early] == ["M01", "M02"]
    assert cli("board", "--known-at", "#3", db=url).returncode == 0
    report = cli("report", "--known-at", "#40", "--compare-known-at", "#3", "--format", "json", db=url)
    assert report.returncode == 0, report.stderr
    assert json.loads(report.stdout)["after"]["provenance"]["last_seq"] == 40
    assert json.loads(report.stdout)["before"]["provenance"]["last_seq"] == 3
    beyond = cli("register", "--known-at", "#300", db=url)
    assert beyond.returncode == 2
    assert (
        beyond.stderr
        == b"coopledger: error: Invalid value for '--known-at': there is no entry #300 (the last is #53)\n"
    )
    word = cli("register", "--known-at", "#x", db=url)
    assert word.returncode == 2 and b"'#x' is not an entry number such as #14" in word.stderr
    missing = cli("register", "--known-at", "ag-2025.txt", db=url)  # a checkpoint not made yet
    assert missing.returncode == 2
    assert missing.stderr == (
        b"coopledger: error: Invalid value for '--known-at': cannot read the checkpoint "
        b"'ag-2025.txt': no such file (or give an ISO date or date-time, or #N)\n"
    )
    folder = cli("register", "--known-at", str(ROOT), db=url)
    assert folder.returncode == 2 and b": not a file (or give" in folder.stderr
    empty = cli("register", "--known-at", "", db=url)
    assert empty.returncode == 2 and b"'' is not an ISO date or date-time" in empty.stderr


def test_long_output_is_fitted_and_paged_on_a_terminal_only(url: str, tmp_path: Path) -> None:
    paged = tmp_path / "paged.txt"
    pager = {"PAGER": f"tee {paged}"}
    code, out = on_terminal("log", db=url, env=pager)
    assert code == 0
    logged = paged.read_text(encoding="utf-8")
    rows = [line for line in logged.splitlines() if re.match(r" *[0-9]+  [0-9]{4}-[0-9]{2}-[0-9]{2}  ", line)]
    assert logged.startswith("Log: 53 entries\n") and len(rows) == 53  # details wrap onto more lines
    assert max(len(line) for line in logged.splitlines()) <= 100 and logged.rstrip().endswith("has them)")
    paged.unlink()
    code, out = on_terminal("log", "--no-pager", db=url, env=pager)
    assert code == 0 and not paged.exists() and out.splitlines() == logged.splitlines()
    assert max(len(line) for line in out.splitlines()) <= 100
    code, out = on_terminal("log", "-n", "3", db=url, env=pager)
    assert code == 0 and not paged.exists() and out.startswith("Log: 3 entries")
    piped = cli("log", db=url, env=pager)
    assert not paged.exists() and "\u2026" not in piped.stdout.decode()
    assert max(len(line) for line in piped.stdout.decode().splitlines()) > 100


# -- 9.13: the report's table, plurals, --final, -o ------------------------------------------


def test_the_report_table_prints_labels_not_keys(url: str) -> None:
    done = cli("report", "--year", "2025", db=url)
    assert done.returncode == 0, done.stderr
    text = done.stdout.decode()
    assert "Départs de plein droit (fin du contrat de travail)" in text
    assert "Parts de catégorie A au 31/12/2025" in text and "Assemblée AG2025\u00a0: votants" in text
    assert "left_by_right" not in text and "at_end" not in text and "by_category" not in text
    english = cli("report", "--year", "2025", "--lang", "en", db=url).stdout.decode()
    assert "Members on 31/12/2025" in english
    # a fiscal year is a name, not a count with a thousands separator
    assert re.search(r"Affectation du résultat \(AG2025\)\u00a0: exercice +2024\n", text), text
    assert re.search(r"\(AG2025\): financial year +2024\n", english), english


def test_counts_of_one_are_singular(url: str, tmp_path: Path) -> None:
    journal = tmp_path / "one.jsonl"
    journal.write_text(
        '{"type": "member.admitted", "date": "2025-06-01", "member": "S77", "name": "Une", '
        '"category": "A", "shares": 1}\n'
    )
    imported = cli("import", str(journal), db=url)
    assert b": 1 entry added, 0 already present" in imported.stdout
    assert b"\n1 live entry, 0 retracted\n" in cli("history", "S77", db=url).stdout
    assert b"Log: 1 entry\n" in cli("log", "-n", "1", db=url).stdout
    refused = cli("member", "redeem", "M03", "--count", "5", "--date", "2025-06-02", db=url)
    assert refused.returncode == 1 and b"M03 holds 1 share, fewer than 5" in refused.stderr


def test_report_final_leaves_out_the_placeholders_and_o_writes_a_file(url: str, tmp_path: Path) -> None:
    draft = cli("report", "--year", "2025", "--format", "md", db=url).stdout.decode()
    assert "À compléter" in draft and "coopledger report --year 2025" in draft
    own = tmp_path / "p4.md"
    own.write_text("Aucun accord ne limite notre autonomie.\n", encoding="utf-8")
    target = tmp_path / "ag.md"
    args = ["report", "--year", "2025", "--format", "md", "--final", "--include", f"principle4={own}"]
    done = cli(*args, "-o", str(target), db=url)
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"wrote {target}\n".encode()
    final = target.read_text(encoding="utf-8")
    assert final == cli(*args, db=url).stdout.decode()
    assert "À compléter" not in final and "--include" not in final and "coopledger report" not in final
    assert "## Principe 4 de l'ACI" in final and "Aucun accord ne limite" in final
    assert "## Principe 5" not in final and "## Introduction" not in final
    assert "## Principe 1 de l'ACI" in final and "## Provenance" in final
    missing = cli("report", "-o", str(tmp_path / "no" / "x.txt"), db=url)
    assert missing.returncode == 2 and b"cannot write" in missing.stderr


# -- 9.9: board shows the flags of check -----------------------------------------------------


def test_board_flags_a_director_who_is_no_longer_a_member(url: str) -> None:
    assert cli("member", "leave", "M06", "--reason", "death", "--date", "2025-08-14", db=url).returncode == 0
    check = cli("check", "--as-of", "2025-12-31", db=url).stdout.decode()
    assert "holder-not-member  2025-08-14  @54     54  M06     board" in check  # the exit is the entry
    table = cli("board", "--as-of", "2025-12-31", db=url)
    assert table.returncode == 0, table.stderr
    assert (
        "Flags (1):\n  M06: holder-not-member: holds a seat since 2025-06-17 "
        "but is not a member on 2025-12-31" in table.stdout.decode()
    )
    data = json.loads(cli("board", "--as-of", "2025-12-31", "--format", "json", db=url).stdout)
    flagged = {h["person"]: h["flag"] for h in data["holders"]}
    assert flagged["M06"].startswith("holder-not-member: ") and flagged["M01"] is None
    assert data["flags"] == [f"M06: {flagged['M06']}"]
    csv_rows = cli("board", "--as-of", "2025-12-31", "--format", "csv", db=url).stdout.decode().splitlines()
    assert any(r.startswith("M06,") and r.endswith("is not a member on 2025-12-31") for r in csv_rows)
    before = cli("board", "--as-of", "2025-08-13", db=url).stdout.decode()
    assert "holder-not-member" not in before


# -- 9.15: --date defaults, vacant rows, shell completion ------------------------------------


DECIDED = "assembly vote|assembly decide|assembly allocate|mandate elect|mandate confirm|mandate renew"


@pytest.mark.parametrize(
    "command", [c.split() for c in (DECIDED + "|mandate reject|mandate revoke").split("|")]
)
def test_the_date_help_of_assembly_entries_states_the_real_default(command: list[str]) -> None:
    done = run_cli(*command, "--help")
    assert done.returncode == 0
    text = " ".join(done.stdout.decode().split())
    assert "default: the day the assembly met" in text and "default today" not in text


def test_the_board_table_shows_the_vacant_rows(url: str) -> None:
    table = cli("board", "--as-of", "2025-12-31", db=url).stdout.decode()
    assert table.startswith("board as of 2025-12-31: 5 seats, 3 held, 2 vacant\n")
    assert sum(1 for line in table.splitlines() if line.split() == ["vacant"]) == 2
    csv_rows = cli("board", "--as-of", "2025-12-31", "--format", "csv", db=url).stdout.decode()
    assert csv_rows.count(",,vacant,") == 2


def completions(args: list[str], incomplete: str) -> list[str]:
    from click.shell_completion import BashComplete

    from coopledger.commands.main import cli as group

    return [
        item.value
        for item in BashComplete(group, {}, "coopledger", "_COOPLEDGER_COMPLETE").get_completions(
            args, incomplete
        )
    ]


def test_shell_completion_offers_types_and_the_ledgers_ids(url: str, tmp_path: Path) -> None:
    assert completions(["--db", url, "record"], "shares.p") == ["shares.paid"]
    assert "member.admitted" in completions(["--db", url, "log", "--type"], "member.")
    assert completions(["--db", url, "history"], "M0") == [f"M0{i}" for i in range(1, 10)]
    transfer = ["--db", url, "member", "transfer", "M01", "--to"]
    assert completions(transfer, "M1") == ["M10", "M11", "M12", "M13", "M14"]
    assert completions(["--db", url, "assembly", "show"], "") == ["AG2025"]
    assert completions(["--db", url, "mandate", "elect", "M01", "--assembly"], "AG2025") == ["AG2025"]
    assert completions(["--db", url, "member", "pay"], "Z") == []
    missing = tmp_path / "none.db"
    assert completions(["--db", str(missing), "history"], "M") == [] and not missing.exists()
    script = run_cli(env={"_COOPLEDGER_COMPLETE": "bash_source"})
    assert script.returncode == 0 and b"_COOPLEDGER_COMPLETE=bash_complete" in script.stdout


# -- 9.14: --compare-known-at credits only the entries that moved a figure -------------------


def test_compare_known_at_credits_only_entries_that_moved_the_figure(url: str) -> None:
    steps = [
        ["record", "body.seats", "--body", "board", "--count", "6", "--date", "2025-09-01"],
        ["mandate", "elect", "M08", "--until", "2029-06-17", "--assembly", "AG2025"],
        ["assembly", "vote", "AG2025", "M09"],
        ["retract", "demo-044", "--reason", "allocation to be decided again"],
    ]
    for step in steps:
        done = cli(*step, db=url)
        assert done.returncode == 0, done.stderr
    report = cli("report", "--year", "2025", "--compare-known-at", "#53", "--format", "json", db=url)
    assert report.returncode == 0, report.stderr
    data = json.loads(report.stdout)
    moved = {c["type"]: set(c["moved"]) for c in data["causes"]}
    changed = {d["figure"] for d in data["differences"]}
    assert {"board.seats", "board.elected", "assemblies.AG2025.voters"} <= changed
    assert moved["body.seats"] == {"board.seats"}  # 5→6 and one more held: vacant_at_end unchanged
    assert "board.seats" not in moved["mandate.elected"]
    assert {"board.elected", "board.members_at_end"} <= moved["mandate.elected"]
    assert moved["assembly.voted"] >= {"assemblies.AG2025.voters"}
    assert not any(p.startswith("assemblies.") for p in moved["entry.retracted"])
    assert moved["entry.retracted"] and all(
        p.startswith("result_allocation.AG2025.") for p in moved["entry.retracted"]
    )
    for cause in data["causes"]:  # every figure credited did change
        assert set(cause["moved"]) <= changed


# -- 9.11: progress on a terminal ------------------------------------------------------------


def test_long_phases_show_progress_on_a_terminal_only(url: str, tmp_path: Path) -> None:
    shown = {"COOPLEDGER_PROGRESS_AFTER": "0"}  # every phase counts as long
    code, out = on_terminal("verify", db=url, env=shown, stderr=True)
    assert code == 0, out
    for phase in (
        "catching up the read models",
        "checking the hash chain, the indexes, the tree and the identities",
        "checking the rules on 53 entries",
        "comparing the read models with a fold of 53 entries",
    ):
        assert f"{phase}: done in " in out
    code, out = on_terminal("rebuild", db=url, env=shown, stderr=True)
    assert code == 0 and "rebuilding the read models: done in " in out
    journal = tmp_path / "one.jsonl"
    journal.write_text(
        '{"type": "member.applied", "date": "2025-06-01", "member": "S90", "name": "N", '
        '"category": "A", "shares": 1}\n'
    )
    code, out = on_terminal("import", str(journal), db=url, env=shown, stderr=True)
    assert code == 0 and "checking and recording 1 entry: done in " in out
    slow = {"COOPLEDGER_PROGRESS_AFTER": "60"}  # no phase lasts a minute: nothing shown
    code, out = on_terminal("verify", db=url, env=slow, stderr=True)
    assert code == 0 and "done in" not in out
    long_file = tmp_path / "long.jsonl"
    long_file.write_text("# a comment\n" * 5500 + journal.read_text().replace("S90", "S91"))
    code, out = on_terminal("import", str(long_file), db=url, env=slow, stderr=True)
    assert code == 0 and "reading" in out and "100%" in out
    piped = cli("verify", db=url, env=shown)
    assert piped.returncode == 0 and piped.stderr == b""
    piped = cli("rebuild", db=url, env=shown)
    assert piped.returncode == 0 and piped.stderr == b""


def test_each_pass_over_a_long_file_is_named_on_a_terminal(url: str, tmp_path: Path) -> None:
    """A long file may be read several times, each pass a part at a time: the progress line
    says which pass a part serves, not "checking and recording" for every one."""
    shown = {"COOPLEDGER_PROGRESS_AFTER": "0", "COOPLEDGER_IMPORT_PART": "1"}  # a part per line
    admit = (
        '{"type": "member.admitted", "date": "2025-06-01", "member": "S92", "name": "N", "category": "A", '
        '"shares": 1}'
    )
    paid = '{"type": "shares.paid", "date": "2025-07-01", "member": "S92", "amount": "10.00"}'
    late = tmp_path / "late.jsonl"  # the payment first: its part alone is refused, the file is not
    late.write_text(f"{paid}\n{admit}\n")
    code, out = on_terminal("import", str(late), db=url, env=shown, stderr=True)
    assert code == 0, out
    for phase in (
        "checking and recording 1 entry",
        "checking 1 entry by date",
        "recording 1 entry in the file's order, as checked by date",
    ):
        assert f"{phase}: done in " in out
    twice = tmp_path / "twice.jsonl"  # an id used twice, in two parts: screened, then refused
    twice.write_text(
        admit.replace("S92", "S93").replace("{", '{"id": "x1", ', 1)
        + "\n"
        + admit.replace("S92", "S94").replace("{", '{"id": "x1", ', 1)
        + "\n"
    )
    code, out = on_terminal("import", str(twice), db=url, env=shown, stderr=True)
    assert code == 1, out
    assert "screening 1 entry for ids used twice, retraction targets and erasure dates: done in " in out
