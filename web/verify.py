"""`verify`, run in the background for the ledger-state page: the command itself, in a process.

The page shows what `coopledger verify` prints, so the web view and the command can never
disagree on what holds: the check is the command's, run as the command (`COOPLEDGER_DB` names
the ledger, so a password in its URL is not on a command line). It reads the whole history
(seconds on a large ledger), so it runs once per ledger head, on a thread of its own, and the
page says "running" until the result is there.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from typing import Any

TIMEOUT = 3_600  # seconds; a ledger that takes longer to verify is shown as not verified


@dataclass
class Verification:
    """The outcome of one run: the head it checked, its lines (`name: ok|BROKEN`) and problems."""

    seq: int
    lines: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and not self.problems


class Verifier:
    """Runs `verify` for the current head when asked and none is running; keeps the last result."""

    def __init__(self, ledger: Any):
        self.ledger = ledger
        self.last: Verification | None = None
        self.running: int | None = None
        self._lock = threading.Lock()

    def status(self) -> tuple[Verification | None, bool]:
        """The last result, and whether a run for a newer head is under way (one is started)."""
        head = self.ledger.head_seq()
        with self._lock:
            if (self.last is None or self.last.seq != head) and self.running is None:
                self.running = head
                threading.Thread(target=self._run, args=(head,), daemon=True, name="verify").start()
            return self.last, self.running is not None

    def _run(self, head: int) -> None:
        result = Verification(head)
        env = {**os.environ, "COOPLEDGER_DB": self.ledger.url}
        try:
            done = subprocess.run(
                [sys.executable, "-m", "coopledger.commands", "verify"],
                capture_output=True,
                text=True,
                env=env,
                timeout=TIMEOUT,
                stdin=subprocess.DEVNULL,
            )
            result.lines = done.stdout.splitlines()
            result.problems = [line.strip() for line in done.stderr.splitlines() if line.strip()]
            if done.returncode not in (0, 1):
                result.error = f"coopledger verify exited {done.returncode}"
            elif done.returncode == 1 and not result.problems:
                result.problems = ["coopledger verify exited 1"]
        except (OSError, subprocess.SubprocessError) as e:
            result.error = f"{type(e).__name__}: {e}"
        with self._lock:
            self.last = result
            self.running = None
