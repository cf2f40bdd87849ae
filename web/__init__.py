"""`coopledger serve`: a read-only web view over the ledger (Starlette, served by uvicorn)."""
