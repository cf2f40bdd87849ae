"""`coopledger serve`, the read-only web view: every page on SQLite and PostgreSQL, through
Starlette's test client (the application in-process, over the read-only connections `serve` uses).

One small ledger per backend for the module: the demo journal, 60 more members (so that the
register has pages), and a member named `<script>alert(1)</script>` who holds a board seat, with
an address and an e-mail that must not show unless asked.
"""

from __future__ import annotations

import csv
import io
import re
import time
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from coopledger.commands.context import App
from coopledger.ledger.bounds import decode_input
from coopledger.ledger.errors import Source
from tests.conftest import ROOT, make_url

warnings.filterwarnings("ignore", message=".*httpx.*")
from starlette.testclient import TestClient  # noqa: E402

from coopledger.web.app import Settings, create_app  # noqa: E402
from coopledger.web.source import ReadOnlyLedger  # noqa: E402

SCRIPT = "<script>alert(1)</script>"
ADDRESS = "Rue Secrète 1, 1000 Bruxelles"
EMAIL = "x1@example.coop"
EXTRA = [
    f'{{"type": "member.admitted", "date": "2025-03-01", "member": "P{i:03}", "name": "Person {i}", '
    f'"category": "A", "shares": {1 + i % 3}}}'
    for i in range(1, 61)
]
SCRIPTED = [
    '{"type": "member.admitted", "date": "2025-01-20", "member": "X1", "name": "<script>alert(1)</script>", '
    f'"category": "A", "shares": 3, "address": "{ADDRESS}", "email": "{EMAIL}"}}',
    '{"type": "member.admitted", "date": "2025-01-21", "member": "X2", "name": "=1+2", '
    '"category": "A", "shares": 1}',
    '{"type": "mandate.elected", "date": "2025-06-17", "person": "X1", "until": "2029-06-17", '
    '"assembly": "AG2025"}',
]
PAGES = [
    "/",
    "/register",
    "/register.csv",
    "/register.xlsx",
    "/members/X1",
    "/members/M01",
    "/board",
    "/assemblies",
    "/assemblies/AG2025",
    "/report?year=2025",
    "/ledger",
]  # and /report/document, drawn with matplotlib, in test_the_board_assemblies_report_and_ledger_state


def record(app: App, lines: list[str]) -> None:
    app.ledger.record([(decode_input(line), Source("test", n)) for n, line in enumerate(lines, 1)])


@pytest.fixture(scope="module", params=["sqlite-file", "postgres"])
def url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    available = request.getfixturevalue("postgres_available")
    made = make_url(request.param, tmp_path_factory.mktemp("web"), available)
    url = next(made)
    app = App(url, "clerk")
    demo = (ROOT / "examples" / "demo.jsonl").read_text(encoding="utf-8").splitlines()
    record(app, [line for line in demo if line.strip() and not line.startswith("#")])
    record(app, EXTRA + SCRIPTED)
    app.store.close()
    yield url
    next(made, None)


@pytest.fixture(scope="module")
def ledger(url: str) -> Iterator[ReadOnlyLedger]:
    opened = ReadOnlyLedger(url)
    yield opened
    opened.close()


@pytest.fixture(scope="module")
def client(ledger: ReadOnlyLedger) -> TestClient:
    return TestClient(create_app(ledger, Settings()))


def dated(path: str, as_of: str = "2025-12-31") -> str:
    return f"{path}{'&' if '?' in path else '?'}as_of={as_of}"


@pytest.mark.parametrize("path", PAGES)
def test_every_page_answers(client: TestClient, path: str) -> None:
    response = client.get(dated(path))
    assert response.status_code == 200, response.text[-500:]
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "script-src" not in response.headers["content-security-policy"]


def test_no_route_accepts_post_or_any_other_writing_method(client: TestClient) -> None:
    app = client.app.app  # type: ignore[attr-defined]  # inside the guard
    paths = [re.sub(r"\{(\w+)(:\w+)?\}", "X1", route.path) for route in app.routes]
    assert len(paths) >= len(PAGES) + 1
    for path in paths:
        for method in ("POST", "PUT", "PATCH", "DELETE"):
            response = client.request(method, path)
            assert response.status_code == 405, (method, path)
            assert "GET" in response.headers["allow"]
    assert client.post("/no-such-page").status_code in (404, 405)


@pytest.mark.parametrize("path", ["/register", "/members/X1", "/board", "/register?status=all&q=X"])
def test_a_name_that_is_markup_is_shown_as_text(client: TestClient, path: str) -> None:
    page = client.get(dated(path)).text
    assert SCRIPT not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_the_register_on_a_date_with_filters_order_and_pages(client: TestClient) -> None:
    page = client.get(dated("/register", "2025-06-30")).text
    assert "75" in re.search(r"<h1>(.*?)</h1>", page, re.S).group(1)  # type: ignore[union-attr]
    assert 'rel="next"' in client.get(dated("/register?per=50", "2025-06-30")).text
    second = client.get(dated("/register?per=50&page=2", "2025-06-30")).text
    assert "P060" in second and "M01" not in second and 'rel="next"' not in second
    only_b = client.get(dated("/register?category=B", "2025-06-30")).text
    assert "M05" in only_b and "M01" not in only_b
    by_shares = client.get(dated("/register?sort=shares&dir=desc", "2025-06-30")).text
    members = re.findall(r'href="/members/(\w+)', by_shares)
    assert members[0] in ("M05", "M08")  # 8 shares each, the most
    former = client.get(dated("/register?status=former")).text
    assert "M04" in former and "M01" not in former  # M04 resigned in 2025


def test_the_register_as_csv_is_the_same_rows(client: TestClient) -> None:
    response = client.get(dated("/register.csv?category=A", "2025-06-30"))
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0] == ["member", "name", "category", "shares", "paid_up", "admitted", "founder"]
    assert len(rows) == 1 + 75 - 3  # M05 is B, M08 and M10 are C
    assert [r[1] for r in rows if r[0] == "X1"] == [SCRIPT]  # a CSV holds the text as it is
    assert [r[1] for r in rows if r[0] == "X2"] == ["'=1+2"]  # but no formula a spreadsheet runs
    assert {r[6] for r in rows[1:]} == {"yes", "no"}  # founder, as `register --format csv` says


def test_the_register_as_xlsx_is_the_same_rows(client: TestClient) -> None:
    from openpyxl import load_workbook

    response = client.get(dated("/register.xlsx?category=A", "2025-06-30"))
    assert response.status_code == 200 and "attachment" in response.headers["content-disposition"]
    rows = list(load_workbook(io.BytesIO(response.content), read_only=True).active.values)
    assert rows[0] == ("member", "name", "category", "shares", "paid_up", "admitted", "founder")
    assert len(rows) == 1 + 75 - 3
    assert [r[1] for r in rows if r[0] == "X1"] == [SCRIPT]
    assert [r[1] for r in rows if r[0] == "X2"] == ["'=1+2"]


def test_personal_data_is_hidden_unless_asked(ledger: ReadOnlyLedger, client: TestClient) -> None:
    for path in ("/members/X1", "/register", "/register.csv"):
        page = client.get(dated(path)).text
        assert ADDRESS not in page and EMAIL not in page, path
    shown = TestClient(create_app(ledger, Settings(show_personal_data=True)))
    assert ADDRESS in shown.get(dated("/members/X1")).text
    assert EMAIL in shown.get(dated("/register.csv?q=X")).text


def test_every_link_keeps_the_date_and_the_permanent_link_fixes_what_is_known(
    client: TestClient, ledger: ReadOnlyLedger
) -> None:
    page = client.get("/register?as_of=2025-06-30&lang=nl").text
    assert 'href="/members/M01?as_of=2025-06-30&amp;lang=nl"' in page
    head = ledger.head_seq()
    assert f"known_at=%23{head}" in page
    assert "Overzicht" in page and "Vue d'ensemble" not in page


def test_known_at_shows_what_the_ledger_knew_then(client: TestClient, ledger: ReadOnlyLedger) -> None:
    before = client.get(dated("/register?known_at=%2353", "2025-06-30")).text  # the demo alone
    assert "P001" not in before and "M01" in before
    assert "/members/X1" not in before
    assert client.get(dated("/members/X1?known_at=%2353")).status_code == 404
    assert client.get(dated(f"/register?known_at=%23{ledger.head_seq() + 1}")).status_code == 400


@pytest.mark.parametrize(
    "path",
    [
        "/register?as_of=2025-13-01",
        "/register?lang=de",
        "/register?sort=name;drop",
        "/register?page=0",
        "/register?known_at=/etc/passwd",
        "/report?year=abc",
    ],
)
def test_a_bad_parameter_is_a_400_with_the_reason(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 400
    assert "root:" not in response.text


def test_what_the_ledger_does_not_hold_is_a_404(client: TestClient) -> None:
    assert client.get("/members/NOBODY").status_code == 404
    assert client.get("/assemblies/AG1999").status_code == 404
    assert client.get("/board?body=nothing").status_code == 404
    assert client.get("/nowhere").status_code == 404


def test_the_page_speaks_its_language_charts_included(client: TestClient) -> None:
    for lang, words in {
        "fr": ("Sociétaires par catégorie", "Admissions et sorties par mois", "Capital en fin de mois"),
        "nl": ("Vennoten per categorie", "Toetredingen en uittredingen", "Kapitaal op het einde"),
        "en": ("Members by category", "Admissions and exits by month", "Capital at the end"),
    }.items():
        page = client.get(dated(f"/?lang={lang}")).text
        assert page.count("<svg") == 4
        for word in words:
            assert f"<title>{word}" in page, (lang, word)
        assert f'<html lang="{lang}">' in page


def test_the_board_assemblies_report_and_ledger_state(client: TestClient) -> None:
    board = client.get(dated("/board")).text
    assert "M13" in board and "X1" in board and "Victor Claes" in board
    assert "coopté, non confirmé" in board  # M13 coopted, not confirmed
    assembly = client.get(dated("/assemblies/AG2025?lang=en")).text
    assert "Participation" in assembly and "adopted" in assembly
    report = client.get(dated("/report?year=2025&lang=en")).text
    assert "Annual report 2025" in report and "<iframe" in report
    assert '<td class="n">2024</td>' in client.get(dated("/report?year=2025&lang=fr")).text  # not 2.024
    document = client.get(dated("/report/document?year=2025&lang=nl"))
    assert "'unsafe-inline'" in document.headers["content-security-policy"]
    assert "<svg" in document.text and 'lang="nl"' in document.text
    state = client.get(dated("/ledger?lang=en")).text
    assert "Last entry" in state and "#" in state


def test_the_connections_cannot_write(ledger: ReadOnlyLedger) -> None:
    with ledger.engine.connect() as conn, pytest.raises(Exception, match=r"(?i)read.?only"):
        conn.execute(text("CREATE TABLE web_should_not_exist (a integer)"))
    with pytest.raises(Exception, match=r"(?i)read.?only"):
        ledger.store.recorder.set_meta("web", "written")  # type: ignore[attr-defined]
    assert ledger.store.meta("web") is None


def test_a_password_file_guards_every_page(ledger: ReadOnlyLedger, tmp_path: Path) -> None:
    from coopledger.web.auth import read_password_file

    secrets = tmp_path / "passwords"
    secrets.write_text("# the board\nanna:correct horse\n")
    guarded = TestClient(create_app(ledger, Settings(users=read_password_file(str(secrets)))))
    response = guarded.get("/register")
    assert response.status_code == 401 and "Basic" in response.headers["www-authenticate"]
    assert guarded.get("/register", auth=("anna", "wrong")).status_code == 401
    assert guarded.get("/register", auth=("bob", "correct horse")).status_code == 401
    assert guarded.get("/register", auth=("anna", "correct horse")).status_code == 200
    assert guarded.post("/register", auth=("anna", "correct horse")).status_code == 405


def test_the_ledger_state_shows_what_verify_says(client: TestClient) -> None:
    deadline = time.monotonic() + 120
    while "everything holds" not in (page := client.get("/ledger?lang=en").text):
        assert time.monotonic() < deadline, page
        time.sleep(0.2)
    assert "hash chain (" in page and "read model register_spells: ok" in page


def test_without_a_password_only_this_machine_s_names_are_answered(ledger: ReadOnlyLedger) -> None:
    local = TestClient(create_app(ledger, Settings(hosts={"127.0.0.1", "localhost", "[::1]"})))
    assert local.get("/register", headers={"host": "evil.example:5000"}).status_code == 400
    assert local.get("/register", headers={"host": "127.0.0.1:5000"}).status_code == 200
    assert local.get("/register", headers={"host": "[::1]:5000"}).status_code == 200
    assert local.get("/register", headers={"host": "LOCALHOST"}).status_code == 200
