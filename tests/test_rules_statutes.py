"""A statutes amendment re-checks only the entries whose rules read the parameter.

Each rule declares the parameters it reads (`@rule(name, statutes=...)`); an amendment loads
the timelines of the entries of those rules' types dated from its date on, nothing else. The
declarations are held to the code: every parameter a rule's body reads, directly or through
the functions it calls, is declared, and nothing more.
"""

from __future__ import annotations

import ast
import datetime as dt
import inspect
import re
import textwrap
from collections.abc import Callable
from typing import Any

from coopledger.ledger import events as ev
from coopledger.ledger.rules import RULES
from coopledger.ledger.rules.corrections import dated_from_the_amendment
from coopledger.ledger.rules.registry import READ_BY
from coopledger.ledger.statutes import PARAMETERS
from tests.conftest import ROOT, Book
from tests.journal import admit

# What a call on the statutes reads, besides `get("name", ...)`.
READS = {"fiscal_year": "fiscal_year_start"}


def _statutes(node: ast.expr) -> bool:
    """An expression naming the statutes: `statutes` or `something.statutes`."""
    return (isinstance(node, ast.Name) and node.id == "statutes") or (
        isinstance(node, ast.Attribute) and node.attr == "statutes"
    )


def read_in(function: Callable[..., Any], seen: set[Any]) -> set[str]:
    """The parameters `function` reads of the statutes, and the coopledger functions it calls."""
    seen.add(function)
    found: set[str] = set()
    for node in ast.walk(ast.parse(textwrap.dedent(inspect.getsource(function)))):
        if not isinstance(node, ast.Call):
            continue
        called = node.func
        if isinstance(called, ast.Attribute) and _statutes(called.value):
            if called.attr == "get":
                name = node.args[0]
                assert isinstance(name, ast.Constant), (
                    f"{function.__name__} reads a parameter named at run time"
                )
                found.add(name.value)
            else:
                assert called.attr in READS, (
                    f"{function.__name__} calls statutes.{called.attr}: add it to READS"
                )
                found.add(READS[called.attr])
        elif isinstance(called, ast.Name):
            target = function.__globals__.get(called.id)
            if (
                inspect.isfunction(target)
                and target.__module__.startswith("coopledger")
                and target not in seen
            ):
                found |= read_in(target, seen)
    return found


def test_every_rule_declares_exactly_the_parameters_its_code_reads() -> None:
    rules = {rule.name: rule for rules in RULES.values() for rule in rules}
    for rule in rules.values():
        assert set(rule.statutes) == read_in(rule.check, set()), rule.name
    declared = {name for rule in rules.values() for name in rule.statutes}
    assert declared <= set(PARAMETERS)
    assert declared == set(READ_BY)
    # Read by no rule: an amendment of these re-checks nothing.
    assert set(PARAMETERS) - declared == {"share_price", "quorum"}


def test_the_user_guide_names_the_parameters_each_rule_reads() -> None:
    """Both tables of the user guide that tie rules and parameters say what the rules declare:
    a rule's row names the parameters it reads, a parameter's row the rules that read it."""
    rules = {rule.name: rule for rules in RULES.values() for rule in rules}
    named = {"rule": 0, "parameter": 0}
    for line in (ROOT / "docs" / "user-guide.md").read_text(encoding="utf-8").splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        first, said = cells[0].strip("`"), set(re.findall(r"`([^`]+)`", cells[-1]))
        if len(cells) == 4 and first in rules:
            assert said & set(PARAMETERS) == set(rules[first].statutes), line
            named["rule"] += 1
        elif len(cells) == 5 and first in PARAMETERS:
            assert said & set(rules) == {name for name, rule in rules.items() if first in rule.statutes}, line
            named["parameter"] += 1
    # Every rule has its row but `statutes-parameter`, in the corrections' table (no such column).
    assert named == {"rule": len(rules) - 1, "parameter": len(PARAMETERS)}


def test_an_amendment_reaches_only_the_entries_its_parameter_can_change(book: Book) -> None:
    meeting = {"type": "assembly.convened", "date": "2025-06-01", "assembly": "AG1", "kind": "ordinary"}
    book.record(*(admit(f"S{n}", "2024-01-10", shares=2) for n in range(1, 5)), meeting)
    book.record({"type": "assembly.voted", "date": "2025-06-01", "assembly": "AG1", "member": "S1"})
    book.record({"type": "shares.redeemed", "date": "2025-03-01", "member": "S2", "count": 1})
    book.record({"type": "member.resigned", "date": "2025-02-01", "member": "S3"})
    store = book.store
    assert store.subjects_dated_from(dt.date(2025, 1, 1), ["shares.redeemed"]) == {"member:S2"}
    assert store.subjects_dated_from(dt.date(2025, 1, 1), []) == set()
    # Past `most` entries found, None: the amendment is checked on the whole ledger instead.
    assert store.subjects_dated_from(dt.date(2025, 1, 1), ["shares.redeemed"], most=1) == {"member:S2"}
    assert store.subjects_dated_from(dt.date(2024, 1, 1), ["member.admitted"], most=3) is None

    def reach(parameter: str, value: object, date: str = "2025-01-01") -> set[str]:
        day = dt.date.fromisoformat(date)
        return dated_from_the_amendment(
            [ev.StatutesAmended(date=day, parameter=parameter, value=value)], store
        )

    assert reach("proxy_limit", 2) == {"assembly:AG1", "member:S1"}
    assert reach("min_shares.A", 2) == {"member:S2"}  # redemptions (and admissions, none since)
    assert reach("resignation_months", 3) == {"member:S3"}
    assert reach("fiscal_year_start", "04-01") == {"member:S3"}
    assert reach("quorum", 50) == reach("share_price", "30.00") == set()
    assert reach("proxy_limit", 2, "2025-06-02") == set()  # after every entry: nothing to re-check
