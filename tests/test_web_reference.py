"""The reference-shaped ledger (45,600 members, bench/generate.py --shape reference) in the browser:
the register of 31/12/2025 shows 45,598 members, the board 9 holders of 12 seats, the 2025 report
4,104 admissions (issue 14). Big data, so not in the default run (the suite must stay quick):

    COOPLEDGER_WEB_REFERENCE=1 .venv/bin/pytest tests/test_web_reference.py

generates the journal and imports it into a new SQLite ledger (about a minute), or give a ledger
already built: COOPLEDGER_WEB_REFERENCE=sqlite:////tmp/ref.db.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator

import pytest

REFERENCE = os.environ.get("COOPLEDGER_WEB_REFERENCE")
if not REFERENCE:
    pytest.skip("set COOPLEDGER_WEB_REFERENCE=1 (or a ledger URL) to run it", allow_module_level=True)

from selenium.webdriver.common.by import By  # noqa: E402

from tests.conftest import ROOT, run_cli  # noqa: E402
from tests.test_web_browser import browser  # noqa: E402, F401  # the fixture
from tests.test_web_serve import serving  # noqa: E402


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url = REFERENCE
    if url == "1":
        folder = tmp_path_factory.mktemp("reference")
        journal = folder / "reference.jsonl"
        generate = [
            sys.executable,
            "bench/generate.py",
            "--shape",
            "reference",
            "--years",
            "10",
            "-o",
            str(journal),
        ]
        subprocess.run(generate, cwd=ROOT, check=True, capture_output=True, timeout=600)
        url = f"sqlite:///{folder / 'reference.db'}"
        done = run_cli("import", str(journal), db=url)
        assert done.returncode == 0, done.stderr.decode()
    for _, port in serving(url):
        yield f"http://127.0.0.1:{port}"


def main_text(driver: object, url: str) -> str:
    driver.get(url)  # type: ignore[attr-defined]
    return str(driver.find_element(By.TAG_NAME, "main").text)  # type: ignore[attr-defined]


def test_the_reference_ledger_in_the_browser(site: str, browser: object) -> None:  # noqa: F811
    register = main_text(browser, f"{site}/register?as_of=2025-12-31&lang=en")
    assert "45,598 members" in register
    board = main_text(browser, f"{site}/board?as_of=2025-12-31&lang=en")
    assert "12\nseats" in board and "9\nheld" in board
    report = main_text(browser, f"{site}/report?as_of=2025-12-31&year=2025&lang=en")
    assert "4,104" in report
    assert "admitted" in report.lower() or "admission" in report.lower()
