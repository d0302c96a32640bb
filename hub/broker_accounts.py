"""Broker accounts and access rules (docs/broker.md): one account per station, two for the hub, read-only
observers. The ACL is generated here and nowhere else.

Each account is an identity, not just a password: the broker runs with ``use_username_as_clientid``
(local_servers/mosquitto.py), so a client's id is its user name whatever it asked for. A station can then
neither take over the hub's persistent session nor another station's connection (whose last will would
fire). That is why the hub has one account per connection: its ingest session (``hub``) and its live-status
client (``hub-live``) would otherwise push each other off.

A station may publish only on its own site's and its own id's topics, ``sortcentre/v1/<site>/<station>/...``,
and read only its own config topic. The rules name the site per station (``user`` blocks), because Mosquitto's
``pattern`` substitutes only the user name and client id (``%u``, ``%c``): a pattern ``sortcentre/v1/+/%u/...``
would leave the site open to whatever the station writes there. With MQTT 3.1.1 a publish the ACL forbids is
acknowledged and dropped by the broker (there is no negative PUBACK before MQTT 5), so a misconfigured station
shows up at the hub as silence, and in the broker log.
"""

from __future__ import annotations

import logging
import os
import re
import secrets
import signal
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from core.contract.topics import PREFIX, TopicKind, check_slug
from core.processes import find_program

logger = logging.getLogger(__name__)

HUB_USER = "hub"  # the hub's ingest session (persistent, manual acks)
HUB_LIVE_USER = "hub-live"  # the hub's live-status client
HUB_USERS = (HUB_USER, HUB_LIVE_USER)
# Station ids that could ever be a hub account are refused, so a station can never be given the hub's identity
# (client id = user name) or its rights, now or when the hub gets another connection.
_HUB_PREFIX = "hub-"

# What a station account may do on its own topics; everything else is denied (an ACL file denies by default).
STATION_WRITES = (TopicKind.EVENT, TopicKind.STATUS, TopicKind.HEARTBEAT)
STATION_READS = (TopicKind.CONFIG, TopicKind.MODEL)  # what the hub sends it (HUB_TO_STATION)


class AccountError(ValueError):
    """An account that would break the separation of identities (a reserved or duplicate user name)."""


class BrokerReloadError(RuntimeError):
    """The broker could not be told to reload its accounts (no pid file, not our broker, no permission)."""


def new_password() -> str:
    """A broker account's password: random, 24 URL-safe characters (the same for Mosquitto and NATS)."""
    return secrets.token_urlsafe(18)


def is_hub_name(user: str) -> bool:
    return user == HUB_USER or user.startswith(_HUB_PREFIX)


@dataclass
class BrokerAccounts:
    """User names and passwords, kept in a folder as the broker's password file and ACL file."""

    folder: Path
    passwords: dict[str, str] = field(default_factory=dict)
    sites: dict[str, str] = field(default_factory=dict)  # station user -> its site
    observers: set[str] = field(default_factory=set)
    hubs: set[str] = field(default_factory=set)  # which of HUB_USERS have an account

    @property
    def password_file(self) -> Path:
        return self.folder / "passwd"

    @property
    def acl_file(self) -> Path:
        return self.folder / "acl"

    def add_hub(self, user: str = HUB_USER, password: str | None = None) -> str:
        """One of the hub's accounts (``hub`` or ``hub-live``): read and write everything under the root."""
        if user not in HUB_USERS:
            raise AccountError(f"hub accounts are {', '.join(HUB_USERS)}, not {user!r}")
        self.hubs.add(user)
        return self._set(user, password)

    def add_station(self, station: str, site: str, password: str | None = None) -> str:
        """A station's account, its user name being its station id; its topics are under its own site."""
        check_slug(station, "station user")
        check_slug(site, "site")
        if is_hub_name(station):
            raise AccountError(f"station id {station!r} is reserved for the hub's accounts (hub, hub-*)")
        if station in self.observers:
            raise AccountError(f"{station!r} is already an observer account")
        self.sites[station] = site
        return self._set(station, password)

    def add_observer(self, user: str, password: str | None = None) -> str:
        """A read-only account (tests, `mosquitto_sub` for a person): reads every topic, writes none."""
        check_slug(user, "observer user")
        if is_hub_name(user) or user in self.sites:
            raise AccountError(f"{user!r} is a hub or station account")
        self.observers.add(user)
        return self._set(user, password)

    def _set(self, user: str, password: str | None) -> str:
        self.passwords[user] = password or self.passwords.get(user) or new_password()
        return self.passwords[user]

    def acl(self) -> str:
        """The ACL file's text: the hub's two accounts, the observers, then one block per station."""
        lines = [
            "# Generated by sortcentre (hub/broker_accounts.py): who may publish and subscribe where.",
            "# Anything not granted here is denied. docs/broker.md explains each rule.",
            "",
        ]
        for user in HUB_USERS:
            if user in self.hubs:
                lines += [f"user {user}", f"topic readwrite {PREFIX}/#", ""]
        for user in sorted(self.observers):
            lines += [f"user {user}", f"topic read {PREFIX}/#", ""]
        for station, site in sorted(self.sites.items()):
            lines.append(f"user {station}")
            lines += [f"topic write {PREFIX}/{site}/{station}/{kind.value}" for kind in STATION_WRITES]
            lines += [f"topic read {PREFIX}/{site}/{station}/{kind.value}" for kind in STATION_READS]
            lines.append("")
        return "\n".join(lines)

    def write(self) -> None:
        """Write the hashed password file (mosquitto_passwd) and the ACL."""
        self.folder.mkdir(parents=True, exist_ok=True)
        self.password_file.write_text("")
        tool = find_program("mosquitto_passwd", "mosquitto")
        for user, password in self.passwords.items():
            subprocess.run([tool, "-b", str(self.password_file), user, password], check=True, capture_output=True)
        self.password_file.chmod(0o600)
        self.write_acl()

    # --- a running broker's files: ``sortcentre stations add|retire`` (hub/fleet/registry.py) ---------------------

    @classmethod
    def read(cls, folder: Path) -> BrokerAccounts:
        """The accounts in an ACL file that ``acl()`` wrote: who is hub, observer or station (and of which site).
        The passwords stay unknown (the password file holds only hashes): change one account at a time with
        ``save_password`` and ``remove``, which leave every other account's hash as it is."""
        accounts = cls(folder)
        if not accounts.acl_file.exists():
            return accounts
        user: str | None = None
        for number, raw in enumerate(accounts.acl_file.read_text().splitlines(), start=1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            if line.startswith("user "):
                user = line.removeprefix("user ").strip()
                continue
            match = _ACL_RULE.fullmatch(line)
            if user is None or match is None:
                raise AccountError(f"{accounts.acl_file}:{number}: {line!r} is not a rule sortcentre writes")
            access, site, station = match["access"], match["site"], match["station"]
            if site is None and access == "readwrite" and user in HUB_USERS:
                accounts.hubs.add(user)
            elif site is None and access == "read":
                accounts.observers.add(user)
            elif site is not None and station == user and not is_hub_name(user):
                accounts.sites[user] = site
            else:
                raise AccountError(f"{accounts.acl_file}:{number}: {line!r} does not fit account {user!r}")
        return accounts

    def users_in_password_file(self) -> set[str]:
        if not self.password_file.exists():
            return set()
        return {line.split(":", 1)[0] for line in self.password_file.read_text().splitlines() if ":" in line}

    def save_password(self, user: str) -> None:
        """Add or update one account's hash in the password file, leaving the others as they are."""
        self.folder.mkdir(parents=True, exist_ok=True)
        if not self.password_file.exists():
            self.password_file.touch(mode=0o600)
        tool = find_program("mosquitto_passwd", "mosquitto")
        subprocess.run(
            [tool, "-b", str(self.password_file), user, self.passwords[user]], check=True, capture_output=True
        )
        self.password_file.chmod(0o600)

    def remove(self, user: str) -> bool:
        """Take a station or observer account out of both files' rules (write_acl) and out of the password file;
        False when it had no password there."""
        self.sites.pop(user, None)
        self.observers.discard(user)
        self.passwords.pop(user, None)
        if user not in self.users_in_password_file():
            return False
        tool = find_program("mosquitto_passwd", "mosquitto")
        subprocess.run([tool, "-D", str(self.password_file), user], check=True, capture_output=True)
        self.password_file.chmod(0o600)
        return True

    def write_acl(self) -> None:
        """Replace the ACL in one rename: a broker reloading meanwhile reads the old file or the new, never half."""
        self.folder.mkdir(parents=True, exist_ok=True)
        partial = self.acl_file.with_name(f".{self.acl_file.name}.partial")
        partial.write_text(self.acl())
        partial.replace(self.acl_file)


# The rules acl() writes: everything under the root (hub, observers), or one station's own topic of one kind.
_ACL_RULE = re.compile(
    rf"topic (?P<access>read|write|readwrite) {re.escape(PREFIX)}/"
    r"(?:#|(?P<site>[a-z0-9-]+)/(?P<station>[a-z0-9-]+)/[a-z]+)"
)


def reload_broker(pid_file: Path) -> int:
    """Send Mosquitto SIGHUP: it reads its password file and ACL again, keeps every connection and session, and
    disconnects clients whose account is gone (Mosquitto 2.0's security re-check on reload). Returns the pid."""
    try:
        pid = int(pid_file.read_text().strip())
    except (OSError, ValueError) as exc:
        raise BrokerReloadError(f"no broker pid in {pid_file}: {exc}") from None
    comm = Path(f"/proc/{pid}/comm")
    # A stale pid file (broker stopped, pid reused) must not make us signal some other program.
    if comm.exists() and "mosquitto" not in comm.read_text():
        raise BrokerReloadError(f"process {pid} (from {pid_file}) is {comm.read_text().strip()!r}, not mosquitto")
    try:
        os.kill(pid, signal.SIGHUP)
    except OSError as exc:
        raise BrokerReloadError(f"could not signal the broker (pid {pid} from {pid_file}): {exc.strerror}") from None
    logger.info("broker (pid %s) told to reload its accounts", pid)
    return pid
