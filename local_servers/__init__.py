"""Run the real Mosquitto, NATS and InfluxDB servers as child processes (for the demo, the tests and the benchmarks).

``local_servers.fleet`` drives them as a fleet of stations and a hub process would; ``local_servers.chromium``
is the browser that the browser tests and the dashboard benchmark launch. Neither is imported here: starting a
server needs no MQTT client.
"""

from local_servers.influxdb import InfluxServer
from local_servers.mosquitto import MosquittoServer
from local_servers.nats import NatsCluster, NatsServer
from local_servers.process import ServerError, free_port

__all__ = ["InfluxServer", "MosquittoServer", "NatsCluster", "NatsServer", "ServerError", "free_port"]
