"""A journal file is imported part by part, in one transaction (issue 12.3).

Memory holds one part at a time; everything else is as for the file in one batch: the same
entries and read models, all or nothing, the same verdict and words when a part is refused
(the file is then checked whole), lines without id matched by content across the parts.
`COOPLEDGER_IMPORT_PART` makes the parts a few lines long here.
"""

from __future__ import annotations

import json
import tempfile
import uuid
from pathlib import Path

import msgspec
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, assume, event, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from coopledger.commands.context import App
from coopledger.commands.main import cli
from coopledger.ledger.application import Ledger
from coopledger.ledger.database import parse_database
from coopledger.ledger.errors import Refused, Source
from coopledger.ledger.events import decode
from coopledger.ledger.presence import Presence, ledger_state
from coopledger.ledger.provenance import content_digest
from coopledger.ledger.store import Store
from coopledger.projections.read_models import SUMMARIES, TABLES, open_engine
from coopledger.projections.register.positions import positions
from coopledger.projections.tables import tracking
from tests.conftest import ROOT, init_ledger, run_cli
from tests.journal import days, every_pass, fresh_ledger, member_founding, member_operation, numbered, on
from tests.test_clerk import on_terminal

DEMO = ROOT / "examples" / "demo.jsonl"


def run(url: str, *args: str, part: int | None = None) -> Result:
    env = {"COOPLEDGER_IMPORT_PART": str(part)} if part is not None else {}
    return CliRunner().invoke(cli, ["--db", url, *args], env=env)


def journal(tmp_path: Path, *lines: dict[str, object]) -> Path:
    path = tmp_path / "journal.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return path


def admit(member: str, date: str = "2024-01-08") -> dict[str, object]:
    return {
        "type": "member.admitted",
        "date": date,
        "member": member,
        "name": f"Name {member}",
        "category": "A",
        "shares": 4,
    }


def pay(member: str, date: str = "2024-02-01") -> dict[str, object]:
    return {"type": "shares.paid", "date": date, "member": member, "amount": "25.00"}


def recorded(url: str) -> list[tuple[str, str, str | None]]:
    store = Store(parse_database(url))
    try:
        return [(e.type, str(e.date), getattr(e, "member", None)) for e in store.entries()]
    finally:
        store.close()


def views(url: str) -> dict[str, str]:
    """What a secretary reads off the ledger, without what moves with the recording time."""
    shown = {
        name: run(url, *args).output
        for name, args in {
            "register": ("register", "--as-of", "2025-12-31", "--format", "csv"),
            "board": ("board", "--as-of", "2025-12-31", "--format", "csv"),
            "movements": ("movements", "--year", "2025", "--format", "csv"),
        }.items()
    }
    report = json.loads(run(url, "report", "--year", "2025", "--format", "json").output)
    report.pop("provenance")
    shown["report"] = json.dumps(report, sort_keys=True)
    return shown


def test_a_journal_imported_in_parts_is_the_journal_imported_whole(
    shared_db_url: str, tmp_path: Path
) -> None:
    whole = init_ledger(f"sqlite:///{tmp_path / 'whole.db'}")
    assert run(whole, "import", str(DEMO)).exit_code == 0
    parts = run(shared_db_url, "import", str(DEMO), part=4)
    assert parts.exit_code == 0, parts.output
    lines = sum(1 for line in DEMO.read_text().splitlines() if line.startswith("{"))
    assert f"{lines} entries added, 0 already present" in parts.output
    assert recorded(shared_db_url) == recorded(whole)
    assert views(shared_db_url) == views(whole)
    assert run(shared_db_url, "verify").exit_code == 0
    again = run(shared_db_url, "import", str(DEMO), part=4)
    assert f"0 entries added, {lines} already present" in again.output


def test_a_line_needing_one_further_on_is_checked_with_the_whole_file(
    shared_db_url: str, tmp_path: Path
) -> None:
    # M2 pays in the first part and is admitted, on an earlier date, in the second: the first
    # part alone is refused, the file as a whole is not.
    path = journal(tmp_path, admit("M1"), pay("M2"), pay("M1"), admit("M2", "2024-01-09"))
    result = run(shared_db_url, "import", str(path), part=2)
    assert result.exit_code == 0, result.output
    assert "4 entries added" in result.output
    assert [member for _, _, member in recorded(shared_db_url)] == ["M1", "M2", "M1", "M2"]
    assert run(shared_db_url, "verify").exit_code == 0


def test_a_refusal_in_a_late_part_writes_nothing_and_names_its_line(
    shared_db_url: str, tmp_path: Path
) -> None:
    lines = [admit(f"M{n}") for n in range(1, 7)] + [pay("M9")]  # M9 was never admitted
    result = run(shared_db_url, "import", str(journal(tmp_path, *lines)), part=2)
    assert result.exit_code == 1
    assert "line 7" in result.output and "M9" in result.output
    assert recorded(shared_db_url) == []
    assert "0 members" in run(shared_db_url, "register").output


def test_a_bad_line_in_a_late_part_writes_nothing(shared_db_url: str, tmp_path: Path) -> None:
    path = journal(tmp_path, *(admit(f"M{n}") for n in range(1, 6)))
    path.write_text(path.read_text() + '{"type": "shares.paid", "date": "2024-13-01"}\n')
    result = run(shared_db_url, "import", str(path), part=2)
    assert result.exit_code == 2
    assert "line 6" in result.output
    assert recorded(shared_db_url) == []


def test_lines_without_id_are_matched_across_parts_as_in_one_file(shared_db_url: str, tmp_path: Path) -> None:
    # Two identical payments, one in each part: two payments; the file again: nothing new.
    path = journal(tmp_path, admit("M1"), pay("M1"), pay("M1"))
    first = run(shared_db_url, "import", str(path), part=2)
    assert "3 entries added, 0 already present" in first.output
    again = run(shared_db_url, "import", str(path), part=2)
    assert (
        "0 entries added, 3 already present (3 without id, matched by content: lines 1, 2, 3)" in again.output
    )
    longer = journal(tmp_path, admit("M1"), pay("M1"), pay("M1"), pay("M1"))
    third = run(shared_db_url, "import", str(longer), part=1)
    assert "1 entry added, 3 already present" in third.output
    assert [kind for kind, _, _ in recorded(shared_db_url)].count("shares.paid") == 3


# An amendment of the share price, from which the admissions given without one take it.
price_amendment = st.builds(
    lambda d, parameter, value: {
        "type": "statutes.amended",
        "date": on(d),
        "parameter": parameter,
        "value": value,
    },
    days,
    st.sampled_from(["share_price", "share_price.B"]),
    st.sampled_from(["20.00", "30.00"]),
)
# A file: founding admissions, then operations on those members, recorded in parts of `size` lines.
a_file = given(
    founding=member_founding,
    operations=st.lists(st.one_of(member_operation, price_amendment), min_size=1, max_size=24),
    size=st.integers(min_value=1, max_value=6),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@example(  # a retraction naming an entry by number: a line of its own file has none, in any part
    founding=[admit(f"S{n}") for n in range(3)],
    operations=[{"type": "entry.retracted", "entry": 1, "date": "2024-01-01", "reason": "mistake"}],
    size=1,
)
@example(  # an amendment of a later part prices an admission of an earlier one
    founding=[admit(f"S{n}") for n in range(3)],
    operations=[
        {
            "type": "member.admitted",
            "member": "S4",
            "date": "2024-06-01",
            "name": "S4",
            "category": "A",
            "shares": 1,
        },
        {"type": "statutes.amended", "date": "2024-02-01", "parameter": "share_price", "value": "30.00"},
    ],
    size=4,
)
@example(  # a payment backdated before a transfer of an earlier part: the shares carry a share of it
    founding=[admit(f"S{n}") for n in range(3)],
    operations=[
        {"type": "shares.transferred", "member": "S0", "to": "S1", "date": "2025-01-01", "count": 1},
        {"type": "shares.paid", "member": "S0", "date": "2024-06-01", "amount": "50.00"},
    ],
    size=4,
)
@a_file
def test_any_journal_in_parts_has_the_verdict_and_entries_of_the_journal_whole(
    founding: list[dict[str, object]], operations: list[dict[str, object]], size: int
) -> None:
    """Property: recorded part by part or in one batch, a file is accepted or refused alike,
    with the same refusals, and accepted it leaves the same entries."""
    lines = [
        (decode(msgspec.json.encode(op)), Source("prop.jsonl", n))
        for n, op in enumerate([*founding, *operations], start=1)
    ]
    outcomes = []
    for in_parts in (False, True):
        with fresh_ledger("sqlite-memory") as url:
            store = Store(parse_database(url))
            ledger = Ledger(store, user="prop")
            try:
                if in_parts:
                    ledger.record_parts(
                        every_pass(lambda: (lines[i : i + size] for i in range(0, len(lines), size)))
                    )
                else:
                    ledger.record(lines)
                outcomes.append([content_digest(e) for e in store.entries()])
            except Refused as refused:
                assert store.head() is None  # nothing of the file was written
                outcomes.append(sorted(str(r) for r in refused.refusals))
            store.close()
    assert outcomes[0] == outcomes[1]


def digests(store: Store) -> list[str]:
    return [content_digest(entry) for entry in store.entries()]


def read_model_rows(url: str) -> dict[str, list[tuple[object, ...]]]:
    """Every read model's rows (surrogate `id` left out), sorted: what two ways of writing them
    must agree on, knowledge intervals included. A day of the register's positions whose
    changes came to nothing is no change (`positions.held`): upserts leave it, sums do not."""
    engine = open_engine(parse_database(url))
    try:
        with engine.connect() as conn:
            found = {
                table.name: sorted(
                    (tuple(row) for row in conn.execute(select(*(c for c in table.c if c.name != "id")))),
                    key=repr,
                )
                for table in (*TABLES, *SUMMARIES, tracking)
            }
    finally:
        engine.dispose()
    found[positions.name] = [row for row in found[positions.name] if any(row[2:])]
    return found


def test_a_file_into_an_empty_ledger_writes_the_read_models_one_catch_up_writes(
    shared_db_url: str, tmp_path: Path
) -> None:
    """Into an empty ledger the read models are written once, after the last part, as `rebuild`
    writes them; the same lines read from standard input (one batch, caught up as any write is)
    give the same rows."""
    parts = run(shared_db_url, "import", str(DEMO), part=4)
    assert parts.exit_code == 0, parts.output
    whole = init_ledger(f"sqlite:///{tmp_path / 'whole.db'}")
    piped = run_cli("--db", whole, "import", "-", input=DEMO.read_bytes())
    assert piped.returncode == 0, piped.stderr
    assert read_model_rows(shared_db_url) == read_model_rows(whole)
    assert run(shared_db_url, "verify").exit_code == 0


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@a_file
def test_read_models_written_after_the_last_part_are_those_of_entries_caught_up_one_by_one(
    founding: list[dict[str, object]], operations: list[dict[str, object]], size: int
) -> None:
    """Property: the lines a ledger accepted one at a time (its read models caught up after
    each), recorded as a file part by part into an empty ledger (read models written once, at
    the end), leave the same read models: backdated lines, retractions and refolds included."""
    lines = numbered([*founding, *operations])
    with tempfile.TemporaryDirectory() as folder:
        one_by_one, in_parts = (
            App(f"sqlite:///{Path(folder) / db}", "prop") for db in ("one.db", "parts.db")
        )
        for app in (one_by_one, in_parts):
            app.may_create()
        kept = []
        for n, line in enumerate(lines, start=1):
            try:
                one_by_one.ledger.record([(decode(msgspec.json.encode(line)), Source("prop.jsonl", n))])
                kept.append(line)
            except Refused:
                continue
        file = [
            (decode(msgspec.json.encode(kept_line)), Source("prop.jsonl", n))
            for n, kept_line in enumerate(kept, 1)
        ]
        event(f"lines accepted: {len(kept) // 5 * 5}+")
        try:
            try:
                in_parts.ledger.record_parts(
                    every_pass(lambda: (file[i : i + size] for i in range(0, len(file), size)))
                )
            except Refused:
                refused = True
            else:
                refused = False
            # A file fills in its amounts from all its lines (a payment or an amendment of the
            # share price dated before a transfer or an admission above it counts), where lines
            # recorded one at a time know only those before them: such a file may be priced
            # otherwise, or refused (a transfer between two prices); it says no more here.
            assume(not refused and digests(in_parts.store) == digests(one_by_one.store))
            assert read_model_rows(in_parts.url) == read_model_rows(one_by_one.url)
        finally:
            one_by_one.close()
            in_parts.close()


def test_an_assertion_a_file_breaks_in_an_empty_ledger_is_refused_naming_its_line(
    shared_db_url: str, tmp_path: Path
) -> None:
    """Each broken assertion once (one batch read the file's own twice), in date order, named by
    its line whether the file is one part, several, or one batch (standard input), and those
    several never held whole."""
    pin = {"type": "assert.members", "date": "2024-12-31", "count": 9, "id": "pin-2024"}
    held = {"type": "assert.members", "date": "2024-03-31", "count": 5, "id": "pin-march"}
    early = {"type": "assert.members", "date": "2024-01-31", "count": 2, "id": "pin-january"}
    path = journal(tmp_path, *(admit(f"M{n}") for n in range(1, 6)), pin, held, early)
    piped = run_cli("--db", shared_db_url, "import", "-", input=path.read_bytes())
    for part in (2, 100, None):  # several parts, one, and one batch
        result = run(shared_db_url, "import", str(path), part=part) if part else piped
        output = result.output if part else result.stderr.decode()
        assert (result.exit_code if part else result.returncode) == 1
        assert [line for line in output.splitlines() if line.startswith("coopledger: refused")] == [
            "coopledger: refused: line 8: assert.members 2024-01-31 (pin-january): assert.members: "
            "2 members asserted on 2024-01-31, the register holds 5",
            "coopledger: refused: line 6: assert.members 2024-12-31 (pin-2024): assert.members: "
            "9 members asserted on 2024-12-31, the register holds 5",
        ]
        assert recorded(shared_db_url) == []
    shown = {"COOPLEDGER_PROGRESS_AFTER": "0", "COOPLEDGER_IMPORT_PART": "2"}
    code, out = on_terminal("import", str(path), db=shared_db_url, env=shown, stderr=True)
    assert code == 1 and "pin-january" in out
    assert "to check the file in one batch" not in out  # named from the parts, as one batch names it
    good = journal(tmp_path, *(admit(f"M{n}") for n in range(1, 6)))
    assert "5 entries added" in run(shared_db_url, "import", str(good), part=2).output


def test_a_dry_run_where_there_is_no_ledger_creates_none(shared_db_url: str, tmp_path: Path) -> None:
    if shared_db_url.startswith("sqlite"):
        nowhere = f"sqlite:///{tmp_path / 'none.db'}"
    else:  # a schema nobody made
        nowhere = f"{shared_db_url.partition('?')[0]}?schema=t_none_{uuid.uuid4().hex[:12]}"
    path = journal(tmp_path, *(admit(f"M{n}") for n in range(1, 4)), pay("M1"))
    dry = run(nowhere, "import", "--dry-run", str(path))
    assert dry.exit_code == 0, dry.output
    assert "dry run, nothing written: 4 entries would be added, 0 already present" in dry.output
    assert "the register would hold 3 members" in dry.output
    database = parse_database(nowhere)
    assert ledger_state(database) is Presence.ABSENT
    assert not (tmp_path / "none.db").exists()
    refused = run(nowhere, "import", "--dry-run", str(journal(tmp_path, pay("M9"))))
    assert refused.exit_code == 1 and "M9" in refused.output
    assert ledger_state(database) is Presence.ABSENT
