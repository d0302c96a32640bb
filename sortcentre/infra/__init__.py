"""Run the real Mosquitto and InfluxDB servers as child processes (for the demo and the tests)."""

from sortcentre.infra.influxdb import InfluxServer
from sortcentre.infra.mosquitto import MosquittoServer
from sortcentre.infra.process import ServerError, free_port

__all__ = ["InfluxServer", "MosquittoServer", "ServerError", "free_port"]
