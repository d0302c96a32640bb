"""Live state held in memory: what each station said last (status, heartbeat, events)."""
