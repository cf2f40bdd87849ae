"""`import --in-date-order`: a journal far out of date order recorded by effective date, a part
at a time, with the verdict and the entries of the file in one batch (`commands.date_order`)."""

from __future__ import annotations

import json
import random
from decimal import Decimal
from pathlib import Path

import msgspec
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from coopledger.commands.context import App
from coopledger.commands.date_order import DateOrdered
from coopledger.commands.journal import journal_parts
from coopledger.ledger import application
from coopledger.ledger import events as ev
from coopledger.ledger.application import Ledger, Settled
from coopledger.ledger.database import parse_database
from coopledger.ledger.errors import Refused, Source
from coopledger.ledger.provenance import content_digest
from coopledger.ledger.store import Store
from tests.conftest import init_ledger, run_cli
from tests.journal import days, every_pass, fresh_ledger, member_founding, member_operation, numbered, on
from tests.test_clerk import on_terminal
from tests.test_import_parts import (
    DEMO,
    admit,
    journal,
    pay,
    price_amendment,
    read_model_rows,
    run,
    views,
)
from tests.test_import_parts import recorded as kinds
from tests.test_verify import EXTRA


def newest_year_first(tmp_path: Path) -> tuple[Path, list[str]]:
    """The demo and its backdated extras, newest year first (a year keeps its own order)."""
    lines = [*DEMO.read_text(encoding="utf-8").splitlines(), *map(json.dumps, EXTRA)]
    lines = [line for line in lines if line.startswith("{")]
    path = tmp_path / "newest-first.jsonl"
    ordered = sorted(lines, key=lambda line: -int(json.loads(line)["date"][:4]))
    path.write_text("".join(line + "\n" for line in ordered), encoding="utf-8")
    return path, lines


def recorded(url: str) -> list[ev.Entry]:
    store = Store(parse_database(url))
    try:
        return list(store.entries())
    finally:
        store.close()


def test_a_history_newest_year_first_is_recorded_by_date_a_part_at_a_time(
    shared_db_url: str, tmp_path: Path
) -> None:
    path, lines = newest_year_first(tmp_path)
    as_it_comes = init_ledger(f"sqlite:///{tmp_path / 'as-it-comes.db'}")
    plain = run(as_it_comes, "import", str(path), part=4)
    assert plain.exit_code == 0, plain.output
    assert (
        "is out of date order: it was checked in effective-date order, then recorded in its own"
        in plain.output
    )
    assert [e.id for e in recorded(as_it_comes)] == [
        json.loads(line)["id"] for line in path.read_text().splitlines()
    ]
    result = run(shared_db_url, "import", "--in-date-order", str(path), part=4)
    assert result.exit_code == 0, result.output
    assert f"{len(lines)} entries added" in result.output and "out of date order" not in result.output
    entries = recorded(shared_db_url)
    assert [e.seq for e in sorted(entries, key=ev.effective_order)] == list(range(1, len(lines) + 1))
    # On one day and phase, the file's own order: the newest-first file keeps each year's.
    assert [e.id for e in entries] == [json.loads(line)["id"] for line in sorted(lines, key=placing)]
    assert sorted(map(content_digest, entries)) == sorted(map(content_digest, recorded(as_it_comes)))
    assert without_seq(views(shared_db_url)) == without_seq(views(as_it_comes))
    assert run(shared_db_url, "verify").exit_code == 0


def without_seq(shown: dict[str, str]) -> dict[str, str]:
    """The views but the movements' sequence numbers (their last column), which follow the order
    of recording."""
    movements = [line.rpartition(",")[0] for line in shown["movements"].splitlines()]
    return {**shown, "movements": "\n".join(movements)}


def placing(line: str) -> tuple[str, int]:
    data = json.loads(line)
    return data["date"], ev.EVENT_TYPES[data["type"]].phase


def test_a_bad_line_is_named_by_its_line_in_the_file_and_nothing_is_written(
    shared_db_url: str, tmp_path: Path
) -> None:
    path, _ = newest_year_first(tmp_path)
    text = path.read_text(encoding="utf-8").splitlines()
    text[4] = text[4].replace('"date": "2025-', '"date": "2025-13-')  # line 5: no such month
    path.write_text("\ufeff# a comment\n\n" + "\n".join(text) + "\n", encoding="utf-8")
    result = run(shared_db_url, "import", "--in-date-order", str(path), part=4)
    assert result.exit_code == 2, result.output
    assert "line 7" in result.output  # two lines above it: the comment and a blank line
    assert recorded(shared_db_url) == []


def test_it_reads_a_file_twice_so_not_standard_input_nor_a_spreadsheet(
    shared_db_url: str, tmp_path: Path
) -> None:
    piped = run(shared_db_url, "import", "--in-date-order", "-")
    assert piped.exit_code != 0 and "not standard input" in piped.output
    sheet = tmp_path / "members.csv"
    sheet.write_text("type,date,member,name,category,shares\n", encoding="utf-8")
    assert "a spreadsheet is read whole" in run(shared_db_url, "import", "--in-date-order", str(sheet)).output


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    founding=member_founding,
    operations=st.lists(member_operation, min_size=1, max_size=24),
    size=st.integers(min_value=1, max_value=6),
    seed=st.integers(0, 2**16),
)
def test_in_date_order_the_file_has_the_verdict_and_entries_of_the_file_in_one_batch(
    tmp_path_factory: object,
    founding: list[dict[str, object]],
    operations: list[dict[str, object]],
    size: int,
    seed: int,
) -> None:
    """Property: a file in any order, recorded by date in parts of `size` lines, is accepted or
    refused as its lines by date are in one batch, with the same refusals in the same order
    (a refused part has the file checked again by date, naming every refused line: `Settled`),
    and accepted it holds the same entries in the same order (with ids of their own, so that
    only the sequence numbers can differ)."""
    lines = [*founding, *operations]
    random.Random(seed).shuffle(lines)
    lines = numbered(lines)
    path = Path(str(tmp_path_factory.mktemp("order"))) / "journal.jsonl"  # type: ignore[attr-defined]
    path.write_bytes(b"".join(msgspec.json.encode(line) + b"\n" for line in lines))
    outcomes = []
    for in_parts in (False, True):
        with fresh_ledger("sqlite-memory") as url, path.open("rb") as journal:
            store = Store(parse_database(url))
            ledger = Ledger(store, user="prop")
            by_date = DateOrdered(journal, path.name, size).parts
            try:
                if in_parts:
                    done = ledger.record_parts(every_pass(by_date), dated=True)
                    event("in one batch" if done.whole else "in parts")
                else:
                    ledger.record([line for part in by_date() for line in part])
                outcomes.append([(e.id, content_digest(e)) for e in store.entries()])
            except Refused as refused:
                assert store.head() is None
                outcomes.append([str(r) for r in refused.refusals])
            store.close()
    assert outcomes[0] == outcomes[1]


def test_a_retraction_above_its_target_into_a_ledger_that_holds_entries_is_recorded_in_one_batch(
    shared_db_url: str, tmp_path: Path
) -> None:
    """Checked by date, then recorded in the file's order part by part, a retraction above its
    target would be projected before its target is recorded: such a file goes in one batch."""
    assert run(shared_db_url, "import", str(journal(tmp_path, admit("M1"), admit("M2")))).exit_code == 0
    path = tmp_path / "backwards.jsonl"
    withdrawn = {"type": "entry.retracted", "date": "2024-03-02", "entry": "pay-m1", "reason": "twice"}
    later = [admit(f"N{n}", "2024-04-01") for n in range(3)]
    lines = [*later, withdrawn, {**pay("M1", "2024-03-01"), "id": "pay-m1"}, pay("M2", "2024-03-01")]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    result = run(shared_db_url, "import", str(path), part=2)
    assert result.exit_code == 0, result.output
    assert "it was checked and recorded in one batch" in result.output
    assert [kind for kind, _, _ in kinds(shared_db_url)][2:] == [
        "member.admitted",
        "member.admitted",
        "member.admitted",
        "entry.retracted",
        "shares.paid",
        "shares.paid",
    ]
    assert run(shared_db_url, "verify").exit_code == 0


def accepted_one_by_one(lines: list[dict[str, object]]) -> list[dict[str, object]]:
    """The lines a ledger accepts, given one at a time in this order."""
    kept = []
    with fresh_ledger("sqlite-memory") as url:
        store = Store(parse_database(url))
        ledger = Ledger(store, user="prop")
        for n, line in enumerate(lines, start=1):
            try:
                ledger.record([(ev.decode(msgspec.json.encode(line)), Source("prop.jsonl", n))])
                kept.append(line)
            except Refused:
                continue
        store.close()
    return kept


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    founding=member_founding,
    operations=st.lists(st.one_of(member_operation, price_amendment), min_size=1, max_size=24),
    size=st.integers(min_value=1, max_value=6),
    seed=st.integers(0, 2**16),
    founded_first=st.booleans(),
    acceptable=st.booleans(),
)
def test_a_file_checked_by_date_is_recorded_in_its_own_order_as_in_one_batch(
    tmp_path_factory: object,
    founding: list[dict[str, object]],
    operations: list[dict[str, object]],
    size: int,
    seed: int,
    founded_first: bool,
    acceptable: bool,
) -> None:
    """Property: a file in any order, recorded part by part in its own order (checked by date
    when a part is refused: `Settled`), is accepted or refused as the file is in one batch, with
    the same refusals and nothing written, and accepted it holds the same entries in the same
    order, with the same read models (knowledge intervals included). Into an empty ledger, or
    one that already holds the founding admissions."""
    lines = numbered([*founding, *operations])
    if acceptable:  # mostly a file a ledger accepts, then shuffled
        lines = accepted_one_by_one(lines)
    before = [line for line in lines if line["id"] in {f"x{n}" for n in range(1, len(founding) + 1)}]
    before = before if founded_first else []
    lines = [line for line in lines if line not in before]
    random.Random(seed).shuffle(lines)
    folder = Path(str(tmp_path_factory.mktemp("own-order")))  # type: ignore[attr-defined]
    whole, in_parts, how = both_ways(folder, lines, size, before)
    event(how)
    assert whole == in_parts


pinned = st.builds(
    lambda d, n: {"type": "assert.members", "date": on(d), "count": n},
    days,
    st.integers(min_value=0, max_value=5),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    founding=member_founding,
    operations=st.lists(member_operation, max_size=12),
    pins=st.lists(pinned, min_size=1, max_size=3),
    size=st.integers(min_value=1, max_value=6),
    seed=st.integers(0, 2**16),
    founded_first=st.booleans(),
    dated=st.booleans(),
)
def test_a_file_with_journal_assertions_has_the_verdict_and_words_of_one_batch(
    tmp_path_factory: object,
    founding: list[dict[str, object]],
    operations: list[dict[str, object]],
    pins: list[dict[str, object]],
    size: int,
    seed: int,
    founded_first: bool,
    dated: bool,
) -> None:
    """Property: a file with journal assertions, some of them wrong, in any order and in parts,
    as it is or `--in-date-order`, into an empty ledger or one holding the founding admissions:
    the verdict, the refusals in order (each broken assertion once, named by its line) or the
    entries and read models are those of the file (or its lines by date) in one batch."""
    lines = numbered([*founding, *operations, *pins])
    before = lines[: len(founding)] if founded_first else []
    lines = lines[len(before) :]
    random.Random(seed).shuffle(lines)
    folder = Path(str(tmp_path_factory.mktemp("pinned")))  # type: ignore[attr-defined]
    whole, in_parts, how = both_ways(folder, lines, size, before, dated)
    event(how)
    assert whole == in_parts


def one_group(lines: list[dict[str, object]], group: str) -> list[dict[str, object]]:
    """Lines of a group of members of their own: `S0` becomes `T0` for group "T", ids and the
    entries retractions name are numbered in the group ("T1", ...), a retraction naming one
    of its lines."""

    def renamed(line: dict[str, object]) -> dict[str, object]:
        moved = {
            key: f"{group}{value[1:]}" if key in ("member", "to", "name") else value
            for key, value in line.items()
        }
        if line["type"] != "entry.retracted":
            return moved
        return {**moved, "entry": f"{group}{(int(str(line['entry'])) - 1) % len(lines) + 1}"}

    return [{**renamed(line), "id": f"{group}{n}"} for n, line in enumerate(lines, start=1)]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    founding=st.tuples(member_founding, member_founding),
    operations=st.tuples(*[st.lists(member_operation, min_size=1, max_size=12)] * 2),
    size=st.integers(min_value=1, max_value=6),
    seed=st.integers(0, 2**16),
)
def test_a_refused_file_with_retractions_of_other_members_is_refused_as_in_one_batch(
    tmp_path_factory: object,
    founding: tuple[list[dict[str, object]], list[dict[str, object]]],
    operations: tuple[list[dict[str, object]], list[dict[str, object]]],
    size: int,
    seed: int,
) -> None:
    """Property: two groups of members with no entry in common, their lines shuffled together,
    so that many retractions after a refused line withdraw nothing its verdict read (`Settled
    .unsure`): recorded in parts, the file is accepted or refused as in one batch, with the
    same refusals in order, or the same entries and read models."""
    lines = [
        line for n, group in enumerate("UT") for line in one_group([*founding[n], *operations[n]], group)
    ]
    random.Random(seed).shuffle(lines)
    folder = Path(str(tmp_path_factory.mktemp("two-groups")))  # type: ignore[attr-defined]
    whole, in_parts, how = both_ways(folder, lines, size, [])
    event(how)
    assert whole == in_parts


def both_ways(
    folder: Path,
    lines: list[dict[str, object]],
    size: int,
    before: list[dict[str, object]],
    dated: bool = False,
) -> tuple[list[object], list[object], str]:
    """What the file of `lines` comes to in one batch and in parts of `size` lines (checked by
    date or screened as need be), after the lines `before`: the ids and content digests of the
    entries and the read models, or the refusals, in order, with nothing of the file written;
    and how the parts went. `dated`: the lines by date (`import --in-date-order`), both ways."""
    path = folder / "journal.jsonl"
    path.write_bytes(b"".join(msgspec.json.encode(line) + b"\n" for line in lines))
    batch = [(ev.decode(msgspec.json.encode(line)), Source(path.name, n)) for n, line in enumerate(lines, 1)]
    outcomes: list[list[object]] = []
    how = "refused"
    for way in ("one batch", "in parts"):
        app = App(f"sqlite:///{folder / (way + '.db')}", "prop")
        app.may_create()
        outcome: list[object] = []
        try:
            if before:
                app.ledger.record([(ev.decode(msgspec.json.encode(line)), Source("f", 1)) for line in before])
            head = app.store.head()
            with path.open("rb") as journal:
                parts = journal_parts(journal, path.name, size, False)
                by_date = DateOrdered(journal, path.name, size).parts
                try:
                    if way == "in parts" and dated:
                        done = app.ledger.record_parts(every_pass(by_date), True, None, dated=True)
                        how = "in one batch" if done.whole else "in parts"
                    elif way == "in parts":
                        done = app.ledger.record_parts(every_pass(parts), True, every_pass(by_date))
                        how = "settled" if done.settled else "in one batch" if done.whole else "in parts"
                    elif dated:
                        app.ledger.record([line for part in by_date() for line in part], by_content=True)
                    else:
                        app.ledger.record(batch, by_content=True)
                    entries = list(app.store.entries())
                    outcome += [[e.id for e in entries], [content_digest(e) for e in entries]]
                    outcome.append(read_model_rows(app.url))
                except Refused as refused:
                    assert app.store.head() == head  # nothing of the file was written
                    outcome.append([str(r) for r in refused.refusals])
                    how = f"refused: {refused.refusals[0].rule}"
        finally:
            app.close()
        outcomes.append(outcome)
    return outcomes[0], outcomes[1], how


def test_an_assertion_above_the_lines_it_counts_holds_once_the_file_is_checked_by_date(
    shared_db_url: str, tmp_path: Path
) -> None:
    """Recorded in the file's order after its check by date, a part is not held to an assertion
    that only the later parts make true: the check held it on the whole file."""
    assert run(shared_db_url, "import", str(journal(tmp_path, admit("M1"), admit("M2")))).exit_code == 0
    pin = {"type": "assert.members", "date": "2024-12-31", "count": 4, "id": "pin-2024"}
    path = tmp_path / "pinned-first.jsonl"
    lines = [pin, admit("N1", "2024-06-01"), admit("N2", "2024-06-01")]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    result = run(shared_db_url, "import", str(path), part=1)
    assert result.exit_code == 0, result.output
    assert "it was checked in effective-date order, then recorded in its own order" in result.output
    assert [kind for kind, _, _ in kinds(shared_db_url)][2:] == ["assert.members", *["member.admitted"] * 2]
    assert run(shared_db_url, "verify").exit_code == 0
    wrong = tmp_path / "pinned-wrong.jsonl"
    wrong.write_text(json.dumps({**pin, "id": "pin-bis", "count": 7}) + "\n" + json.dumps(admit("N3")) + "\n")
    refused = run(shared_db_url, "import", str(wrong), part=1)
    assert refused.exit_code == 1 and "line 1: assert.members 2024-12-31 (pin-bis)" in refused.output
    assert len(kinds(shared_db_url)) == 5


def test_a_file_out_of_date_order_with_a_bom_comments_and_crlf_is_recorded_as_in_one_batch(
    shared_db_url: str, tmp_path: Path
) -> None:
    """The two readings of the file (in its order, by date) number its lines alike, so that the
    amounts the check by date filled in (the admissions here give no share price) are found
    for their lines: the ledger holds what the same bytes from standard input (one batch) give."""
    path, _ = newest_year_first(tmp_path)
    text = path.read_text(encoding="utf-8").splitlines()
    text.insert(9, "# a comment")
    data = ("\ufeff# history, newest year first\n\n" + "\r\n".join(text) + "\r\n").encode()
    assert data.count(b'"member.admitted"') > data.count(b'"share_price"')
    path.write_bytes(data)
    result = run(shared_db_url, "import", str(path), part=4)
    assert result.exit_code == 0, result.output
    assert "checked in effective-date order, then recorded in its own order" in result.output
    whole = init_ledger(f"sqlite:///{tmp_path / 'whole.db'}")
    piped = run_cli("--db", whole, "import", "-", input=data)
    assert piped.returncode == 0, piped.stderr
    digests = [[content_digest(e) for e in recorded(url)] for url in (shared_db_url, whole)]
    assert digests[0] == digests[1]
    assert read_model_rows(shared_db_url) == read_model_rows(whole)
    assert run(shared_db_url, "verify").exit_code == 0


@given(
    noted=st.dictionaries(
        st.integers(1, 2**38),
        st.decimals(min_value=0, max_value=10**6, places=2) | st.sampled_from(["25", "25.0", "25.00"]),
        max_size=60,
    ),
    seed=st.integers(0, 2**16),
)
def test_the_amounts_noted_by_date_are_found_by_line_spelt_as_they_were(
    noted: dict[int, object], seed: int
) -> None:
    """`Settled` keeps an amount as a line's key into its distinct spellings: each line finds
    its own amount, spelt as noted ("25.0" stays "25.0"), and a line without one sends the
    file to be checked whole."""
    settled = Settled()
    lines = list(noted)
    random.Random(seed).shuffle(lines)  # noted in the order of the dates, not of the lines
    for line in lines:
        settled.note(Source("f", line), Decimal(str(noted[line])))
    settled.hold()
    for line, amount in noted.items():
        assert str(settled.amount(Source("f", line))) == str(Decimal(str(amount)))
    missing = next(n for n in range(1, 100) if n not in noted)
    with pytest.raises(application._CheckWhole):
        settled.amount(Source("f", missing))


def test_a_refused_file_of_several_parts_names_every_refused_line_as_one_batch_does(
    shared_db_url: str, tmp_path: Path
) -> None:
    """Checked by date a part at a time, the refused lines are left out as the fold leaves them
    out and the check goes on, so that every refused line is named, in the file's order, in
    the words of the file in one batch, without holding the file; nothing is written."""
    lines = [
        admit("M1", "2024-02-01"),
        pay("NOBODY", "2024-01-15"),  # refused: no such member
        admit("M2"),
        pay("M2", "2024-03-01"),
        admit("M1", "2024-05-01"),  # refused: already a member
        pay("M1", "2024-06-01"),
    ]
    path = journal(tmp_path, *lines)
    whole = init_ledger(f"sqlite:///{tmp_path / 'whole.db'}")
    piped = run_cli("--db", whole, "import", "-", input=path.read_bytes())
    assert piped.returncode == 1
    in_parts = run(shared_db_url, "import", str(path), part=2)
    assert in_parts.exit_code == 1
    refusals = [line for line in in_parts.output.splitlines() if line.startswith("coopledger: refused")]
    assert [line.split(":")[2].strip() for line in refusals] == ["line 2", "line 5"]
    said = [line for line in piped.stderr.decode().splitlines() if line.startswith("coopledger: refused")]
    assert refusals == said
    assert kinds(shared_db_url) == []


def test_a_refused_file_in_date_order_names_every_refused_line_as_its_dry_run_does(
    shared_db_url: str, tmp_path: Path
) -> None:
    """`--in-date-order` refused: the file is checked by date again, a part at a time, leaving
    the refused lines out, so that every one is named in the order of the lines by date in one
    batch (the dry run's), without holding the file; nothing is written."""
    lines = [
        pay("M2", "2024-03-01"),
        admit("M1", "2024-05-01"),  # refused: already a member
        admit("M1", "2024-02-01"),
        pay("NOBODY", "2024-01-15"),  # refused: no such member
        admit("M2"),
        pay("M1", "2024-06-01"),
    ]
    path = journal(tmp_path, *lines)
    said = refused_by_date_and_dry_run(shared_db_url, path, 2)
    assert [line.split(":")[2].strip() for line in said[1]] == ["line 4", "line 2"]  # by date
    assert said[0] == said[1]
    assert kinds(shared_db_url) == []


def test_in_date_order_a_broken_assertion_is_named_only_if_no_rule_refuses(
    shared_db_url: str, tmp_path: Path
) -> None:
    """Into a ledger that holds entries, each part is projected as it is checked, and the
    journal assertions are held once, after the last part: one batch checks the rules first and
    names an assertion only if none refuses. Either way the words are the dry run's (one
    batch), and the file is never held whole (it was, for an assertion a part broke)."""
    assert run(shared_db_url, "import", str(journal(tmp_path, admit("M1"), admit("M2")))).exit_code == 0
    pin = {"type": "assert.members", "date": "2024-12-31", "count": 7, "id": "pin-2024"}
    for lines, refused in (
        ([pin, admit("N1", "2025-01-10"), pay("NOBODY", "2025-02-01")], "line 3"),
        ([pin, admit("N1", "2025-01-10"), pay("N1", "2025-02-01")], "line 1"),
    ):
        path = tmp_path / "pinned.jsonl"
        path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
        said = refused_by_date_and_dry_run(shared_db_url, path, 1)
        assert [line.split(":")[2].strip() for line in said[1]] == [refused]
        assert said[0] == said[1]
        assert len(kinds(shared_db_url)) == 2
        shown = {"COOPLEDGER_PROGRESS_AFTER": "0", "COOPLEDGER_IMPORT_PART": "1"}
        code, out = on_terminal(
            "import", "--in-date-order", str(path), db=shared_db_url, env=shown, stderr=True
        )
        assert code == 1 and refused in out and "to check the file in one batch" not in out


def refused_by_date_and_dry_run(url: str, path: Path, part: int) -> list[list[str]]:
    """The refusals `import --in-date-order` gives a file, after its dry run's (one batch)."""
    said = []
    for dry in (["--dry-run"], []):
        result = run(url, "import", "--in-date-order", *dry, str(path), part=part)
        assert result.exit_code == 1, result.output
        said.append([line for line in result.output.splitlines() if line.startswith("coopledger: refused")])
    return said


@pytest.mark.parametrize("unrelated", [True, False])
def test_a_retraction_after_a_refused_line_holds_the_file_whole_only_if_it_may_change_the_verdict(
    shared_db_url: str, tmp_path: Path, unrelated: bool
) -> None:
    """A file out of date order, refused, is checked by date a part at a time. A later line
    retracting an entry that the refused line was checked with may change the verdict (one batch
    withdraws it from the start): then the file is checked whole. A retraction of another
    member's entry cannot: the check by date names the refusals, and the file is never held
    whole. Either way the words are those of the same bytes in one batch (standard input)."""
    lines = [
        {**admit("S1", "2024-01-08"), "id": "a1"},
        {**admit("S2", "2024-01-08"), "id": "a2"},
        {"type": "shares.redeemed", "date": "2024-02-01", "member": "S1", "count": 5},  # holds 1
        {
            "type": "entry.retracted",
            "date": "2024-03-01",
            "entry": "a2" if unrelated else "a1",
            "reason": "no",
        },
        admit("S3", "2024-01-02"),  # before the others: the file is out of date order
    ]
    path = tmp_path / "retracted.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    whole = init_ledger(f"sqlite:///{tmp_path / 'whole.db'}")
    piped = run_cli("--db", whole, "import", "-", input=path.read_bytes())
    assert piped.returncode == 1
    shown = {"COOPLEDGER_PROGRESS_AFTER": "0", "COOPLEDGER_IMPORT_PART": "1"}
    code, out = on_terminal("import", str(path), db=shared_db_url, env=shown, stderr=True)
    assert code == 1, out
    said = [line for line in piped.stderr.decode().splitlines() if line.startswith("coopledger: refused")]
    assert [line for line in out.splitlines() if line.startswith("coopledger: refused")] == said
    assert len(said) == 1 and "line 3" in said[0]
    assert ("must-be-member" in said[0]) is not unrelated  # one batch: S1 holds too few, or never joined
    assert "checking 1 entry by date" in out
    assert ("to check the file in one batch" in out) is not unrelated
    assert run_cli("--db", shared_db_url, "log", "--format", "json").stdout.strip() == b"[]"
