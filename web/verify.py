"""`verify`, run in the background for the ledger-state page: the same checks as the command.

The whole history is read (seconds on a large ledger), so the result is computed once per
ledger head, on a thread of its own, and the page says "running" until it is there.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from coopledger.ledger.audit import Finding, audit
from coopledger.projections import read_models


@dataclass
class Verification:
    """The outcome of one run: the head it checked, and every check with its problems."""

    seq: int
    findings: list[Finding] = field(default_factory=list)
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and not any(f.problems for f in self.findings)


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
        from coopledger.commands.transparency import check_checkpoints

        result = Verification(head)
        try:
            store, engine = self.ledger.store, self.ledger.engine
            ledger = audit(store)
            last = ledger.entries[-1].seq or 0 if ledger.entries else 0
            result.seq = last
            result.findings = [*ledger.findings, *read_models.audit(engine, store, last)]
            held, problems = check_checkpoints(self.ledger, (), ())
            if held or problems:
                result.findings.append(Finding(f"checkpoints ({len(held)} extended)", problems))
        except Exception as e:  # shown on the page, never raised in a request
            result.error = f"{type(e).__name__}: {e}"
        with self._lock:
            self.last = result
            self.running = None
