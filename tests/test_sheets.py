"""Importing from spreadsheets (issue 13.1): CSV, XLSX and ODS, with a mapping, dry runs, refusals.

The round trip a migrating cooperative makes: a register printed by `coopledger register`
and saved as CSV, XLSX or ODS imports into an empty ledger and gives the same register.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from coopledger.commands.main import cli
from tests.conftest import make_url

JOURNAL = [
    '{"type": "member.admitted", "date": "2020-01-06", "member": "M1", "name": "Anne Dupont", '
    '"category": "A", "shares": 2, "founder": true}',
    '{"type": "shares.paid", "date": "2020-01-06", "member": "M1", "amount": "50.00"}',
    '{"type": "member.admitted", "date": "2021-03-01", "member": "M2", "name": "@home", '
    '"category": "B", "shares": 1}',
    '{"type": "member.admitted", "date": "2022-05-02", "member": "M3", "name": "Zoë Peeters", '
    '"category": "A", "shares": 3}',
    '{"type": "shares.paid", "date": "2022-06-01", "member": "M3", "amount": "12.50"}',
]


@pytest.fixture
def second_url(request: pytest.FixtureRequest, tmp_path: Path, postgres_available: bool) -> Iterator[str]:
    """Another empty ledger on the same backend as `shared_db_url` (the import's target)."""
    backend = "postgres" if "postgres" in request.node.callspec.id else "sqlite-file"
    (tmp_path / "second").mkdir()
    yield from make_url(backend, tmp_path / "second", postgres_available)


def run(url: str, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--db", url, *args])


def ok(url: str, *args: str) -> str:
    result = run(url, *args)
    assert result.exit_code == 0, result.output
    return result.output


def register(url: str) -> str:
    return ok(url, "register", "--as-of", "2025-12-31", "--format", "csv")


@pytest.fixture
def source(shared_db_url: str, tmp_path: Path) -> str:
    journal = tmp_path / "journal.jsonl"
    journal.write_text("\n".join(JOURNAL) + "\n")
    ok(shared_db_url, "import", str(journal))
    return shared_db_url


def rows_of(csv_text: str) -> list[list[Any]]:
    """The register's CSV as typed cells, as a spreadsheet program would hold them."""
    import csv

    rows: list[list[Any]] = [next(csv.reader([csv_text.splitlines()[0]]))]
    for line in list(csv.reader(csv_text.splitlines()[1:])):
        member, name, category, shares, paid_up, admitted, founder = line
        name = name.removeprefix("'")  # the CSV neutralised it for a spreadsheet
        rows.append(
            [member, name, category, int(shares), float(paid_up), dt.date.fromisoformat(admitted), founder]
        )
    return rows


def write_xlsx(path: Path, rows: list[list[Any]]) -> None:
    import openpyxl

    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    book.save(path)


def write_ods(path: Path, rows: list[list[Any]]) -> None:
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import Table, TableCell, TableRow
    from odf.text import P

    document = OpenDocumentSpreadsheet()
    sheet = Table(name="Register")
    for row in rows:
        line = TableRow()
        for value in row:
            if isinstance(value, dt.date):
                cell = TableCell(valuetype="date", datevalue=value.isoformat())
            elif isinstance(value, int | float):
                cell = TableCell(valuetype="float", value=value)
            else:
                cell = TableCell(valuetype="string")
            cell.addElement(P(text=str(value)))
            line.addElement(cell)
        sheet.addElement(line)
    document.spreadsheet.addElement(sheet)
    document.save(str(path))


@pytest.mark.parametrize("suffix", ["csv", "xlsx", "ods"])
def test_a_register_saved_as_a_spreadsheet_imports_as_the_same_register(
    source: str, second_url: str, tmp_path: Path, suffix: str
) -> None:
    printed = register(source)
    sheet = tmp_path / f"register.{suffix}"
    if suffix == "csv":
        sheet.write_text(printed)  # as printed: '@home, neutralised, reads back as @home
    elif suffix == "xlsx":
        write_xlsx(sheet, rows_of(printed))
    else:
        write_ods(sheet, rows_of(printed))
    dry = ok(second_url, "import", "--dry-run", str(sheet))
    assert "dry run, nothing written: 5 entries would be added" in dry
    assert "member.admitted" in dry and "the register would hold 3 members" in dry
    assert "M1" not in register(second_url)
    assert "5 entries added" in ok(second_url, "import", str(sheet))
    assert register(second_url) == printed


@pytest.mark.parametrize(("suffix", "lang"), [("xlsx", "fr"), ("ods", "nl"), ("xlsx", "en")])
def test_the_legal_register_imports_back_as_the_same_register(
    source: str, second_url: str, tmp_path: Path, suffix: str, lang: str
) -> None:
    """`register --format xlsx|ods` (title lines above the header, columns in the language of
    --lang) reads back; a former member, whose holding it no longer shows, is left out and said."""
    ok(source, "member", "resign", "M2", "--date", "2024-06-30")
    printed = register(source)
    sheet = tmp_path / f"legal.{suffix}"
    ok(source, "register", "--as-of", "2025-12-31", "--format", suffix, "--lang", lang, "-o", str(sheet))
    first = run(second_url, "import", str(sheet))
    assert first.exit_code == 0, first.output
    assert "4 entries added" in first.output  # M1 and M3: admitted, and paid up
    assert f"note: {sheet}: 1 former member left out (row " in first.output
    assert register(second_url) == printed
    again = run(second_url, "import", str(sheet))
    assert again.exit_code == 0 and "0 entries added, 4 already present" in again.output


def test_a_bad_date_in_the_legal_register_names_its_row_and_column(
    source: str, second_url: str, tmp_path: Path
) -> None:
    import openpyxl

    sheet = tmp_path / "legal.xlsx"
    ok(source, "register", "--as-of", "2025-12-31", "--format", "xlsx", "-o", str(sheet))
    book = openpyxl.load_workbook(sheet)
    header = next(row[0].row for row in book.active.iter_rows() if row[0].value == "n°")
    book.active.cell(header + 2, 5).value = "31/02/2024"  # M2's admission
    book.save(sheet)
    result = run(second_url, "import", str(sheet))
    assert result.exit_code == 2
    assert f"row {header + 2}, column `admission`: '31/02/2024' is not a date" in result.output
    assert ok(second_url, "export") == ""


def test_a_mapping_reads_another_programs_register(shared_db_url: str, tmp_path: Path) -> None:
    db_url = shared_db_url
    sheet = tmp_path / "export.csv"
    sheet.write_text(
        "\ufeffNuméro;Nom;Catégorie;Parts;Date d'entrée;Montant\n"
        "17;Jan Janssens;A;2;15/01/2024;\n"
        "18;Els Maes;B;1;01/02/2024;12,50\n",
        encoding="utf-8",
    )
    mapping = tmp_path / "map.toml"
    mapping.write_text(
        'type = "member.admitted"\ndate_format = "%d/%m/%Y"\n'
        'member = "Numéro"\nname = "Nom"\ncategory = "Catégorie"\nshares = "Parts"\n'
        'date = "Date d\'entrée"\nshare_price = "Montant"\n',
        encoding="utf-8",
    )
    assert "2 entries added" in ok(db_url, "import", "--map", str(mapping), str(sheet))
    printed = ok(db_url, "register", "--format", "csv")
    assert "17,Jan Janssens,A,2,0.00,2024-01-15,no" in printed
    assert "18,Els Maes,B,1,0.00,2024-02-01,no" in printed


def test_a_bad_cell_names_its_row_and_column_and_nothing_is_written(
    shared_db_url: str, tmp_path: Path
) -> None:
    sheet = tmp_path / "payments.csv"
    sheet.write_text("member,date,amount\nM1,2024-01-10,25.00\nM1,2024-31-01,25.00\n")
    result = run(shared_db_url, "import", "--type", "shares.paid", str(sheet))
    assert result.exit_code == 2
    assert "row 3, column `date`: '2024-31-01' is not a date" in result.output
    other = tmp_path / "amounts.csv"
    other.write_text("member,date,amount\nM1,2024-01-10,douze\n")
    result = run(shared_db_url, "import", "--type", "shares.paid", str(other))
    assert result.exit_code == 2 and "row 2, column `amount`" in result.output
    assert ok(shared_db_url, "export") == ""


def test_a_rule_broken_by_a_row_names_the_row(shared_db_url: str, tmp_path: Path) -> None:
    sheet = tmp_path / "payments.xlsx"
    write_xlsx(
        sheet, [["type", "date", "member", "amount"], ["shares.paid", dt.date(2024, 1, 10), "M9", 5.0]]
    )
    result = run(shared_db_url, "import", str(sheet))
    assert result.exit_code == 1
    assert "refused: row 2: shares.paid M9 2024-01-10: must-be-member" in result.output
    assert ok(shared_db_url, "export") == ""


def test_type_and_map_are_for_spreadsheets_only(shared_db_url: str, tmp_path: Path) -> None:
    journal = tmp_path / "journal.jsonl"
    journal.write_text(JOURNAL[0] + "\n")
    result = run(shared_db_url, "import", "--type", "shares.paid", str(journal))
    assert result.exit_code == 2 and "spreadsheet" in result.output
