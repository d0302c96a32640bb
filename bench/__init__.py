"""Benchmarks (`make bench`): results are written to docs/benchmarks.md with the machine and the date."""
