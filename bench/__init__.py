"""Benchmarks and drills; `bench.generate` is also imported by the tests for its journals."""
