"""Captures uploaded by the stations: the dataset folder per site, and the checks on each upload (docs/fleet.md)."""
