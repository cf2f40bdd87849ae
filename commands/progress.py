"""Progress on a terminal: what is being done, and for how long, once it takes more than a second.

A long command names its phases (`step("checking and recording 59,858 entries")`).
When standard error is a terminal, a phase still running after `PROGRESS_AFTER`
seconds shows one line, rewritten in place every quarter second with the time
spent, and ends with the time it took; a shorter phase shows nothing. When
standard error is not a terminal (a script, a log file, a pipe), nothing is
ever written and no thread is started.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TextIO

# Seconds a phase runs before it is shown (COOPLEDGER_PROGRESS_AFTER: 0 shows every phase).
PROGRESS_AFTER = 1.0
TICK = 0.25
CLEAR = "\r\x1b[K"


def _after() -> float:
    try:
        return max(0.0, float(os.environ.get("COOPLEDGER_PROGRESS_AFTER", PROGRESS_AFTER)))
    except ValueError:
        return PROGRESS_AFTER


class Ticker:
    """One line on a terminal for the phase running, rewritten by a background thread."""

    def __init__(self, stream: TextIO, after: float):
        self.stream = stream
        self.after = after
        self.lock = threading.Lock()
        self.text: str | None = None
        self.started = 0.0
        self.shown = False
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def step(self, text: str) -> None:
        """End the current phase (saying how long it took, if it was shown) and start `text`."""
        with self.lock:
            self._end()
            self.text, self.started, self.shown = text, time.perf_counter(), False
        if self.after == 0:
            self._show()

    def close(self) -> None:
        self.stopped.set()
        self.thread.join()
        with self.lock:
            self._end()
            self.text = None

    def _end(self) -> None:
        if self.text is not None and self.shown:
            took = time.perf_counter() - self.started
            self.stream.write(f"{CLEAR}{self.text}: done in {took:.1f} s\n")
            self.stream.flush()

    def _show(self) -> None:
        with self.lock:
            if self.text is None:
                return
            spent = time.perf_counter() - self.started
            if spent >= self.after:
                self.stream.write(f"{CLEAR}{self.text}... {spent:.0f} s")
                self.stream.flush()
                self.shown = True

    def _run(self) -> None:
        while not self.stopped.wait(TICK):
            self._show()


@contextmanager
def progress(stream: TextIO | None = None) -> Iterator[Callable[[str], None]]:
    """A `step(text)` that names each phase of a long command; shown only on a terminal."""
    out = stream or sys.stderr
    if not out.isatty():
        yield lambda _text: None
        return
    ticker = Ticker(out, _after())
    try:
        yield ticker.step
    finally:
        ticker.close()
