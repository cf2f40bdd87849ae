"""Governance: assemblies (participation, resolutions, allocations, statutes) and bodies (seats, mandates)."""
