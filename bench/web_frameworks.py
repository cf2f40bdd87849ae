"""Which web framework for `coopledger serve`: Starlette on uvicorn, or Flask (on uvicorn or its own server)?

Run by hand, never by the tests, in a virtual environment holding starlette, uvicorn and
flask (coopledger itself depends on one of them only):

    python -m venv /tmp/fw && /tmp/fw/bin/pip install starlette uvicorn flask jinja2
    /tmp/fw/bin/python bench/web_frameworks.py --db /tmp/b45k.db

`--db` is an SQLite ledger (e.g. the 45,000-member bench journal imported with
`coopledger import`). Every framework serves the same page, computed by the same
function: the register's page of 100 members on a date (one indexed SELECT with LIMIT and
OFFSET on `register_spells`, one count, one Jinja2 template with autoescape). Measured for
each, in a process of its own, interleaved over `--repeat` rounds (medians):

- import: `python -c 'import <framework>'` wall time (interpreter start-up included);
- start: from spawning the server until its first answer 200;
- throughput and latency: `--clients` threads, each on one keep-alive connection, sending
  `--requests` requests for pages spread over the register; requests/s, median and 95th
  percentile latency.

Only 127.0.0.1 is ever contacted, on a free port; every server is stopped at the end.
"""

from __future__ import annotations

import argparse
import http.client
import os
import socket
import statistics
import subprocess
import sys
import textwrap
import threading
import time

PAGE = textwrap.dedent(
    """
    import sqlite3, threading
    from jinja2 import Environment
    DB = {db!r}
    TEMPLATE = Environment(autoescape=True).from_string(
        "<!doctype html><title>Register</title><h1>Register as of {{{{ day }}}}: {{{{ total }}}}</h1>"
        "<table>{{% for r in rows %}}<tr>{{% for c in r %}}<td>{{{{ c }}}}</td>{{% endfor %}}</tr>"
        "{{% endfor %}}</table>"
    )
    LOCAL = threading.local()
    WHERE = ("known_to IS NULL AND status = 'member' AND valid_from <= ? "
             "AND (valid_to IS NULL OR valid_to > ?)")

    def page(number):
        conn = getattr(LOCAL, "conn", None)
        if conn is None:
            conn = LOCAL.conn = sqlite3.connect(f"file:{{DB}}?mode=ro", uri=True, check_same_thread=False)
        day = "2025-12-31"
        count = f"SELECT count(*) FROM register_spells WHERE {{WHERE}}"
        total = conn.execute(count, (day, day)).fetchone()[0]
        rows = conn.execute(
            "SELECT member, name, category, shares, paid_up, admitted, founder FROM register_spells "
            f"WHERE {{WHERE}} ORDER BY member LIMIT 100 OFFSET ?", (day, day, 100 * number)
        ).fetchall()
        return TEMPLATE.render(day=day, total=total, rows=rows)
    """
)

SERVERS = {
    "starlette+uvicorn": textwrap.dedent(
        """
        import uvicorn
        from starlette.applications import Starlette
        from starlette.responses import HTMLResponse
        from starlette.routing import Route

        def register(request):
            return HTMLResponse(page(int(request.query_params.get("page", "0"))))

        app = Starlette(routes=[Route("/register", register)])
        uvicorn.run(app, host="127.0.0.1", port={port}, log_level="warning")
        """
    ),
    "flask+uvicorn": textwrap.dedent(
        """
        import uvicorn
        from flask import Flask, request

        app = Flask(__name__)

        @app.get("/register")
        def register():
            return page(int(request.args.get("page", "0")))

        uvicorn.run(app, host="127.0.0.1", port={port}, log_level="warning", interface="wsgi")
        """
    ),
    "flask+werkzeug": textwrap.dedent(
        """
        import logging
        from flask import Flask, request

        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        app = Flask(__name__)

        @app.get("/register")
        def register():
            return page(int(request.args.get("page", "0")))

        app.run(host="127.0.0.1", port={port}, threaded=True)
        """
    ),
}
IMPORTS = {
    "starlette+uvicorn": "import uvicorn, starlette.applications",
    "flask+uvicorn": "import uvicorn, flask",
    "flask+werkzeug": "import flask",
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def get(conn: http.client.HTTPConnection, path: str) -> int:
    conn.request("GET", path)
    response = conn.getresponse()
    response.read()
    return response.status


def start(name: str, db: str) -> tuple[subprocess.Popen[bytes], int, float]:
    port = free_port()
    code = PAGE.format(db=db) + SERVERS[name].format(port=port)
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-c", code], stderr=subprocess.DEVNULL)
    while True:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            if get(conn, "/register") == 200:
                conn.close()
                return process, port, time.perf_counter() - started
        except OSError:
            if time.perf_counter() - started > 30:
                process.kill()
                raise SystemExit(f"{name} did not start") from None
            time.sleep(0.01)


def load(port: int, clients: int, requests: int, pages: int) -> tuple[float, list[float], int]:
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()

    def client(index: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine = []
        for i in range(requests):
            began = time.perf_counter()
            try:
                status = get(conn, f"/register?page={(index * 37 + i * 11) % pages}")
            except OSError:
                status = 0
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            mine.append(time.perf_counter() - began)
            if status != 200:
                with lock:
                    errors[0] += 1
        conn.close()
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    began = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return len(latencies) / (time.perf_counter() - began), latencies, errors[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True, help="an SQLite ledger file")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--requests", type=int, default=50, help="per client")
    args = parser.parse_args()
    db = os.path.abspath(args.db)
    results: dict[str, dict[str, list[float]]] = {n: {} for n in SERVERS}
    for _ in range(args.repeat):
        for name in SERVERS:
            began = time.perf_counter()
            subprocess.run([sys.executable, "-c", IMPORTS[name]], check=True)
            results[name].setdefault("import", []).append(time.perf_counter() - began)
            process, port, started = start(name, db)
            try:
                rate, latencies, errors = load(port, args.clients, args.requests, 450)
            finally:
                process.terminate()
                process.wait(10)
            latencies.sort()
            for key, value in (
                ("start", started),
                ("req/s", rate),
                ("median ms", 1000 * statistics.median(latencies)),
                ("p95 ms", 1000 * latencies[int(0.95 * (len(latencies) - 1))]),
                ("errors", errors),
            ):
                results[name].setdefault(key, []).append(value)
    keys = ["import", "start", "req/s", "median ms", "p95 ms", "errors"]
    print(f"| server | {' | '.join(keys)} |")
    print(f"| --- |{' ---: |' * len(keys)}")
    for name, figures in results.items():
        digits = {"req/s": 0, "errors": 0, "import": 3, "start": 3}
        cells = [f"{statistics.median(figures[k]):.{digits.get(k, 1)}f}" for k in keys]
        print(f"| {name} | {' | '.join(cells)} |")


if __name__ == "__main__":
    main()
