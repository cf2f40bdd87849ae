"""The cooperative's rules, one small function each, in explicit registries.

A rule is `check(entry, state) -> reason | None`: it reads the state as of the
entry's effective date (the fold has applied everything dated before it) and
returns why the entry breaks it. `RULES` maps each entry type to its rules in
the order they are tried; the first broken rule refuses the entry. The two
rules on a batch as a whole (`batch.py`) are in `BATCH_RULES`. A newcomer
finds any rule here by its name.
"""

from __future__ import annotations

from coopledger.ledger.rules import batch as _batch  # noqa: F401  (registers rules)
from coopledger.ledger.rules import corrections as _corrections  # noqa: F401  (registers rules)
from coopledger.ledger.rules import governance as _governance  # noqa: F401  (registers rules)
from coopledger.ledger.rules import identity as _identity  # noqa: F401  (registers rules)
from coopledger.ledger.rules import membership as _membership  # noqa: F401  (registers rules)
from coopledger.ledger.rules.registry import BATCH_RULES, RULES, Reader, Rule, reads_beyond, rules_for

__all__ = ["BATCH_RULES", "RULES", "Reader", "Rule", "reads_beyond", "rules_for"]
