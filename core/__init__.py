"""The shared kernel: the wire contract (`core.contract`) and the MQTT transport (`core.transport`), with the few
process and logging helpers that both the station and the hub use. It imports nothing of this project above it."""

__version__ = "0.1.0"
