"""`coopledger serve` as a real process: what it refuses, what it says on start, and real HTTP to
it (127.0.0.1 only), on SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import http.client
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from coopledger.commands.context import App
from coopledger.commands.main import cli
from coopledger.commands.serve import is_loopback
from coopledger.ledger.bounds import decode_input
from coopledger.ledger.errors import Source
from tests.conftest import ROOT

LINES = [
    {"type": "member.admitted", "date": "2025-01-10", "member": "S1", "name": "<b>Ada</b>"}
    | {"category": "A", "shares": 2},
    {"type": "member.admitted", "date": "2025-02-10", "member": "S2", "name": "Grace"}
    | {"category": "B", "shares": 1},
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def get(port: int, path: str, method: str = "GET", auth: str | None = None) -> tuple[int, str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Authorization": "Basic " + base64.b64encode(auth.encode()).decode()} if auth else {}
    try:
        conn.request(method, path, headers=headers)
        response = conn.getresponse()
        return response.status, response.read().decode()
    finally:
        conn.close()


@pytest.fixture
def url(shared_db_url: str) -> str:
    app = App(shared_db_url, "clerk")
    app.ledger.record([(decode_input(json.dumps(line)), Source("test", 1)) for line in LINES])
    app.store.close()
    return shared_db_url


def serving(url: str, *args: str) -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    port = free_port()
    command = [sys.executable, "-m", "coopledger.commands", "--db", url, "serve", "--port", str(port), *args]
    process = subprocess.Popen(command, cwd=ROOT, stderr=subprocess.PIPE, env={**os.environ})
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                get(port, "/style.css")
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(process.stderr.read().decode() if process.stderr else "") from None
                time.sleep(0.1)
        yield process, port
    finally:
        process.terminate()
        process.wait(20)


def test_another_address_needs_a_password_file(tmp_path: Path) -> None:
    runner = CliRunner()
    done = runner.invoke(cli, ["--db", str(tmp_path / "none.db"), "serve", "--host", "0.0.0.0"])
    assert done.exit_code == 2
    assert "--password-file" in done.output
    empty = tmp_path / "passwords"
    empty.write_text("# nobody yet\n")
    done = runner.invoke(cli, ["--db", str(tmp_path / "none.db"), "serve", "--password-file", str(empty)])
    assert done.exit_code == 2 and "holds no password" in done.output
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.0.2.1") and not is_loopback("example.org")


def test_a_real_server_serves_pages_refuses_post_and_asks_for_the_password(url: str, tmp_path: Path) -> None:
    secrets = tmp_path / "passwords"
    secrets.write_text("anna:s3cret\n")
    for process, port in serving(url, "--password-file", str(secrets)):
        assert get(port, "/register")[0] == 401
        assert get(port, "/register", auth="anna:wrong")[0] == 401
        status, page = get(port, "/register?as_of=2025-12-31&lang=en", auth="anna:s3cret")
        assert status == 200
        assert "&lt;b&gt;Ada&lt;/b&gt;" in page and "<b>Ada</b>" not in page
        assert get(port, "/members/S2?as_of=2025-12-31", auth="anna:s3cret")[0] == 200
        assert get(port, "/register", "POST", auth="anna:s3cret")[0] == 405
        assert get(port, "/", "DELETE", auth="anna:s3cret")[0] == 405
        process.terminate()
        process.wait(20)
        assert process.stderr is not None
        said = process.stderr.read()
        assert b"read-only view on http://127.0.0.1:" in said and b"HTTP Basic" in said
