"""The SQLAlchemy engine on the ledger's database: one pool for the entries and the read models.

The write transaction (`Store.transaction`) appends entries and writes the read
models on one connection of this engine, so both commit or neither does.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, create_engine, event

from coopledger.ledger.database import Database

# sqlite3 stores dates as ISO text and decimals as numbers, as SQLAlchemy reads them back;
# registered once so that bulk inserts can hand rows to the driver untouched.
sqlite3.register_adapter(dt.date, dt.date.isoformat)
sqlite3.register_adapter(Decimal, str)


def engine_for(database: Database) -> Engine:
    """An engine on the ledger's database (no tables created here)."""
    if database.backend == "sqlite":
        engine = create_engine("sqlite://", creator=database.connect)

        @event.listens_for(engine, "connect")
        def _pragmas(connection: Any, _record: Any) -> None:
            connection.execute("PRAGMA synchronous=NORMAL")
            connection.execute("PRAGMA secure_delete=ON")  # erased identities leave no bytes

        return engine
    # No JIT: the read models' queries are index look-ups and aggregates of a few seconds at
    # most, where compiling costs more than it saves (at 5,000,000 members it took 1.9 s of the
    # 3.1 s that `report`'s sums of the year's movements took).
    options = "-cjit=off" + (f" -csearch_path={database.schema}" if database.schema else "")
    # No hstore: no read model uses one, and looking its type up cost every command a catalog query.
    return create_engine(
        database.sqlalchemy_url,
        connect_args={"options": options},
        pool_pre_ping=True,
        use_native_hstore=False,
    )
