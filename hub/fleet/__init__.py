"""The fleet (docs/fleet.md): the station registry (registry.py) and its command line (cli.py), the stations'
signed models (models.py, model_cli.py), their remote config (remote_config.py, config_store.py), and training at
the hub with canary rollouts (training.py, learning.py, canary.py, rollouts.py, counts.py, train_cli.py)."""
