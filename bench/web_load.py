"""How fast does `coopledger serve` answer on a big ledger, and does it hold 20 clients at once?

Run by hand, never by the tests, from the repository root with the project's venv:

    python bench/web_load.py --db /tmp/b450k.db            # an SQLite ledger, or a PostgreSQL URL
    python bench/web_load.py --db URL --requests 200 --clients 20 --as-of 2025-12-31

It starts a real `coopledger serve` process on a free port of 127.0.0.1 (with COOPLEDGER_TODAY
set to --as-of, so that its background warm-up computes the same day the requests ask for),
waits `--settle` seconds for the warm-up, then:

1. visits each page once, one after the other, and prints each time ("first visit");
2. sends `--requests` requests spread over the pages (the register at random pages in two
   orders and with a filter, random members' pages, the board, the assemblies, one assembly,
   the report, the ledger's state, the overview), each client thread on a
   keep-alive connection, and prints the median, the 95th percentile, the slowest and the
   number of errors (any answer but 200), per page and over all: first from one client (the
   time a page takes), then the same requests from `--clients` at once (whether the server
   holds them, and how long each waits in the queue).

Only 127.0.0.1 is contacted; the server is stopped at the end, whatever happens.
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def fetch(conn: http.client.HTTPConnection, path: str) -> tuple[int, str, float]:
    began = time.perf_counter()
    conn.request("GET", path)
    response = conn.getresponse()
    body = response.read().decode("utf-8", "replace")
    return response.status, body, time.perf_counter() - began


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True, help="the ledger: an SQLite file or a store URL")
    parser.add_argument("--as-of", default="2025-12-31")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--settle", type=float, default=60, help="seconds left to the warm-up")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    port = free_port()
    env = {**os.environ, "COOPLEDGER_TODAY": args.as_of}
    command = [sys.executable, "-m", "coopledger.commands", "--db", args.db, "serve", "--port", str(port)]
    server = subprocess.Popen(command, cwd=ROOT, env=env)
    try:
        run(port, args, server)
    finally:
        server.terminate()
        server.wait(30)


def run(port: int, args: argparse.Namespace, server: subprocess.Popen[bytes]) -> None:
    started = time.perf_counter()
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                break
        except OSError:
            if server.poll() is not None or time.perf_counter() - started > 300:
                raise SystemExit("the server did not start") from None
            time.sleep(0.1)
    print(f"server listening after {time.perf_counter() - started:.2f} s; settling {args.settle:.0f} s")
    time.sleep(args.settle)
    day = f"as_of={args.as_of}"
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    status, page, _ = fetch(conn, f"/register?{day}")
    pages = int(re.findall(r"page=(\d+)", page)[-1]) if "page=" in page else 1
    members = re.findall(r'href="/members/([^"?]+)', page)
    assembly = re.findall(r'href="/assemblies/([^"?]+)', fetch(conn, f"/assemblies?{day}")[1])
    year = args.as_of[:4]
    kinds = {
        "overview": lambda r: f"/?{day}",
        "register": lambda r: f"/register?{day}&page={r.randint(1, pages)}",
        "register by shares": lambda r: f"/register?{day}&sort=shares&dir=desc&page={r.randint(1, pages)}",
        "register category B": lambda r: f"/register?{day}&category=B&page={r.randint(1, 20)}",
        "member": lambda r: f"/members/{r.choice(members)}?{day}",
        "board": lambda r: f"/board?{day}",
        "assemblies": lambda r: f"/assemblies?{day}",
        "assembly": lambda r: f"/assemblies/{r.choice(assembly or ['none'])}?{day}",
        "report": lambda r: f"/report?{day}&year={year}",
        "ledger": lambda r: f"/ledger?{day}",
    }
    chooser = random.Random(args.seed)
    print("\nfirst visit (s):")
    for name, make in kinds.items():
        status, _, took = fetch(conn, make(chooser))
        print(f"  {name:22} {took:7.3f}  {status}")
    conn.close()
    plan = [(name, kinds[name](chooser)) for name in chooser.choices(list(kinds), k=args.requests)]
    for clients in (1, args.clients):
        report(port, plan, clients, list(kinds))


def report(port: int, plan: list[tuple[str, str]], clients: int, names: list[str]) -> None:
    """Send the plan from `clients` threads at once; print the latencies per page and the errors."""
    timings: dict[str, list[float]] = {name: [] for name in names}
    errors: list[str] = []
    lock = threading.Lock()
    share = [plan[i::clients] for i in range(clients)]

    def client(mine: list[tuple[str, str]]) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        for name, path in mine:
            try:
                status, _, took = fetch(connection, path)
            except (OSError, http.client.HTTPException) as e:
                status, took = 0, 0.0
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
                with lock:
                    errors.append(f"{path}: {e}")
            with lock:
                timings[name].append(took)
                if status != 200:
                    errors.append(f"{path}: {status}")
        connection.close()

    threads = [threading.Thread(target=client, args=(mine,)) for mine in share]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - began
    every = [t for values in timings.values() for t in values]
    print(f"\n{len(plan)} requests, {clients} client(s) at once: {wall:.1f} s, {len(every) / wall:.1f} req/s")
    print("| page | requests | median (s) | p95 (s) | slowest (s) |\n| --- | ---: | ---: | ---: | ---: |")
    for name, values in timings.items():
        if values:
            print(
                f"| {name} | {len(values)} | {statistics.median(values):.3f} | "
                f"{percentile(values, 0.95):.3f} | {max(values):.3f} |"
            )
    print(
        f"| all | {len(every)} | {statistics.median(every):.3f} | {percentile(every, 0.95):.3f} | "
        f"{max(every):.3f} |"
    )
    print(f"errors: {len(errors)}")
    for error in errors[:10]:
        print(f"  {error}")


if __name__ == "__main__":
    main()
