"""Simulated button boards."""
