"""MQTT transport: the only package that imports paho-mqtt (`core.transport.mqtt`). Its settings model
(`core.transport.settings`) imports pydantic only, so loading a config file never imports paho."""
