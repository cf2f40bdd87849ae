"""One options record per report, built and validated once at the command-line edge."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

LANGS = ("fr", "nl", "en")
# Belgian formats in French and Dutch; English writes numbers and amounts as English does.
LOCALES = {"fr": "fr_BE", "nl": "nl_BE", "en": "en_GB"}
# Sections of the special report, in order. Those with figures are written from the
# ledger, followed by the secretary's text; the others are the secretary's text alone.
SECTIONS = (
    "introduction",
    "principle1",
    "principle2",
    "board",
    "principle3",
    "principle4",
    "principle5",
    "principle6",
    "principle7",
)
# Between groups of thousands by default: Belgian usage in French and Dutch, as the
# reference writes it (45.598 and 1.250,00 €), English usage in English (45,598, €1,250.00).
THOUSANDS = {"fr": ".", "nl": ".", "en": ","}


@dataclass(frozen=True)
class ReportOptions:
    """What to report and how: the period, the moment of knowledge, the format and language.

    `year` is the fiscal year asked for (None for --from/--to); `known_at`
    None means everything recorded so far; `compare_known_at` asks for a
    restatement against that earlier moment. `includes` maps a section to
    the secretary's text for it, read from the files named in `include_files`
    (the SECTION=FILE arguments, kept to say how to print the report again).
    `final` is the text for the assembly: no placeholder for a section not
    supplied, no command line.
    """

    start: dt.date
    end: dt.date
    year: int | None = None
    known_at: dt.datetime | None = None
    compare_known_at: dt.datetime | None = None
    fmt: str = "table"
    lang: str = "fr"
    thousands_separator: str | None = None  # None: the language's own (THOUSANDS)
    cooperative: str | None = None
    includes: Mapping[str, str] = field(default_factory=dict)
    include_files: tuple[str, ...] = ()
    final: bool = False

    @property
    def calendar_year(self) -> int | None:
        """The year, when the period is exactly one calendar year."""
        if (self.start.month, self.start.day, self.end.month, self.end.day) == (1, 1, 12, 31):
            return self.start.year if self.start.year == self.end.year else None
        return None
