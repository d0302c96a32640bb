"""Ingest: from MQTT messages to stored points, acknowledged after storing."""
