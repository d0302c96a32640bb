"""The NATS auth callout (nats-server 2.10 and later): every broker login on NATS is decided here.

On Mosquitto a client's id is its user name (``use_username_as_clientid``, hub/broker_accounts.py). NATS has no
such setting, so a station's account could log in with another station's MQTT client id and push that station
off (docs/broker.md, "NATS JetStream"). With ``auth_callout`` in the server's config, the server hands each login
(user, password, and for MQTT the client id) to this service over NATS and waits for a signed answer:

- a known user with the right password gets a user JWT that places it in the one account (``SORTCENTRE``) with
  the permissions Mosquitto's ACL gives it (:meth:`NatsUser.permissions`); a station also gets
  ``allowed_connection_types = ["MQTT"]``;
- a station whose MQTT client id is not its user name is refused, as is anything else (unknown user, wrong
  password, no user).

The service logs in as the one user of the ``AUTH`` account, which the server lets past the callout. The
server's requests reach it only there, so it trusts them without checking the server's signature (which would
prove nothing: in config mode the server's key is made at each start). The users it knows are in a JSON file
holding SHA-256 digests of the passwords (random tokens, see broker_accounts), never the passwords; it is read
again when it changes, so an account added by ``sortcentre stations add`` takes effect without a restart.

JWTs are NATS's format (nats-io/jwt v2): ``header.claims.signature`` in unpadded base64url, the header
``{"typ": "JWT", "alg": "ed25519-nkey"}``, signed with the issuer's account nkey (the ``nkeys`` library).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
import json
import logging
import secrets
import signal
import ssl
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

import nats
import nkeys

from core.contract.topics import PREFIX
from core.transport.subjects import subject
from hub.broker_accounts import HUB_USERS, STATION_READS, STATION_WRITES, BrokerAccounts
from hub.digests import token_digest
from hub.fleet.bundle import write_secret

logger = logging.getLogger(__name__)

ACCOUNT = "SORTCENTRE"  # the account of the stations, the hubs, the observers and the stream
AUTH_ACCOUNT = "AUTH"  # the callout service's own account, holding only its user
AUTH_USER = "auth-callout"
REQUEST_SUBJECT = "$SYS.REQ.USER.AUTH"
QUEUE = "sortcentre-auth"  # several services answer in turn; the server takes the first answer
# The most a request may be: a JWT of a few hundred bytes plus the client's TLS certificates, if any.
MAX_REQUEST_BYTES = 64 * 1024

Role = Literal["hub", "observer", "station"]


SUBJECT_PREFIX = subject(PREFIX)  # sortcentre/v1 -> sortcentre.v1


@dataclass(frozen=True)
class NatsUser:
    """One login the callout knows: its role, its site (stations) and its password's SHA-256."""

    name: str
    role: Role
    password_sha256: str
    site: str | None = None

    def password_matches(self, password: str) -> bool:
        return hmac.compare_digest(token_digest(password), self.password_sha256)

    def permissions(self) -> dict[str, dict[str, list[str]]]:
        """Mosquitto's ACL for this user (hub/broker_accounts.py), in NATS's publish/subscribe allow lists.

        ``$MQTT.sub.>`` is where NATS's MQTT layer delivers a QoS 1 subscription (without it a QoS 1 SUBSCRIBE is
        refused). The hub reads the stream with nats-py: the JetStream API, its acks and flow control, its own
        inbox. An observer may read the stream (an API call), but publishes nothing of ours."""
        everything = f"{SUBJECT_PREFIX}.>"
        if self.role == "hub":
            return {
                "pub": {"allow": [everything, "$JS.API.>", "$JS.ACK.>", "$JS.FC.>"]},
                "sub": {"allow": [everything, "_INBOX.>", "$MQTT.sub.>"]},
            }
        if self.role == "observer":
            return {
                "pub": {"allow": ["$JS.API.>", "$JS.ACK.>"]},
                "sub": {"allow": [everything, "_INBOX.>", "$MQTT.sub.>"]},
            }
        own = f"{SUBJECT_PREFIX}.{self.site}.{self.name}"
        return {
            "pub": {"allow": [f"{own}.{kind.value}" for kind in STATION_WRITES]},
            "sub": {"allow": [*(f"{own}.{kind.value}" for kind in STATION_READS), "$MQTT.sub.>"]},
        }

    def connection_types(self) -> list[str] | None:
        """Stations speak MQTT only: they never see the NATS protocol, so never the JetStream API."""
        return ["MQTT"] if self.role == "station" else None


def station_user(name: str, site: str, password: str) -> NatsUser:
    return NatsUser(name, "station", token_digest(password), site)


def update_users(path: Path, add: NatsUser | None = None, remove: str | None = None) -> None:
    """Add (or replace) one user and remove another, keeping every other entry as it is: the file holds digests
    only, so it cannot be written again from the passwords (``sortcentre stations add|retire``)."""
    users = read_users(path) if path.exists() else {}
    if remove is not None:
        users.pop(remove, None)
    if add is not None:
        users[add.name] = add
    write_users(path, users.values())


def nats_users(accounts: BrokerAccounts) -> list[NatsUser]:
    """Every account of ``accounts`` as the callout knows it."""
    users = []
    for name, password in sorted(accounts.passwords.items()):
        if name in HUB_USERS:
            users.append(NatsUser(name, "hub", token_digest(password)))
        elif name in accounts.observers:
            users.append(NatsUser(name, "observer", token_digest(password)))
        else:
            users.append(station_user(name, accounts.sites[name], password))
    return users


def write_users(path: Path, users: Iterable[NatsUser]) -> None:
    """The callout's user file, replaced whole (a reader never sees half of it), readable by its owner only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps({"users": [asdict(user) for user in users]}, indent=2) + "\n")
    partial.chmod(0o600)
    partial.replace(path)


def read_users(path: Path) -> dict[str, NatsUser]:
    raw = json.loads(path.read_text())
    return {entry["name"]: NatsUser(**entry) for entry in raw["users"]}


class UserFile:
    """The user file, read again when its modification time or size changes."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._stamp: tuple[int, int] | None = None
        self._users: dict[str, NatsUser] = {}

    def users(self) -> dict[str, NatsUser]:
        stat = self.path.stat()
        stamp = (stat.st_mtime_ns, stat.st_size)
        if stamp != self._stamp:
            self._users = read_users(self.path)
            self._stamp = stamp
            logger.info("NATS auth callout: %d users from %s", len(self._users), self.path)
        return self._users


# --- keys and JWTs ------------------------------------------------------------------------------------------------


class Issuer:
    """The account nkey that signs the callout's answers; the server's ``auth_callout.issuer`` is its public key."""

    def __init__(self, seed: bytes) -> None:
        self._keys = nkeys.from_seed(bytearray(seed))
        self.seed = seed

    @classmethod
    def generate(cls) -> Issuer:
        return cls(bytes(nkeys.encode_seed(secrets.token_bytes(32), nkeys.PREFIX_BYTE_ACCOUNT)))

    @classmethod
    def load_or_create(cls, path: Path) -> Issuer:
        """The seed in ``path``, made (0600) when the file is missing."""
        if path.exists():
            return cls(path.read_bytes().strip())
        issuer = cls.generate()
        path.parent.mkdir(parents=True, exist_ok=True)
        write_secret(path, issuer.seed.decode())
        return issuer

    @property
    def public_key(self) -> str:
        return bytes(self._keys.public_key).decode()

    def sign(self, claims: dict[str, Any]) -> str:
        """``claims`` as a NATS JWT signed by this key (``iss``, ``iat`` and ``jti`` filled in)."""
        body = {**claims, "iss": self.public_key, "iat": int(time.time()), "jti": ""}
        body["jti"] = base64.b32encode(hashlib.sha256(_json(body)).digest()).decode().rstrip("=")
        signing_input = f"{_b64(_json({'typ': 'JWT', 'alg': 'ed25519-nkey'}))}.{_b64(_json(body))}"
        return f"{signing_input}.{_b64(self._keys.sign(signing_input.encode()))}"


def _json(value: object) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def jwt_claims(token: str) -> dict[str, Any]:
    """The claims of a JWT, unverified (see the module's note on why the server's requests are trusted)."""
    parts = token.split(".")
    if len(parts) != 3:
        raise ValueError("not a JWT: expected three parts")
    payload = parts[1] + "=" * (-len(parts[1]) % 4)
    claims = json.loads(base64.urlsafe_b64decode(payload))
    if not isinstance(claims, dict):
        raise ValueError("a JWT's claims must be an object")
    return claims


# --- the decision -------------------------------------------------------------------------------------------------


def _object(value: object) -> dict[str, Any]:
    """A JSON object of the request, or an empty one where the request holds something else."""
    return value if isinstance(value, dict) else {}


def decide(request: dict[str, Any], users: dict[str, NatsUser]) -> NatsUser | str:
    """The user a login request may be, or why not (the reason goes to our log and to the server's)."""
    nats = _object(request.get("nats"))
    options = _object(nats.get("connect_opts"))
    client = _object(nats.get("client_info"))
    name = options.get("user")
    password = options.get("pass")
    if not isinstance(name, str) or not isinstance(password, str) or not name:
        return "no user name and password"
    user = users.get(name)
    if user is None or not user.password_matches(password):  # one reason for both: no guessing of names
        return f"user {name!r}: unknown or wrong password"
    if user.role == "station":
        client_id = client.get("mqtt_id")
        if client.get("type") != "mqtt" or client_id is None:
            return f"station {name!r} may log in over MQTT only"
        if client_id != name:
            return f"station {name!r} asked for MQTT client id {client_id!r}: a station's client id is its user name"
    return user


def answer(
    request_jwt: str, issuer: Issuer, users: dict[str, NatsUser], lifetime_s: int | None = None
) -> tuple[str, NatsUser | str]:
    """The signed authorization response to one request, and the decision it carries.

    The user JWT has no expiry unless ``lifetime_s`` is given: NATS closes a connection whose JWT expired, and a
    station's last will would then show it offline for a moment every ``lifetime_s``. The price: a retired
    account keeps a connection it has until it disconnects (Mosquitto drops it on reload; docs/broker.md)."""
    request = jwt_claims(request_jwt)
    nats = _object(request.get("nats"))
    user_nkey = str(nats.get("user_nkey") or "")
    server_id = str(_object(nats.get("server_id")).get("id") or "")
    decision = decide(request, users)
    response: dict[str, Any] = {"sub": user_nkey, "aud": server_id}
    if isinstance(decision, NatsUser):
        user_claims: dict[str, Any] = {
            "sub": user_nkey,
            "aud": ACCOUNT,  # in config mode, the account by name
            "name": decision.name,
            **({"exp": int(time.time()) + lifetime_s} if lifetime_s else {}),
            "nats": {
                **decision.permissions(),
                # -1: no limit. A missing limit reads as 0, which would allow no subscription at all.
                "subs": -1,
                "data": -1,
                "payload": -1,
                **({"allowed_connection_types": types} if (types := decision.connection_types()) else {}),
                "type": "user",
                "version": 2,
            },
        }
        response["nats"] = {"jwt": issuer.sign(user_claims), "type": "authorization_response", "version": 2}
    else:
        response["nats"] = {"error": decision, "type": "authorization_response", "version": 2}
    return issuer.sign(response), decision


# --- the service --------------------------------------------------------------------------------------------------


async def serve(
    servers: list[str],
    password: str,
    user_file: Path,
    issuer: Issuer,
    stop: asyncio.Event | None = None,
    tls_ca_file: Path | None = None,
    lifetime_s: int | None = None,
) -> None:
    """Answer the servers' login requests until ``stop`` is set; reconnect to any of ``servers`` for ever.

    A refused login is a warning with its reason (a station trying another's client id is worth a look); a
    request that cannot be read is answered by nothing (the server refuses the login when its wait ends)."""
    stop = stop or asyncio.Event()
    known = UserFile(user_file)
    known.users()  # a missing or broken file stops the service at once, not at the first login

    async def handle(message: Any) -> None:
        if len(message.data) > MAX_REQUEST_BYTES:
            logger.warning("NATS auth callout: a request of %d bytes ignored", len(message.data))
            return
        try:
            token, decision = answer(message.data.decode(), issuer, known.users(), lifetime_s)
        except (ValueError, UnicodeDecodeError) as err:
            logger.warning("NATS auth callout: unreadable request: %s", err)
            return
        if isinstance(decision, str):
            logger.warning("NATS auth callout: login refused: %s", decision)
        await message.respond(token.encode())

    async def disconnected() -> None:
        logger.warning("NATS auth callout: lost its connection to NATS; logins wait until it is back")

    async def reconnected() -> None:
        logger.warning("NATS auth callout: connected to NATS again")

    tls = ssl.create_default_context(cafile=str(tls_ca_file)) if tls_ca_file else None
    while not stop.is_set():
        closed = asyncio.Event()

        async def on_closed(event: asyncio.Event = closed) -> None:
            event.set()

        callbacks = {"disconnected_cb": disconnected, "reconnected_cb": reconnected, "closed_cb": on_closed}
        connection = await _connect(servers, password, tls, stop, callbacks)
        if connection is None:
            return
        await connection.subscribe(REQUEST_SUBJECT, queue=QUEUE, cb=handle)
        await connection.flush()
        logger.info("NATS auth callout: answering logins on %s", ", ".join(servers))
        ending = asyncio.ensure_future(stop.wait())
        gone = asyncio.ensure_future(closed.wait())
        await asyncio.wait([ending, gone], return_when=asyncio.FIRST_COMPLETED)
        ending.cancel()
        gone.cancel()
        if connection.is_closed:
            logger.warning("NATS auth callout: NATS closed its connection; connecting anew")
        else:
            await connection.drain()


async def _connect(
    servers: list[str], password: str, tls: ssl.SSLContext | None, stop: asyncio.Event, callbacks: dict[str, Any]
) -> Any:
    """A connection as the callout's user, tried again (with a warning) until it works or ``stop`` is set;
    ``callbacks``: nats-py's ``disconnected_cb``, ``reconnected_cb`` and ``closed_cb``."""
    delay = 0.5
    while not stop.is_set():
        try:
            return await nats.connect(
                servers=servers,
                user=AUTH_USER,
                password=password,
                tls=tls,
                connect_timeout=3,
                max_reconnect_attempts=-1,
                reconnect_time_wait=0.5,
                **callbacks,
            )
        except (OSError, TimeoutError, nats.errors.Error) as err:
            logger.warning("NATS auth callout: cannot reach %s (%s); trying again", ", ".join(servers), err)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), delay)
        delay = min(delay * 2, 5.0)
    return None


# --- the files a deployment keeps -----------------------------------------------------------------------------------


class CalloutFolder:
    """What the callout service reads, in one folder readable by its owner only: the issuer's seed
    (``issuer.seed``), the password of its own NATS user (``auth_password``) and the user file (``users.json``).
    :meth:`server_config` is the part of every NATS node's config that sends logins to it."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.seed_file = folder / "issuer.seed"
        self.password_file = folder / "auth_password"
        self.user_file = folder / "users.json"

    def write(self, accounts: BrokerAccounts) -> None:
        """Keep the seed and the password if there are some (a restarted node must not change them); write the
        user file from ``accounts``."""
        self.folder.mkdir(parents=True, exist_ok=True)
        self.folder.chmod(0o700)
        Issuer.load_or_create(self.seed_file)
        if not self.password_file.exists():
            write_secret(self.password_file, secrets.token_urlsafe(24))
        write_users(self.user_file, nats_users(accounts))

    def issuer(self) -> Issuer:
        return Issuer(self.seed_file.read_bytes().strip())

    def password(self) -> str:
        return self.password_file.read_text().strip()

    def server_config(self) -> dict[str, object]:
        """The ``accounts`` and ``authorization`` blocks of a node's config: the callout's account with its one
        user, which the callout lets past; the account every other login is placed in, with JetStream."""
        return {
            "accounts": {
                AUTH_ACCOUNT: {"users": [{"user": AUTH_USER, "password": self.password()}]},
                ACCOUNT: {"jetstream": "enabled"},
            },
            "authorization": {
                "auth_callout": {
                    "issuer": self.issuer().public_key,
                    "auth_users": [AUTH_USER],
                    "account": AUTH_ACCOUNT,
                }
            },
        }


def run(folder: Path, servers: list[str], tls_ca_file: Path | None = None, lifetime_s: int | None = None) -> None:
    """``sortcentre nats-auth``: serve until SIGTERM or SIGINT."""
    callout = CalloutFolder(folder)

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        await serve(servers, callout.password(), callout.user_file, callout.issuer(), stop, tls_ca_file, lifetime_s)

    asyncio.run(main())
