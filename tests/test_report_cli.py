"""`coopledger report` and `coopledger chart` in a real subprocess, on SQLite files and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from tests.conftest import ROOT, run_cli

DEMO = str(ROOT / "examples" / "demo.jsonl")
CONTRACT = {
    "members": {
        "admitted",
        "admission_refused",
        "resigned",
        "left_by_right",
        "left_by_right_by_reason",
        "excluded",
        "exit_refused",
        "total_at_end",
        "by_category_at_end",
    },
    "board": {"seats", "elected", "renewed", "coopted", "members_at_end", "vacant_at_end"},
}


@pytest.fixture
def demo(shared_db_url: str) -> str:
    assert run_cli("import", DEMO, db=shared_db_url).returncode == 0
    return shared_db_url


def report(db: str, *args: str) -> bytes:
    result = run_cli("report", "--year", "2025", *args, db=db)
    assert result.returncode == 0, result.stderr.decode()
    return result.stdout


def test_the_json_carries_the_contract_keys_and_its_provenance(demo: str) -> None:
    data = json.loads(report(demo, "--format", "json"))
    assert data["period"] == {"from": "2025-01-01", "to": "2025-12-31"}
    for group, keys in CONTRACT.items():
        assert keys <= data[group].keys()
    assert set(data["members"]["left_by_right_by_reason"]) == {
        "death",
        "end_of_employment",
        "bankruptcy",
        "other",
    }
    assert data["members"]["admitted"] == 2 and data["members"]["left_by_right_by_reason"]["death"] == 1
    assert data["assemblies"][0] == {
        **data["assemblies"][0],
        "assembly": "AG2025",
        "voters": 8,
        "by_proxy": 1,
    }
    allocation = data["result_allocation"][0]
    assert (allocation["assembly"], allocation["year"], allocation["reserves"]) == ("AG2025", 2024, "1250.00")
    assert data["provenance"]["last_seq"] == 53 and data["provenance"]["known_at"] is None
    last = json.loads(run_cli("export", db=demo).stdout.splitlines()[-1])
    assert data["provenance"]["fingerprint"] == last["hash"]
    assert data["provenance"]["last_recorded"] == last["recorded"]
    assert data["capital"]["at_end"]["shares"] == sum(
        data["capital"]["at_end"]["shares_by_category"].values()
    )


def test_the_same_known_at_gives_the_same_bytes_after_backdated_entries(demo: str) -> None:
    then = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")
    before = report(demo, "--format", "json", "--known-at", then)
    late = run_cli(
        "member",
        "admit",
        "M30",
        "--name",
        "Late",
        "--category",
        "A",
        "--shares",
        "1",
        "--date",
        "2025-04-01",
        db=demo,
    )
    assert late.returncode == 0, late.stderr.decode()
    assert run_cli("member", "resign", "M10", "--date", "2025-05-02", db=demo).returncode == 0
    assert report(demo, "--format", "json", "--known-at", then) == before
    now = json.loads(report(demo, "--format", "json"))
    assert now["members"]["admitted"] == json.loads(before)["members"]["admitted"] + 1
    restated = json.loads(report(demo, "--format", "json", "--compare-known-at", then))
    changed = {d["figure"]: (d["before"], d["after"]) for d in restated["differences"]}
    assert changed["members.admitted"] == (2, 3)
    assert changed["members.resigned"] == (1, 2)
    causes = {c["type"]: c for c in restated["causes"]}
    assert causes["member.admitted"]["member"] == "M30"
    assert causes["member.admitted"]["date"] == "2025-04-01"
    assert "members.admitted" in causes["member.admitted"]["moved"]
    assert "members.resigned" in causes["member.resigned"]["moved"]
    annex = report(demo, "--compare-known-at", then, "--format", "md").decode()
    assert "## Annexe\u00a0: rectifications depuis le" in annex and "| M30 |" in annex
    assert "--compare-known-at " in annex.rsplit("## Provenance", 1)[1]
    table = report(demo, "--compare-known-at", then).decode()
    assert "Écritures enregistrées depuis, qui les ont modifiés" in table and "M30" in table


def test_the_special_report_in_each_language(demo: str, tmp_path: Path) -> None:
    own = tmp_path / "p4.md"
    own.write_text("Aucun accord ne limite notre autonomie.\n", encoding="utf-8")
    joined = {"fr": "2 sociétaires ont rejoint", "nl": "2 vennoten vrijwillig", "en": "2 members voluntarily"}
    for lang, sentence in joined.items():
        text = report(demo, "--format", "md", "--lang", lang, "--include", f"principle4={own}").decode()
        assert text.startswith("# ") and sentence in text
        assert "Aucun accord ne limite notre autonomie." in text
    page = report(demo, "--format", "html", "--lang", "nl").decode()
    assert page.startswith("<!DOCTYPE html>") and "<svg" in page and "@media print" in page


def test_csv_and_table_for_people(demo: str) -> None:
    rows = report(demo, "--format", "csv").decode().splitlines()
    assert rows[0] == "figure,value"
    assert "members.admitted,2" in rows and "period.from,2025-01-01" in rows
    table = report(demo).decode()
    assert "Sociétaires" in table and "Conseil d'administration" in table and "empreinte" in table


def test_a_fiscal_year_follows_the_statutes(shared_db_url: str) -> None:
    amended = run_cli(
        "record",
        "statutes.amended",
        "--parameter",
        "fiscal_year_start",
        "--value",
        "07-01",
        "--date",
        "2024-01-10",
        db=shared_db_url,
    )
    assert amended.returncode == 0, amended.stderr.decode()
    data = json.loads(report(shared_db_url, "--format", "json"))
    assert data["period"] == {"from": "2025-07-01", "to": "2026-06-30"}
    assert data["members"]["total_at_end"] == 0 and data["assemblies"] == []


def test_charts_alone(demo: str, tmp_path: Path) -> None:
    for name in ("members.svg", "members.png"):
        result = run_cli(
            "chart",
            "members",
            "--from",
            "2024-01-01",
            "--to",
            "2025-12-31",
            "-o",
            str(tmp_path / name),
            db=demo,
        )
        assert result.returncode == 0, result.stderr.decode()
    assert (tmp_path / "members.svg").read_bytes().startswith(b"<?xml")
    assert (tmp_path / "members.png").read_bytes().startswith(b"\x89PNG")
    assert (
        run_cli("chart", "members", "--year", "2025", "-o", str(tmp_path / "x.gif"), db=demo).returncode == 2
    )


BAD_USAGE = [
    ["--year", "2025", "--from", "2025-01-01", "--to", "2025-06-30"],
    ["--from", "2025-01-01"],
    ["--year", "2025", "--include", "nowhere=x.md"],
    ["--year", "2025", "--include", "principle4=/does/not/exist.md"],
    ["--year", "2025", "--thousands-separator", ","],
    ["--year", "2025", "--lang", "de"],
    ["--year", "2025", "--known-at", "2025-01-01", "--compare-known-at", "2026-01-01"],
]


def test_bad_usage_exits_2_and_prints_nothing(tmp_path: Path) -> None:
    for args in BAD_USAGE:
        result = run_cli("report", *args, db=f"sqlite:///{tmp_path / 'ledger.db'}")
        assert result.returncode == 2, (args, result.stderr.decode())
        assert result.stdout == b""


def test_markup_in_the_data_reaches_no_report_as_markup(demo: str) -> None:
    """Issue 7, defect 7: a resolution title or the cooperative's name holding HTML."""
    title = "<script>alert(1)</script> | R&D"
    recorded = run_cli(
        "record",
        "resolution.decided",
        "--assembly",
        "AG2025",
        "--resolution",
        "R9",
        "--title",
        title,
        "--for",
        "7",
        "--against",
        "0",
        "--abstain",
        "0",
        "--date",
        "2025-06-17",
        db=demo,
    )
    assert recorded.returncode == 0, recorded.stderr.decode()
    for fmt in ("md", "html"):
        text = report(demo, "--format", fmt, "--cooperative", "<b>Coop</b>").decode()
        body = text.split("coopledger report --year")[0]  # the command to rerun is code, quoted as typed
        assert "<script>" not in body and "<b>Coop</b>" not in body, fmt
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body, fmt
        assert "&lt;b&gt;Coop&lt;/b&gt;" in body, fmt
    assert "&lt;script&gt;alert(1)&lt;/script&gt; \\| R&amp;D" in report(demo, "--format", "md").decode()


def test_the_table_writes_values_in_the_reports_language(demo: str) -> None:
    """An assembly's kind, a majority and an outcome in words of the language, numbers in its
    format, and French typography before a colon (siblings of issue 9.13)."""
    french = report(demo, "--year", "2025", "--lang", "fr").decode()
    assert "Assemblée AG2025\u00a0: nature" in french
    assert "ordinaire" in french and "adoptée" in french and "61,54" in french
    assert "ordinary" not in french and "adopted" not in french and "61.54" not in french
    dutch = report(demo, "--year", "2025", "--lang", "nl").decode()
    assert "gewoon" in dutch and "aangenomen" in dutch and "61,54" in dutch
    english = report(demo, "--year", "2025", "--lang", "en").decode()
    assert "ordinary" in english and "adopted" in english and "61.54" in english
