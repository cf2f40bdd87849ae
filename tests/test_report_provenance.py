"""The report in the reader's language around its figures, and its provenance with its checkpoint.

Siblings of issue 9.13 and item 2 of issue 11, each run as the real command on SQLite and
PostgreSQL: the default table's group titles, columns and lines in --lang fr|nl|en; the moments
of the provenance in words (md, html), not ISO; and, in every format, the Merkle checkpoint
(tree size and root, as `coopledger checkpoint` prints them) of exactly the entries included.
"""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest

from tests.conftest import ROOT, run_cli

DEMO = str(ROOT / "examples" / "demo.jsonl")
ISO_MOMENT = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d")
GROUPS = {
    "fr": [
        "Sociétaires",
        "Capital",
        "Assemblées générales",
        "Affectation du résultat",
        "Conseil d'administration",
    ],
    "nl": [
        "Vennoten",
        "Kapitaal",
        "Algemene vergaderingen",
        "Bestemming van het resultaat",
        "Raad van bestuur",
    ],
    "en": ["Members", "Capital", "General assemblies", "Allocation of the result", "Board of directors"],
}
ENGLISH_TITLES = ["Members", "Assemblies", "Result allocation", "Board"]  # as every language had them


@pytest.fixture
def demo(shared_db_url: str) -> str:
    assert run_cli("import", DEMO, db=shared_db_url).returncode == 0
    return shared_db_url


def ok(db: str, *args: str) -> str:
    done = run_cli(*args, db=db)
    assert done.returncode == 0, done.stderr.decode()
    return done.stdout.decode()


def report(db: str, *args: str) -> str:
    return ok(db, "report", "--year", "2025", *args)


def checkpoint_of(text: str) -> tuple[int, str]:
    """The tree size and root of a checkpoint printed by `coopledger checkpoint`."""
    _, size, root = text.splitlines()[:3]
    return int(size), root


@pytest.mark.parametrize("lang", ["fr", "nl", "en"])
def test_the_table_names_its_groups_and_columns_in_the_report_s_language(demo: str, lang: str) -> None:
    table = report(demo, "--lang", lang)
    lines = table.splitlines()
    titles = [lines[i - 2] for i, line in enumerate(lines) if set(line) <= {"-", " "} and line]
    assert [t for t in titles if t in GROUPS[lang]] == GROUPS[lang]  # a title above each table
    heading = {"fr": "chiffre  ", "nl": "cijfer  ", "en": "figure  "}[lang]
    assert sum(line.startswith(heading) for line in lines) == 5
    if lang != "en":
        assert not set(ENGLISH_TITLES + ["Capital"] * (lang == "nl")) & set(lines)
        assert "fingerprint" not in table and "as recorded" not in table
    first = {"fr": "Rapport du 01/01/2025 au 31/12/2025, tel qu'enregistré\u00a0: écritures n° 1 à 53"}
    first |= {"nl": "Verslag van 01/01/2025 tot 31/12/2025, zoals geregistreerd: boekingen nr. 1 tot 53"}
    first |= {"en": "Report 01/01/2025 to 31/12/2025, as recorded: entries 1 to 53"}
    assert lines[0] == first[lang]


def test_the_restatement_in_the_table_speaks_the_report_s_words(demo: str) -> None:
    table = report(demo, "--lang", "nl", "--known-at", "#45", "--compare-known-at", "#40")
    assert "Cijfers gewijzigd sinds " in table and "(boeking nr. 40):" in table
    assert "Boekingen sindsdien geregistreerd die ze wijzigden:" in table
    assert "cijfer" in table and "toen gekend" in table and "nadien gekend" in table
    assert "Bestemming van het resultaat" in table and "Verkiezing" in table  # entry types in words
    assert "result.allocated" not in table and "assemblies.AG2025" not in table
    assert not ISO_MOMENT.search(table)


@pytest.mark.parametrize("fmt", ["md", "html"])
def test_the_provenance_states_its_moments_in_words(demo: str, fmt: str) -> None:
    last = json.loads(ok(demo, "log", "-n", "1", "--format", "json"))[0]["recorded"]
    for lang, words in {"fr": "la dernière enregistrée le ", "nl": "de laatste geregistreerd op "}.items():
        text = report(demo, "--format", fmt, "--lang", lang, "--known-at", last)
        provenance = text[text.rindex("Provenance" if lang == "fr" else "Herkomst") :]
        moment = re.search(words + r"(\d{1,2}(er)? \w+ \d{4}, \d\d:\d\d:\d\d UTC)\)", provenance)
        assert moment, provenance
        assert last[11:19] in moment.group(1)  # to the second, in UTC as recorded
        assert ISO_MOMENT.findall(provenance) == [last[:16]]  # only in the command that reprints it
    english = report(demo, "--format", fmt, "--lang", "en", "--final", "--known-at", last)
    assert re.search(
        r"as known at \d{1,2} \w+ \d{4}, \d\d:\d\d:\d\d UTC: it includes entries 1 to 53", english
    )
    assert not ISO_MOMENT.search(english)  # --final prints no command line, so no ISO moment at all


def test_every_format_prints_the_checkpoint_of_what_the_report_includes(demo: str, tmp_path: Path) -> None:
    size, root = checkpoint_of(ok(demo, "checkpoint"))
    assert size == 53
    data = json.loads(report(demo, "--format", "json"))
    assert data["provenance"]["checkpoint"] == {"tree_size": 53, "root": root}
    rows = dict(csv.reader(io.StringIO(report(demo, "--format", "csv"))))
    # a root is base64: one in 64 begins with "+", which CSV writes as "'+..." (not a formula)
    in_csv = f"'{root}" if root.startswith("+") else root
    assert (rows["provenance.checkpoint.tree_size"], rows["provenance.checkpoint.root"]) == ("53", in_csv)
    table = report(demo, "--lang", "en")
    assert f"checkpoint (Merkle tree): 53 entries, root {root}\n" in table
    assert f"point de contrôle (arbre de Merkle)\u00a0: 53 écritures, racine {root}\n" in report(demo)
    sentences = {
        ("md", "fr"): f"a pour taille 53 et pour racine `{root}`.",
        ("md", "nl"): f"heeft als grootte 53 en als wortel `{root}`.",
        ("html", "en"): f"has tree size 53 and root <code>{root}</code>.",
        ("html", "fr"): f"a pour taille 53 et pour racine <code>{root}</code>.",
    }
    for (fmt, lang), sentence in sentences.items():
        assert sentence in report(demo, "--format", fmt, "--lang", lang, "--final"), (fmt, lang)


def test_the_checkpoint_is_that_of_the_entries_as_known_at(demo: str, tmp_path: Path) -> None:
    signed = tmp_path / "ag.txt"
    signed.write_text(ok(demo, "checkpoint"), encoding="utf-8")
    size, root = checkpoint_of(signed.read_text(encoding="utf-8"))
    ok(
        demo,
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
    )
    now = json.loads(report(demo, "--format", "json"))["provenance"]
    assert now["last_seq"] == now["checkpoint"]["tree_size"] == 54 and now["checkpoint"]["root"] != root
    assert checkpoint_of(ok(demo, "checkpoint")) == (54, now["checkpoint"]["root"])
    # As the assembly signed it: the checkpoint file as --known-at gives that checkpoint back.
    signed_then = json.loads(report(demo, "--format", "json", "--known-at", str(signed)))["provenance"]
    assert signed_then["checkpoint"] == {"tree_size": size, "root": root} and signed_then["last_seq"] == 53
    assert f"a pour taille 53 et pour racine `{root}`" in report(demo, "--format", "md", "--known-at", "#53")
    # A restatement names the checkpoint of each side.
    restated = json.loads(report(demo, "--format", "json", "--compare-known-at", "#53"))
    assert restated["before"]["provenance"]["checkpoint"] == {"tree_size": 53, "root": root}
    assert restated["after"]["provenance"]["checkpoint"] == now["checkpoint"]
    # The same command, the same bytes: the checkpoint only depends on the entries included.
    assert report(demo, "--format", "json", "--known-at", "#53") == report(
        demo, "--format", "json", "--known-at", "#53"
    )
    early = json.loads(report(demo, "--format", "json", "--known-at", "#1"))["provenance"]["checkpoint"]
    assert early["tree_size"] == 1 and early["root"] not in (root, now["checkpoint"]["root"])
