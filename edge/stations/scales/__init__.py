"""Scale drivers: one module per protocol, all returning :class:`Reading`."""

from edge.stations.scales.base import Reading, ReadingStatus, Scale, ScaleError

__all__ = ["Reading", "ReadingStatus", "Scale", "ScaleError"]
