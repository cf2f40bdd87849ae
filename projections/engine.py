"""The SQLAlchemy engine for the read models, on the ledger's own database."""

from __future__ import annotations

import datetime as dt
import sqlite3
import time
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import DBAPIError

from ledger.database import Database
from projections.schema import metadata

# sqlite3 stores dates as ISO text and decimals as numbers, as SQLAlchemy reads them back;
# registered once so that bulk inserts can hand rows to the driver untouched.
sqlite3.register_adapter(dt.date, dt.date.isoformat)
sqlite3.register_adapter(Decimal, str)


def open_engine(database: Database) -> Engine:
    """An engine on the same database as the store, with the read-model tables created."""
    if database.backend == "sqlite":
        engine = create_engine("sqlite://", creator=database.connect)

        @event.listens_for(engine, "connect")
        def _pragmas(connection: Any, _record: Any) -> None:
            connection.execute("PRAGMA synchronous=NORMAL")
    else:
        options = {"options": f"-csearch_path={database.schema}"} if database.schema else {}
        engine = create_engine(database.sqlalchemy_url, connect_args=options, pool_pre_ping=True)
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
