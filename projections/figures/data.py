"""The year's figures as plain data: for JSON and CSV, for the templates, for comparing two reports."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict
from typing import Any

from coopledger.projections.figures.compute import CapitalFigures, Figures, Members
from coopledger.projections.governance.summary import AssemblyFigures, BoardFigures, participation


def assembly_data(assembly: AssemblyFigures) -> dict[str, Any]:
    return {
        "assembly": assembly.assembly,
        "date": assembly.date,
        "kind": assembly.kind,
        "voters": assembly.voters,
        "in_person": assembly.in_person,
        "by_proxy": assembly.by_proxy,
        "members_on_date": assembly.members_on_date,
        "participation": participation(assembly),
        "quorum": assembly.quorum,
        "resolutions": [
            {
                "resolution": r.resolution,
                "title": r.title,
                "for": r.for_,
                "against": r.against,
                "abstain": r.abstain,
                "majority": r.majority,
                "outcome": r.outcome,
            }
            for r in assembly.resolutions
        ],
    }


def members_data(members: Members) -> dict[str, Any]:
    """The member figures by name, in the order the report states them (the fields' order)."""
    return asdict(members)


def capital_data(capital: CapitalFigures) -> dict[str, Any]:
    """The capital figures by name, positions and flows as nested dicts, in the fields' order."""
    return asdict(capital)


def governance_data(assemblies: Iterable[AssemblyFigures], board: BoardFigures) -> dict[str, Any]:
    """The assemblies, the allocations of the result they decided, and the board."""
    assemblies = list(assemblies)
    return {
        "assemblies": [assembly_data(a) for a in assemblies],
        "result_allocation": [
            {
                "assembly": a.assembly,
                "date": a.date,
                "year": a.allocation.year,
                "reserves": a.allocation.reserves,
                "dividend_rate": a.allocation.dividend_rate,
            }
            for a in assemblies
            if a.allocation is not None
        ],
        "board": {
            "seats": board.seats,
            "elected": board.elected,
            "renewed": board.renewed,
            "coopted": board.coopted,
            "members_at_end": board.members_at_end,
            "vacant_at_end": board.vacant_at_end,
        },
    }


def to_data(figures: Figures) -> dict[str, Any]:
    """The figures as plain data, keys in a fixed order (CONTRACT.md section 3 and more)."""
    p = figures.provenance
    return {
        "period": {"from": figures.start, "to": figures.end},
        "provenance": {
            "known_at": p.known_at,
            "last_seq": p.last_seq,
            "last_recorded": p.last_recorded,
            "fingerprint": p.fingerprint,
            "checkpoint": asdict(p.checkpoint) if p.checkpoint else None,
        },
        "members": members_data(figures.members),
        "capital": capital_data(figures.capital),
        **governance_data(figures.assemblies, figures.board),
    }


def flatten(data: Mapping[str, Any], prefix: str = "", header: bool = False) -> dict[str, Any]:
    """Figure paths to values, e.g. `members.by_category_at_end.A`; lists keyed by their id.

    The period and the provenance say what was computed, they are not
    figures: left out unless `header` is asked for.
    """
    flat: dict[str, Any] = {}
    for key, value in data.items():
        if not prefix and not header and key in ("period", "provenance"):
            continue
        path = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(flatten(value, path + "."))
        elif isinstance(value, list):
            for item in value:
                name = item.get("resolution") or item["assembly"]
                rest = {k: v for k, v in item.items() if k not in ("assembly", "resolution")}
                flat.update(flatten(rest, f"{path}.{name}."))
        else:
            flat[path] = value
    return flat
