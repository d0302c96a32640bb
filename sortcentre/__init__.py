"""The ``sortcentre`` command: the top layer. It wires station, vision, hub, simulators and local servers together
(command line, demo); nothing in the project imports it. See docs/architecture.md."""

from core import __version__

__all__ = ["__version__"]
