"""Simulated hardware that speaks the real device protocols over real pseudo-terminals."""
