"""Edge: the software that runs on a sorting station (a Raspberry Pi at a site)."""
