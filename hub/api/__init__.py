"""HTTP API of the hub (FastAPI), one router per resource."""
