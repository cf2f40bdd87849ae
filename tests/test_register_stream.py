"""The register streams in chunks (issue 12.3): every chunk size gives the same output.

The names come from the identity store joined in the register's own query; an erased
identity shows `[erased]`, a name a spreadsheet would run is neutralised, in any chunk.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import sys
from collections.abc import Callable, Iterator
from typing import Any

import msgspec
import pytest
from click.testing import CliRunner

from coopledger.commands import render
from coopledger.commands.context import App
from coopledger.commands.main import cli
from coopledger.ledger.application import Ledger
from coopledger.ledger.bounds import decode_input
from coopledger.ledger.database import parse_database
from coopledger.ledger.errors import Source
from coopledger.ledger.store import Store
from coopledger.projections.register import queries
from tests.journal import admit


def test_every_chunk_size_prints_the_same_register(
    shared_db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    members = [admit(f"M{n:02d}", "2020-01-01", shares=n % 3 + 1) for n in range(1, 12)]
    members[4]["name"] = "=HYPERLINK(1)"
    members[7]["name"] = '<b>Zoë</b>, "quoted"; -1'
    resigned = {"type": "member.resigned", "date": "2020-06-30", "member": "M03"}
    erasure = {"type": "identity.erased", "date": "2031-01-01", "member": "M03", "reason": "request"}
    store = Store(parse_database(shared_db_url))
    ledger = Ledger(store, user="clerk", today=lambda: dt.date(2031, 1, 1))
    for batch in (members, [resigned], [erasure]):
        ledger.record(
            [(decode_input(msgspec.json.encode(line)), Source("test", n)) for n, line in enumerate(batch)]
        )
    store.close()

    def register(fmt: str, *extra: str) -> str:
        return invoked("--db", shared_db_url, "register", "--as-of", "2025-12-31", "--format", fmt, *extra)

    outputs = by_chunk(
        monkeypatch,
        queries,
        lambda: [register(fmt, *extra) for fmt in ("csv", "json", "table") for extra in ((), ("--all",))],
    )
    csv_all, json_all = outputs[1], json.loads(outputs[3])
    assert "'=HYPERLINK(1)" in csv_all
    assert [row["name"] for row in json_all if row["member"] == "M03"] == ["[erased]"]
    assert len(json.loads(outputs[2])) == 10
    assert outputs[4].startswith("Register as of 2025-12-31: 10 members")
    assert outputs[5].startswith("Register as of 2025-12-31: 10 members")


def invoked(*args: str) -> str:
    """What the command prints, run in this process (so that a test can set its chunk size)."""
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def by_chunk(monkeypatch: pytest.MonkeyPatch, module: Any, outputs: Callable[[], list[str]]) -> list[str]:
    """The outputs with the module's `CHUNK` at 2,000, 3 and 1, which must all be the same."""
    found = {}
    for chunk in (2_000, 3, 1):
        monkeypatch.setattr(module, "CHUNK", chunk)
        found[chunk] = outputs()
    assert found[3] == found[1] == found[2_000]
    return found[1]


def test_pages_type_every_column_as_sqlalchemy_does(
    shared_db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The register's rows come straight from the driver, typed a column at a time: the same
    values as SQLAlchemy's own rows (dates, two-decimal amounts, booleans, NULLs), whatever the
    page size and however few typed values are remembered."""
    from coopledger.ledger import scan
    from coopledger.projections.register.fold import Spell
    from coopledger.projections.register.schema import spells

    lines = [admit(f"M{n:02d}", f"2020-01-{n:02d}", shares=n % 4 + 1) for n in range(1, 10)]
    lines[2]["founder"] = True
    pay = {"type": "shares.paid", "date": "2020-03-01", "member": "M02", "amount": "12.34"}
    leave = {"type": "member.resigned", "date": "2020-06-30", "member": "M05"}
    store = Store(parse_database(shared_db_url))
    ledger = Ledger(store, user="clerk", today=lambda: dt.date(2031, 1, 1))
    ledger.record(
        [
            (decode_input(msgspec.json.encode(line)), Source("test", n))
            for n, line in enumerate([*lines, pay, leave])
        ]
    )
    store.close()
    app = App(shared_db_url, None)
    engine = app.read_models()  # caught up
    query = queries.register_select(Spell._fields, identities=True).order_by(
        spells.c.member, spells.c.valid_from, spells.c.known_from
    )
    with engine.connect() as conn:
        expected = [tuple(row) for row in conn.execute(query)]
        assert any(row[Spell._fields.index("valid_to")] is None for row in expected)
        for size, memo in ((2_000, 100_000), (2, 100_000), (1, 1)):
            monkeypatch.setattr(scan, "MEMO", memo)
            pages = list(scan.pages(conn, query, size))
            assert all(len(page) <= size for page in pages)
            found = [row for page in pages for row in page]
            assert found == expected
            assert [list(map(type, row)) for row in found] == [list(map(type, row)) for row in expected]
        # bound, not written into the SQL: a list for `in_`, text with a quote and a percent sign
        some = query.where(spells.c.member.in_(["M05", "M02", "O'Brien", "50%"]), spells.c.shares >= 1)
        chosen = [tuple(row) for row in conn.execute(some)]
        assert {row[0] for row in chosen} == {"M02", "M05"}
        assert [row for page in scan.pages(conn, some, 1) for row in page] == chosen
    app.close()


def test_csv_cells_write_booleans_and_neutralise_formulas_in_any_row() -> None:
    """A column of booleans is written yes/no even when its first cell is empty; text a
    spreadsheet would run is neutralised in a column that mixes text and numbers."""
    from coopledger.commands.render import csv_cells

    rows = [("M1", None, 1, "a"), ("M2", True, "=1+1", "b"), ("M3", False, 2, "@x")]
    assert csv_cells(rows) == [("M1", "", 1, "a"), ("M2", "yes", "'=1+1", "b"), ("M3", "no", 2, "'@x")]
    plain = [("M1", 1, "x")]
    assert csv_cells(plain) is plain  # nothing to rewrite: the rows as they came


def test_log_streams_in_chunks_with_every_retraction_marked(
    shared_db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`log` reads the entries a chunk at a time (bounded memory on a ledger of millions):
    every chunk size prints the same log, a retraction marked on what it withdrew even when
    the two fall in different chunks, and `-n` the last entries chosen."""
    from coopledger.commands import journal

    store = Store(parse_database(shared_db_url))
    ledger = Ledger(store, user="clerk", today=lambda: dt.date(2031, 1, 1))
    lines = [admit(f"M{n:02d}", "2020-01-01") for n in range(1, 8)]
    ledger.record(
        [(decode_input(msgspec.json.encode(line)), Source("test", n)) for n, line in enumerate(lines)]
    )
    retract = {"type": "entry.retracted", "date": "2020-02-01", "entry": "#2", "reason": "twice"}
    ledger.record([(decode_input(msgspec.json.encode(retract)), Source("test", 1))])
    store.close()

    csv_log, json_log, table, last, members = by_chunk(
        monkeypatch,
        journal,
        lambda: [
            invoked("--db", shared_db_url, "log", *extra)
            for extra in (
                ("--format", "csv"),
                ("--format", "json"),
                (),
                ("-n", "3", "--format", "json"),
                ("--type", "member.", "--format", "csv"),
            )
        ],
    )
    assert [(e["seq"], e["retracted"]) for e in json.loads(json_log)][:3] == [
        (1, None),
        (2, "by #8"),
        (3, None),
    ]
    assert csv_log.count("\n") == 1 + 8 and table.startswith("Log: 8 entries")
    assert [e["seq"] for e in json.loads(last)] == [6, 7, 8]
    assert len(members.splitlines()) == 1 + 7


def test_movements_stream_in_chunks_with_their_totals(
    shared_db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`movements` reads a period's rows a chunk at a time (twenty years of millions of members
    in bounded memory): every chunk size prints the same rows, a table its totals by kind, and
    `--kind` keeps only those kinds."""
    store = Store(parse_database(shared_db_url))
    ledger = Ledger(store, user="clerk", today=lambda: dt.date(2031, 1, 1))
    lines: list[dict[str, Any]] = [admit(f"M{n:02d}", f"2021-01-0{n}", shares=2) for n in range(1, 8)]
    lines += [
        {"type": "shares.subscribed", "date": "2021-03-01", "member": "M02", "count": 2},
        {"type": "member.resigned", "date": "2021-06-30", "member": "M03"},
        {"type": "shares.transferred", "date": "2021-04-01", "member": "M04", "to": "M05", "count": 1},
    ]
    ledger.record(
        [(decode_input(msgspec.json.encode(line)), Source("test", n)) for n, line in enumerate(lines)]
    )
    store.close()

    def movements(*extra: str) -> str:
        return invoked("--db", shared_db_url, "movements", "--year", "2021", *extra)

    csv_rows, json_rows, table, resigned, empty = by_chunk(
        monkeypatch,
        queries,
        lambda: [
            movements("--format", "csv"),
            movements("--format", "json"),
            movements(),
            movements("--kind", "resigned", "--kind", "subscribed", "--format", "json"),
            invoked("--db", shared_db_url, "movements", "--year", "2019", "--format", "json"),
        ],
    )
    found = json.loads(json_rows)
    assert csv_rows.count("\n") == 1 + len(found) == 1 + 10
    assert [(row["date"], row["seq"]) for row in found] == sorted((row["date"], row["seq"]) for row in found)
    assert table.startswith("Movements from 2021-01-01 to 2021-12-31")
    assert table.rstrip().endswith("Totals: admitted 7, resigned 1, subscribed 1, transferred 1")
    assert [(row["kind"], row["member"]) for row in json.loads(resigned)] == [
        ("subscribed", "M02"),
        ("resigned", "M03"),
    ]
    assert json.loads(empty) == []
    monkeypatch.setattr(queries, "CHUNK", 3)
    app = App(shared_db_url, None)
    try:
        year = (dt.date(2021, 1, 1), dt.date(2021, 12, 31))
        chunks = list(queries.movement_chunks_between(app.read_models(), ["seq"], *year))
    finally:
        app.close()
    assert [len(chunk) for chunk in chunks] == [3, 3, 3, 1]
    assert [row[0] for chunk in chunks for row in chunk] == [row["seq"] for row in found]


def test_a_long_table_is_written_as_it_is_read(shared_db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A table of more than `TABLE_ROWS` rows (a register of millions held 9 GiB) is written a
    chunk at a time: laid out from its first rows, its title, which counts them, under it; a
    longer value later is written whole, or cut to the width on a terminal."""
    long_name = "Bartholomew Featherstonehaugh-Smythe"
    lines = [admit(f"M{n:02d}", "2020-01-01") for n in range(1, 12)]
    lines[9]["name"] = long_name
    store = Store(parse_database(shared_db_url))
    Ledger(store, user="clerk").record(
        [(decode_input(msgspec.json.encode(line)), Source("test", n)) for n, line in enumerate(lines)]
    )
    store.close()

    def register() -> list[str]:
        return invoked("--db", shared_db_url, "register", "--as-of", "2025-12-31").splitlines()

    whole = register()
    monkeypatch.setattr(render, "TABLE_ROWS", 4)
    monkeypatch.setattr(queries, "CHUNK", 3)
    streamed = register()
    assert whole[0] == streamed[-1] == "Register as of 2025-12-31: 11 members"
    assert [line.split()[0] for line in streamed[2:-1]] == [line.split()[0] for line in whole[3:]]
    assert streamed[:7] != whole[1:8]  # laid out from the first six rows: the long name is later
    assert any(long_name in line for line in streamed)
    monkeypatch.setattr(render, "_terminal_width", 60)
    fitted = register()
    assert not any(long_name in line for line in fitted)
    assert any(line.startswith("M10") and render.CUT in line for line in fitted)
    assert max(map(len, fitted[:-1])) <= 60


def test_a_long_table_writes_its_first_rows_before_reading_the_rest(monkeypatch: pytest.MonkeyPatch) -> None:
    """Nothing but the first rows is held: the header is out before the third chunk is read, and
    a column left out for the terminal because its first rows were empty is named if later
    rows fill it."""
    out = io.StringIO()
    monkeypatch.setattr(sys, "stdout", out)
    monkeypatch.setattr(render, "TABLE_ROWS", 2)
    monkeypatch.setattr(render, "_terminal_width", 24)
    columns = ["member", "name", "reason"]

    def chunks() -> Iterator[list[tuple[Any, ...]]]:
        yield [("M1", "Ada Lovelace Byron", None), ("M2", "Grace Brewster Hopper", None)]
        yield [("M3", "Emmy Noether", None)]
        yield [("M4", "Mary Somerville", None)]  # read to know that more rows come
        assert out.getvalue().startswith("member"), "the first rows wait for the rest"
        yield [("M5", "Rosalind Franklin", "moved to Ghent")]

    assert render.emit_chunks(chunks(), columns, "table", lambda: "5 rows") == 5
    text = out.getvalue().splitlines()
    assert text[0].split() == ["member", "name"]
    assert "left out too, filled after the first 2 rows: reason" in " ".join(text)
    assert text[-1] == "5 rows"


def test_rows_given_at_once_are_laid_out_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Rows that arrive as one chunk are all in memory already: however many, the table is laid
    out from all of them, under its title."""
    out = io.StringIO()
    monkeypatch.setattr(sys, "stdout", out)
    monkeypatch.setattr(render, "TABLE_ROWS", 2)
    rows = [("M1", "Ada"), ("M2", "Grace"), ("M3", "Rosalind Franklin")]
    render.emit_values(rows, ["member", "name"], "table", "3 members")
    text = out.getvalue().splitlines()
    assert text[0] == "3 members" and text[-1] == "M3      Rosalind Franklin"
    assert text[2] == "------  -----------------"
