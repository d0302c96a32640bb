"""Sortcentre: shared core (wire contract, MQTT transport, CLI, local infrastructure runners)."""

__version__ = "0.1.0"
