"""The hubs side of the fleet: stations models (docs/fleet.md)."""
