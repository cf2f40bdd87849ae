"""Shell completion of what the ledger holds: entry types, member ids, assembly ids.

click completes commands, options and `Choice`s by itself once the shell is set
up (`_COOPLEDGER_COMPLETE`, docs/user-guide.md); these `shell_complete`
callbacks add the ids of the ledger named by `--db` (or COOPLEDGER_DB). They
only read the read-model tables, never create or write anything, and give
nothing rather than an error: a completion must never get in the way.
"""

from __future__ import annotations

import os
from typing import Any

import click
from click.shell_completion import CompletionItem
from sqlalchemy import Column, select

from coopledger.ledger import events as ev
from coopledger.ledger.database import DEFAULT_URL, parse_database
from coopledger.ledger.engine import engine_for
from coopledger.ledger.presence import ledger_present
from coopledger.projections.governance.schema import convened
from coopledger.projections.register.schema import spells

SHOWN = 200  # at most this many ids are offered at once


def _ids(ctx: click.Context, column: Column[Any], incomplete: str) -> list[CompletionItem]:
    """The distinct values of a read-model column starting with `incomplete`, in order."""
    url = ctx.find_root().params.get("db") or os.environ.get("COOPLEDGER_DB") or DEFAULT_URL
    try:
        database = parse_database(url)
        if not ledger_present(database):
            return []
        engine = engine_for(database)
        try:
            with engine.connect() as conn:
                query = select(column).where(column.startswith(incomplete, autoescape=True))
                values = conn.execute(query.distinct().order_by(column).limit(SHOWN)).scalars().all()
        finally:
            engine.dispose()
    except Exception:
        return []
    return [CompletionItem(str(value)) for value in values]


def complete_members(ctx: click.Context, _param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    """Every member id the register has known (members and former members)."""
    return _ids(ctx, spells.c.member, incomplete)


def complete_assemblies(ctx: click.Context, _param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    """Every assembly convened."""
    return _ids(ctx, convened.c.assembly, incomplete)


def complete_types(_ctx: click.Context, _param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    """Every entry type of the journal vocabulary."""
    return [CompletionItem(name) for name in sorted(ev.EVENT_TYPES) if name.startswith(incomplete)]
