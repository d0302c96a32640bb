"""``sortcentre demo``: the whole system on one machine with simulated hardware."""
