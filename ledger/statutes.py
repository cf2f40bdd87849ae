"""The cooperative's statutes as data: Belgian defaults, amended by dated entries.

Each parameter has a parser and a default. `statutes.amended` changes one
parameter from its effective date on; a rule asks for the value in force on
the date of the entry it checks. A parameter written `name.CATEGORY` (e.g.
`min_shares.B`) overrides the general value for one share category.
"""

from __future__ import annotations

import bisect
import datetime as dt
import difflib
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any


def _int(low: int, high: int) -> Callable[[object], int]:
    def parse(value: object) -> int:
        wrong = ValueError(f"expected a whole number from {low} to {high}")
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise wrong
        try:
            number = int(value)
        except ValueError:
            raise wrong from None
        if not low <= number <= high:
            raise ValueError(f"expected a whole number from {low} to {high}")
        return number

    return parse


def _decimal(value: object) -> Decimal:
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise ValueError("expected a decimal number") from None
    if not number.is_finite() or number < 0:
        raise ValueError("expected a non-negative decimal number")
    return number.quantize(Decimal("0.01"))


def _percent(value: object) -> Decimal:
    number = _decimal(value)
    if number > 100:
        raise ValueError("expected a percentage from 0 to 100")
    return number


def _price(value: object) -> Decimal:
    number = _decimal(value)
    if number <= 0:
        raise ValueError("expected a price above 0.00 euros")
    return number


def _bool(value: object) -> bool:
    text = str(value).lower()
    if text in ("true", "1", "yes"):
        return True
    if text in ("false", "0", "no"):
        return False
    raise ValueError("expected true or false")


def _choice(*choices: str) -> Callable[[object], str]:
    def parse(value: object) -> str:
        if str(value) not in choices:
            raise ValueError(f"expected one of {', '.join(choices)}")
        return str(value)

    return parse


def _month_day(value: object) -> str:
    try:
        dt.date.fromisoformat(f"2001-{value}")
    except ValueError:
        raise ValueError("expected MM-DD, e.g. 01-01") from None
    return str(value)


def _categories(value: object) -> str:
    return ",".join(c.strip() for c in str(value).split(",") if c.strip())


@dataclass(frozen=True)
class Parameter:
    """One statutory parameter: its default (Belgian law or usage) and parser."""

    name: str
    default: Any
    parse: Callable[[object], Any]
    help: str
    per_category: bool = False


PARAMETERS: dict[str, Parameter] = {
    p.name: p
    for p in (
        Parameter("fiscal_year_start", "01-01", _month_day, "first day of the fiscal year (MM-DD)"),
        Parameter(
            "resignation_months",
            6,
            _int(1, 12),
            "members may resign only in the first N months of the fiscal year (12 lifts it)",
        ),
        Parameter(
            "founder_first_resignation_year",
            3,
            _int(1, 10),
            "founders may resign from their Nth fiscal year on",
        ),
        Parameter("min_shares", 1, _int(1, 1_000_000), "least shares a member holds", True),
        Parameter("share_price", Decimal("25.00"), _price, "price of one share in euros", True),
        Parameter("categories", "", _categories, "allowed share categories, comma-separated (empty: any)"),
        Parameter(
            "transfers_between_categories",
            False,
            _bool,
            "may shares be transferred to a member of another category "
            "(they then become shares of the receiver's category)",
        ),
        Parameter("proxy_limit", 1, _int(0, 100), "proxies one member may hold at an assembly"),
        Parameter(
            "voting", "person", _choice("person", "share"), "one person one vote, or one share one vote"
        ),
        Parameter(
            "share_vote_cap", Decimal("10"), _percent, "with share voting: cap per member, % of votes present"
        ),
        Parameter("quorum", Decimal("0"), _percent, "% of members who must take part for a valid vote"),
        Parameter("mandate_max_years", 4, _int(1, 12), "longest mandate in a body, in years"),
        Parameter("outsiders_allowed", False, _bool, "may non-members hold a mandate"),
        Parameter("dividend_cap", Decimal("6"), _percent, "highest dividend rate in % (agrément ceiling)"),
        Parameter(
            "retention_years",
            7,
            _int(1, 30),
            "years after the end of the fiscal year of an exit (or end of a mandate) before the "
            "person's identity may be erased (CDE art. III.86: 7 years)",
        ),
        Parameter(
            "applicant_retention_years",
            1,
            _int(0, 30),
            "years after the end of the fiscal year of a refused application before the "
            "applicant's identity may be erased",
        ),
    )
}


class UnknownParameter(ValueError):
    """An amendment names no parameter of the statutes (or one not set per category)."""


def parse_amendment(parameter: str, value: object) -> tuple[str, Any]:
    """Validate a `statutes.amended` entry; raises ValueError with the reason."""
    base, _, category = parameter.partition(".")
    spec = PARAMETERS.get(base)
    if spec is None:
        close = difflib.get_close_matches(base, PARAMETERS, n=1)
        hint = f"did you mean `{close[0]}`? " if close else ""
        raise UnknownParameter(
            f"unknown statutes parameter {parameter!r} ({hint}known: {', '.join(PARAMETERS)})"
        )
    if category and not spec.per_category:
        raise UnknownParameter(f"parameter {base!r} is not set per share category")
    return parameter, spec.parse(value)


@dataclass
class Statutes:
    """The statutes over effective time: each parameter's values from their dates on."""

    _dates: dict[str, list[tuple[dt.date, int]]] = field(default_factory=dict)
    _values: dict[str, list[Any]] = field(default_factory=dict)

    def amend(self, parameter: str, value: object, date: dt.date, seq: int) -> None:
        """Record an amendment (already validated by `parse_amendment`)."""
        name, parsed = parse_amendment(parameter, value)
        dates = self._dates.setdefault(name, [])
        values = self._values.setdefault(name, [])
        at = bisect.bisect(dates, (date, seq))
        dates.insert(at, (date, seq))
        values.insert(at, parsed)

    def get(self, name: str, on: dt.date, category: str | None = None) -> Any:
        """The value in force on a date (end of day): the category's own, else the general one."""
        if not self._dates:
            return PARAMETERS[name].default
        names = [f"{name}.{category}", name] if category is not None else [name]
        for candidate in names:
            dates = self._dates.get(candidate)
            if dates:
                at = bisect.bisect(dates, (on, 1 << 62))
                if at:
                    return self._values[candidate][at - 1]
        return PARAMETERS[name].default

    def fiscal_year(self, on: dt.date) -> tuple[dt.date, int]:
        """The start of the fiscal year containing `on`, and that year's number."""
        start = dt.date.fromisoformat(f"{on.year}-{self.get('fiscal_year_start', on)}")
        if start > on:
            start = start.replace(year=on.year - 1)
        return start, start.year
