"""The read models' tables, created on the ledger's engine."""

from __future__ import annotations

import time

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

from ledger.database import Database
from ledger.engine import engine_for
from projections.schema import metadata


def create_tables(engine: Engine) -> Engine:
    """Create the read-model tables if missing; returns the engine."""
    for attempt in range(3):
        try:
            metadata.create_all(engine)
            break
        except DBAPIError:
            # Two processes creating the tables at once can clash on the catalog;
            # create_all checks first, so another try finds them there.
            if attempt == 2:
                raise
            time.sleep(0.2 * (attempt + 1))
    return engine


def open_engine(database: Database) -> Engine:
    """An engine on the database, with the read-model tables created (e.g. a fresh replay)."""
    return create_tables(engine_for(database))
