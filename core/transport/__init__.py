"""MQTT transport: the only package that imports paho-mqtt."""

from core.transport.mqtt import InboundMessage, MqttClient, MqttSettings, Will, end_session

__all__ = ["InboundMessage", "MqttClient", "MqttSettings", "Will", "end_session"]
