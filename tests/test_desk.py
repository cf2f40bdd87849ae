"""The secretary's desk (issue 13.3, 13.4): the legal register as XLSX, ODS and PDF, a member's
certificate, an assembly's roll and mailing list, and `assembly show` beside the roll.

The ledger is the demo's (examples/demo.jsonl: transfers, a redemption, a change of category,
the three kinds of exit, an assembly with a proxy), on an SQLite file and on PostgreSQL. A PDF
page is rendered to PNG (pdftoppm where the machine has it, else PDFium through pypdfium2) and
checked for ink where the title is; its text is read back for the content.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest
from click.testing import CliRunner, Result

from coopledger.commands.main import cli
from tests.conftest import ROOT, make_url

COOP = "Coop Example SC"
TODAY = {"COOPLEDGER_TODAY": "2025-12-31", "COOPLEDGER_COOPERATIVE": COOP}
ODS = {
    "table": "urn:oasis:names:tc:opendocument:xmlns:table:1.0",
    "office": "urn:oasis:names:tc:opendocument:xmlns:office:1.0",
    "text": "urn:oasis:names:tc:opendocument:xmlns:text:1.0",
}


def run(url: str, *args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(cli, ["--db", url, *args], env={**TODAY, **(env or {})})


def ok(url: str, *args: str, env: dict[str, str] | None = None) -> Result:
    result = run(url, *args, env=env)
    assert result.exit_code == 0, result.output
    return result


def load_demo(url: str) -> str:
    ok(url, "import", str(ROOT / "examples" / "demo.jsonl"))
    # A name a spreadsheet would run as a formula, and one beyond Latin-1, for the PDF's font.
    ok(
        url,
        "member",
        "admit",
        "M15",
        "--name",
        '=HYPERLINK("x")',
        "--category",
        "A",
        "--shares",
        "1",
        "--date",
        "2025-12-01",
    )
    ok(
        url,
        "member",
        "admit",
        "M16",
        "--name",
        "Łucja Żółć",
        "--category",
        "A",
        "--shares",
        "1",
        "--date",
        "2025-12-01",
        "--email",
        "lucja@example.org",
    )
    return url


@pytest.fixture(scope="module", params=["sqlite-file", "postgres"])
def demo(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, postgres_available: bool
) -> Iterator[str]:
    """The demo ledger, built once per backend for the tests that only read it (and record
    checkpoints, which add no entry)."""
    for url in make_url(request.param, tmp_path_factory.mktemp("demo"), postgres_available):
        yield load_demo(url)


def root_of(url: str) -> str:
    """The checkpoint root of the whole ledger, as `coopledger checkpoint` prints it."""
    return ok(url, "checkpoint").stdout.splitlines()[2]


def register_csv(url: str) -> dict[str, dict[str, str]]:
    out = ok(url, "register", "--as-of", "2025-12-31", "--all", "--format", "csv").stdout
    return {row["member"]: row for row in csv.DictReader(io.StringIO(out))}


def ods_rows(path: Path) -> dict[str, list[list[str]]]:
    """Each sheet's rows as the texts of their cells (ElementTree: the file is well-formed XML)."""
    with zipfile.ZipFile(path) as archive:
        assert archive.namelist()[0] == "mimetype"
        assert archive.read("mimetype") == b"application/vnd.oasis.opendocument.spreadsheet"
        root = ElementTree.fromstring(archive.read("content.xml"))
    sheets = {}
    for table in root.iter(f"{{{ODS['table']}}}table"):
        rows = []
        for row in table.iter(f"{{{ODS['table']}}}table-row"):
            rows.append(["".join(c.itertext()) for c in row.iter(f"{{{ODS['table']}}}table-cell")])
        sheets[table.get(f"{{{ODS['table']}}}name") or ""] = rows
    return sheets


def pdf_text(path: Path) -> list[str]:
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(str(path))
    return [document[i].get_textpage().get_text_range() for i in range(len(document))]


def png_of_first_page(pdf: Path) -> Path:
    """Page 1 as PNG: pdftoppm (poppler-utils) where installed, else PDFium."""
    out = pdf.with_suffix("")
    if shutil.which("pdftoppm"):
        subprocess.run(
            ["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", "-singlefile", str(pdf), str(out)],
            check=True,
            timeout=60,
        )
    else:
        import pypdfium2 as pdfium

        pdfium.PdfDocument(str(pdf))[0].render(scale=60 / 72).to_pil().save(f"{out}.png")
    return Path(f"{out}.png")


def ink(png: Path, box: tuple[float, float, float, float]) -> float:
    """The share of dark pixels in a box of the page (fractions of its width and height)."""
    from PIL import Image

    image = Image.open(png).convert("L")
    w, h = image.size
    crop = image.crop((int(box[0] * w), int(box[1] * h), int(box[2] * w), int(box[3] * h)))
    pixels = crop.tobytes()  # one byte a pixel in mode L
    return sum(1 for p in pixels if p < 128) / len(pixels)


def test_register_xlsx_holds_every_member_and_movement(demo: str, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    out = tmp_path / "register.xlsx"
    said = ok(demo, "register", "--as-of", "2025-12-31", "--format", "xlsx", "-o", str(out)).stdout
    root = root_of(demo)
    assert f"entries 1 to 55 (checkpoint root {root})" in said
    book = load_workbook(out, read_only=True)
    register, movements = book.worksheets
    rows = [list(r) for r in register.iter_rows(values_only=True)]
    assert rows[0][0] == f"{COOP} — Registre des actionnaires au 31/12/2025"
    assert any(root in str(r[0]) for r in rows[:6])
    header = rows.index(
        [
            "n°",
            "nom ou dénomination",
            "domicile ou siège",
            "catégorie",
            "admission",
            "fondateur",
            "parts",
            "capital libéré",
            "qualité",
            "sortie",
            "nature de la sortie",
            "motif",
        ]
    )
    members = {r[0]: r for r in rows[header + 1 :]}
    expected = register_csv(demo)
    assert set(members) == set(expected)  # former members too, as the register keeps them
    for member, row in members.items():
        assert row[6] == int(expected[member]["shares"])
        assert f"{row[7]:.2f}" == expected[member]["paid_up"]
    assert members["M04"][9].date().isoformat() == "2025-03-31" and members["M04"][10] == "Démission"
    assert members["M11"][10:] == ["Départ de plein droit", "décès"]
    assert members["M01"][2] == "Rue Haute 12, 1000 Bruxelles"
    cells = load_workbook(out)["Registre"]  # the member named =HYPERLINK(...) is text, not a formula
    named = next(c for row in cells.iter_rows() for c in row if c.value == '=HYPERLINK("x")')
    assert named.data_type == "s"
    moves = [list(r) for r in movements.iter_rows(values_only=True)]
    transfer = next(r for r in moves if len(r) > 6 and r[2] == "Cession de parts")
    assert transfer[0] == "M07" and transfer[4] == 1 and transfer[6] == "à M06"


def test_register_ods_in_dutch(demo: str, tmp_path: Path) -> None:
    out = tmp_path / "register.ods"
    ok(demo, "register", "--as-of", "2025-06-30", "--format", "ods", "--lang", "nl", "-o", str(out))
    sheets = ods_rows(out)
    assert list(sheets) == ["Register", "Bewegingen"]
    rows = sheets["Register"]
    assert rows[0] == [f"{COOP} — Register van aandeelhouders op 30/06/2025"]
    header = next(i for i, r in enumerate(rows) if r[:2] == ["nr.", "naam"])
    members = {r[0]: r for r in rows[header + 1 :]}
    assert "M15" not in members  # admitted after the date
    assert members["M04"][8:11] == ["uitgetreden", "31/03/2025", "Ontslag"]
    assert members["M01"][7] == "100.00"
    assert any("Inkoop van aandelen" in r for r in sheets["Bewegingen"])


def test_register_pdf_renders_with_its_checkpoint(demo: str, tmp_path: Path) -> None:
    out = tmp_path / "register.pdf"
    ok(demo, "register", "--as-of", "2025-12-31", "--format", "pdf", "--lang", "en", "-o", str(out))
    assert out.read_bytes().startswith(b"%PDF-")
    text = "\n".join(pdf_text(out))
    for expected in (
        COOP,
        "Register of members as of 31/12/2025",
        root_of(demo),
        "Anna Peeters",
        "Łucja Żółć",
        '=HYPERLINK("x")',
        "Transfer of shares: 1 share to M06",
        "Departure by right (death)",
        "page 1 of",
    ):
        assert expected in text, expected
    png = png_of_first_page(out)
    assert ink(png, (0.03, 0.03, 0.5, 0.1)) > 0.02  # the title is printed at the top
    assert ink(png, (0.03, 0.35, 0.97, 0.9)) > 0.005  # and the table below


def test_a_document_is_refused_on_a_terminal_and_without_a_format(demo: str) -> None:
    result = run(demo, "register", "--format", "csv", "-o", "x.csv")
    assert result.exit_code == 2 and "-o FILE goes with --format xlsx, ods or pdf" in result.output


def test_certificate_html_and_pdf(demo: str, tmp_path: Path) -> None:
    html = ok(demo, "member", "certificate", "M07", "--format", "html").stdout
    assert "Certificat d&#39;inscription au registre des actionnaires" in html
    assert "Pieter Maes" in html and "Cession de parts" in html and root_of(demo) in html
    hostile = ok(demo, "member", "certificate", "M15", "--format", "html", "--lang", "en").stdout
    assert "=HYPERLINK(&#34;x&#34;)" in hostile
    out = tmp_path / "M06.pdf"
    ok(demo, "member", "certificate", "M06", "--lang", "nl", "-o", str(out))
    text = "\n".join(pdf_text(out))
    assert "Certificaat van inschrijving" in text and "Nora El Amrani" in text
    assert "Verkrijging van aandelen door overdracht" in text and "van M07" in text
    png = png_of_first_page(out)
    assert ink(png, (0.1, 0.05, 0.9, 0.15)) > 0.02


def test_certificate_as_known_then_and_signed_off(demo: str, tmp_path: Path) -> None:
    keys = tmp_path / "keys"
    ok(demo, "keygen", "--out", str(keys), "--name", "coop")
    signed = ok(demo, "checkpoint", "--sign", str(keys / "coop.key")).stdout
    note = tmp_path / "ag.txt"
    note.write_text(signed)
    html = ok(demo, "member", "certificate", "M01", "--format", "html", "--known-at", str(note)).stdout
    assert signed.strip().splitlines()[-1] in html  # the signature line of the recorded checkpoint
    early = ok(demo, "member", "certificate", "M01", "--format", "html", "--known-at", "#10").stdout
    assert "écritures n° 1 à 10" in early and "Libération" in early and "Souscription" not in early
    unknown = run(demo, "member", "certificate", "M13", "--format", "html", "--known-at", "#10")
    assert unknown.exit_code == 1  # admitted by entry 28
    missing = run(demo, "member", "certificate", "M13", "--as-of", "2024-12-31", "--format", "html")
    assert missing.exit_code == 1 and "M13 is not in the register on 2024-12-31" in missing.output
    former = ok(demo, "member", "certificate", "M12", "--format", "html", "--lang", "en").stdout
    assert "Exclusion (shares left unpaid after two formal notices)" in former


def test_roll_lists_the_members_on_the_assembly_day(demo: str, tmp_path: Path) -> None:
    rows = list(csv.DictReader(io.StringIO(ok(demo, "assembly", "roll", "AG2025", "--format", "csv").stdout)))
    assert [r["member"] for r in rows][:3] == ["M01", "M02", "M03"]
    assert len(rows) == 13 and "M04" not in {r["member"] for r in rows}  # resigned 2025-03-31
    assert {r["votes"] for r in rows} == {"1"} and {r["signature"] for r in rows} == {""}
    out = tmp_path / "roll.pdf"
    ok(demo, "assembly", "roll", "AG2025", "--format", "pdf", "-o", str(out))
    text = pdf_text(out)[0]
    assert "Liste de présence" in text and "13 actionnaires, 13 voix" in text and "signature" in text
    assert ink(png_of_first_page(out), (0.03, 0.03, 0.6, 0.08)) > 0.02
    xlsx = tmp_path / "roll.xlsx"
    ok(demo, "assembly", "roll", "AG2025", "--format", "xlsx", "--lang", "en", "-o", str(xlsx))
    from openpyxl import load_workbook

    values = [r for r in load_workbook(xlsx).active.iter_rows(values_only=True)]
    assert ("M14", "Lotte Hermans", "A", 1, 1, None, None) in values
    missing = run(demo, "assembly", "roll", "AG2052")
    assert missing.exit_code == 1 and "AG2025" in missing.output


def test_mailing_list_reads_the_identity_store(demo: str) -> None:
    result = ok(demo, "assembly", "roll", "AG2025", "--mailing", "--format", "csv")
    assert result.stdout.splitlines() == [
        "member,name,email",
        "M01,Anna Peeters,anna@demo.coop",
        "M05,Atelier Vélo ASBL,contact@ateliervelo.be",
    ]
    assert "2 of 13 members on the roll have an e-mail address; 11 to convene by letter" in result.stderr
    assert run(demo, "assembly", "roll", "AG2025", "--mailing", "--format", "pdf").exit_code == 2


def test_show_compares_the_roll_with_participation(demo: str) -> None:
    table = ok(demo, "assembly", "show", "AG2025").stdout
    assert "Roll of 2025-06-17: 13 members entitled; 7 in person, 1 represented, 5 absent" in table
    assert "FLAG" not in table
    data = json.loads(ok(demo, "assembly", "show", "AG2025", "--format", "json").stdout)
    assert data["roll"]["entitled"] == 13 and data["roll"]["not_entitled"] == []


def test_participation_off_the_roll_is_flagged(shared_db_url: str) -> None:
    """A participation whose member is not on the roll (possible only by a read model out of step,
    or a participation entered elsewhere) is named; so is a proxy holder off the roll."""
    import datetime as dt

    from sqlalchemy import insert

    from coopledger.commands.context import App
    from coopledger.commands.desk import roll_comparison
    from coopledger.projections.governance.queries import find_assembly
    from coopledger.projections.governance.schema import participations

    app = App(load_demo(shared_db_url), "test")
    engine = app.read_models()
    with engine.begin() as conn:
        conn.execute(
            insert(participations).values(
                assembly="AG2025",
                member="M04",
                proxy="M99",
                date=dt.date(2025, 6, 17),
                known_from=1,
                known_to=None,
            )
        )
    figures = find_assembly(engine, "AG2025")
    checked = roll_comparison(app, engine, figures, None)
    app.close()
    assert checked["not_entitled"] == ["M04"] and checked["proxy_not_entitled"] == ["M99"]
    assert checked["absent"] == 5 and checked["represented"] == 2


def test_share_voting_counts_shares_as_votes(shared_db_url: str, tmp_path: Path) -> None:
    lines = [
        {"type": "statutes.amended", "date": "2024-01-01", "parameter": "voting", "value": "share"},
        {
            "type": "member.admitted",
            "date": "2024-01-02",
            "member": "A1",
            "name": "A",
            "category": "A",
            "shares": 1,
        },
        {
            "type": "member.admitted",
            "date": "2024-01-02",
            "member": "A2",
            "name": "B",
            "category": "A",
            "shares": 2,
        },
        {
            "type": "member.admitted",
            "date": "2024-01-02",
            "member": "A3",
            "name": "C",
            "category": "A",
            "shares": 17,
        },
        {"type": "assembly.convened", "date": "2024-06-01", "assembly": "AG", "kind": "ordinary"},
        {"type": "assembly.voted", "date": "2024-06-01", "assembly": "AG", "member": "A1"},
        {"type": "assembly.voted", "date": "2024-06-01", "assembly": "AG", "member": "A2"},
        {"type": "assembly.voted", "date": "2024-06-01", "assembly": "AG", "member": "A3"},
    ]
    path = tmp_path / "share.jsonl"
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    ok(shared_db_url, "import", str(path))
    rows = list(
        csv.DictReader(io.StringIO(ok(shared_db_url, "assembly", "roll", "AG", "--format", "csv").stdout))
    )
    assert [r["votes"] for r in rows] == ["1", "2", "17"]
    data = json.loads(ok(shared_db_url, "assembly", "show", "AG", "--format", "json").stdout)["roll"]
    # 20 shares present, each capped at 10 % of them: 1 + 2 + 2 (governance.md's example)
    assert data["votes_entitled"] == 20 and float(data["votes_present"]) == 5


def _rows(count: int) -> Iterator[list[Any]]:
    import datetime as dt
    from decimal import Decimal

    for i in range(count):
        yield [
            f"M{i:07d}",
            f"Name {i}",
            f"Street {i}, 1000 Brussels",
            "A",
            dt.date(2020, 1, 1),
            "no",
            2,
            Decimal("50.00"),
            "member",
            None,
            "",
            "",
        ]


def test_spreadsheets_stream_their_rows() -> None:
    """Rows are written as they come: the ODS file grows while its rows are still being read.
    (openpyxl's write-only sheets spool theirs to a temporary file; docs/architecture.md has the
    peak memory of a 450,000-member register in each format.)"""
    from coopledger.reports.spreadsheet import Sheet, write_ods

    out = io.BytesIO()
    seen: list[int] = []

    def watched(count: int) -> Iterator[list[Any]]:
        for number, row in enumerate(_rows(count)):
            if number % 5_000 == 0:
                seen.append(out.tell())
            yield row

    write_ods(out, [Sheet("R", ["title"], ["a"] * 12, [10] * 12, watched(20_000))])
    assert seen[-1] > seen[1] > 0  # written before the last rows were read


def test_erased_and_never_held_identities_in_the_documents(
    demo: str, shared_db_url: str, tmp_path: Path
) -> None:
    """An identity erased reads [effacé], one the ledger never held (a pseudonymous export
    imported) [non détenu]; the mailing list leaves both out and counts them."""
    if ("postgresql" in demo) != ("postgresql" in shared_db_url):
        pytest.skip("one backend at a time: the export of the demo on the same backend")
    journal = tmp_path / "pseudonymous.jsonl"
    ok(demo, "export", "--without-personal-data", str(journal))
    ok(shared_db_url, "import", str(journal))
    ok(
        shared_db_url,
        "member",
        "forget",
        "M04",
        "--reason",
        "request",
        env={"COOPLEDGER_TODAY": "2033-02-01"},
    )
    out = tmp_path / "register.ods"
    ok(shared_db_url, "register", "--as-of", "2025-12-31", "--format", "ods", "-o", str(out))
    rows = ods_rows(out)["Registre"]
    members = {r[0]: r for r in rows if r and r[0].startswith("M")}
    assert members["M04"][1] == "[effacé]" and members["M01"][1] == "[non détenu]"
    mailing = ok(shared_db_url, "assembly", "roll", "AG2025", "--mailing", "--format", "csv")
    assert mailing.stdout.splitlines() == ["member,name,email"]
    assert "(2 erased or not held)" in mailing.stderr
