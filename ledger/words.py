"""Counts in words: `1 entry`, `2 entries`, for every message and title."""

from __future__ import annotations

from decimal import Decimal


def counted(count: int | Decimal, one: str, many: str | None = None) -> str:
    """`count` with the noun in the singular for exactly 1 and the plural otherwise
    (`many`, by default `one` + s): counted(1, "entry", "entries") is "1 entry"."""
    return f"{count} {one if count == 1 else (many or one + 's')}"
