"""Storage: InfluxDB v1 HTTP API client, line protocol and the point schema of sorting events."""
