"""The demo's accounts: a broker account per station and the hub's two, and the dashboard's demo users.

Passwords are made once and kept one file each, readable by the owner only (var/broker/secrets/ and
var/hub/secrets/), so a second run uses the same ones.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path

from hub.broker_accounts import HUB_USERS, BrokerAccounts
from sortcentre.demo.configs import broker_secrets, demo_spec, users_file

DEMO_ADMIN = "admin"


@dataclass(frozen=True)
class DemoLogin:
    username: str
    password: str
    sites: tuple[str, ...]  # empty: the admin, every site


def _keep(secret: Path, password: str) -> None:
    """Writes a password made this run; one kept from an earlier run stays as it is."""
    if not secret.exists():
        secret.write_text(password)
        secret.chmod(0o600)


def demo_accounts(var: Path) -> BrokerAccounts:
    """A broker account per station (its topics under its own site) and the hub's two (ingest and live status)."""
    accounts = BrokerAccounts(var / "broker")
    secrets_dir = broker_secrets(var)
    secrets_dir.mkdir(parents=True, exist_ok=True)

    def kept(user: str) -> str | None:
        secret = secrets_dir / user
        return secret.read_text().strip() if secret.exists() else None

    made = {user: accounts.add_hub(user, kept(user)) for user in HUB_USERS}
    for entry in demo_spec()["station"]:
        made[entry["id"]] = accounts.add_station(entry["id"], entry["site"], kept(entry["id"]))
    for user, password in made.items():
        _keep(secrets_dir / user, password)
    return accounts


def demo_logins(var: Path) -> list[DemoLogin]:
    """The dashboard's demo users: ``admin`` and one supervisor per demo site (``supervisor-zwolle``, ...),
    in var/hub/users.sqlite, the file the demo's hub reads."""
    from hub.auth.principal import Role
    from hub.auth.store import UserStore

    store = UserStore(users_file(var))
    secrets_dir = var / "hub" / "secrets"
    secrets_dir.mkdir(parents=True, exist_ok=True)
    sites = sorted({entry["site"] for entry in demo_spec()["station"]})
    wanted = [(DEMO_ADMIN, Role.ADMIN, ()), *((f"supervisor-{site}", Role.SUPERVISOR, (site,)) for site in sites)]
    logins = []
    for username, role, user_sites in wanted:
        secret = secrets_dir / username
        _keep(secret, secrets.token_urlsafe(12))
        password = secret.read_text().strip()
        if store.get(username) is None:
            store.add(username, password, role, user_sites)
        elif store.authenticate(username, password) is None:  # the file was replaced or edited: it wins
            store.set_password(username, password)
            store.set_disabled(username, False)
        logins.append(DemoLogin(username, password, user_sites))
    return logins
