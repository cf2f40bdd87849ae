"""Read models rebuilt from the ledger's entries: register, movements, as-of queries.

Projections only read entries; they never decide. Each is a pure fold of a
timeline, persisted as effective-date intervals (`valid_from`, `valid_to`)
and knowledge intervals (`known_from`, `known_to`, in sequence numbers) so
that "as of D, as known at T" is one indexed SQL query.
"""
