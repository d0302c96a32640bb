"""Hub: consumes station events, stores them in InfluxDB, serves supervisors and partners."""
