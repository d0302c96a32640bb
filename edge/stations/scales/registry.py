"""Scale drivers by the name a station config uses, and one way to open any of them."""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable
from typing import Any

from edge.stations.scales.and_fx import AndScale
from edge.stations.scales.base import Scale
from edge.stations.scales.cas import CasScale
from edge.stations.scales.dini_argeo import DiniArgeoScale
from edge.stations.scales.mt_sics import MtSicsScale
from edge.stations.scales.probe import probe

logger = logging.getLogger(__name__)

_FACTORIES: dict[str, Callable[..., Scale]] = {
    "mt-sics": MtSicsScale,
    "and": AndScale,
    "dini-argeo": DiniArgeoScale,
    "cas": CasScale,
}
DRIVERS: tuple[str, ...] = (*_FACTORIES, "auto")


def open_scale(driver: str, port: str, baudrate: int, **options: Any) -> Scale:
    """Open the scale on ``port`` with the named driver; "auto" probes the port first.

    ``options`` go to the driver's constructor (``timeout_s``, ``address``, ``continuous`` ...). With
    "auto" they may name settings of several drivers; those the detected driver does not take are left out.
    """
    if driver == "auto":
        driver = probe(port, baudrate, dini_address=options.get("address", 1))
        accepted = inspect.signature(_FACTORIES[driver]).parameters
        dropped = sorted(set(options) - set(accepted))
        if dropped:
            logger.debug("options %s do not apply to the %s driver", dropped, driver)
        options = {name: value for name, value in options.items() if name in accepted}
    try:
        factory = _FACTORIES[driver]
    except KeyError:
        raise ValueError(f"unknown scale driver {driver!r}; known: {', '.join(DRIVERS)}") from None
    return factory(port, baudrate=baudrate, **options)
