"""The fleet: the station registry (registry.py) and its command line (cli.py); docs/fleet.md."""
