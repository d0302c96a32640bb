"""Run the real Mosquitto and InfluxDB servers as child processes (for the demo and the tests)."""

from local_servers.influxdb import InfluxServer
from local_servers.mosquitto import MosquittoServer
from local_servers.process import ServerError, free_port

__all__ = ["InfluxServer", "MosquittoServer", "ServerError", "free_port"]
