"""The write side of coopledger: entries, the cooperative's rules, and the event store."""
