"""The fleet: the station registry (registry.py) and its command line (cli.py), the stations' signed models
(models.py) and theirs (model_cli.py); docs/fleet.md."""
