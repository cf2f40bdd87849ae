"""What the bench scripts share: cleaning up when they are stopped."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


@contextmanager
def cleanup_on_signals() -> Iterator[None]:
    """SIGTERM becomes SystemExit, so that `finally` blocks drop schemas and temp files."""

    def stop(signum: int, _frame: Any) -> None:
        raise SystemExit(128 + signum)

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
