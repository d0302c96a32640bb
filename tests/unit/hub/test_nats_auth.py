"""The NATS auth callout's decisions and its JWTs (hub/nats_auth.py); tests/integration/test_nats_servers.py runs
it against real nats-server."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import nacl.signing
import pytest

from hub.broker_accounts import HUB_USER, BrokerAccounts
from hub.nats_auth import ACCOUNT, Issuer, NatsUser, UserFile, answer, decide, jwt_claims, nats_users, write_users

ZWOLLE = "zwolle-plastic-1"
SERVER_ID = "NSERVERID"
USER_NKEY = "UCLIENTKEY"


@pytest.fixture
def known(tmp_path: Path) -> tuple[BrokerAccounts, dict[str, NatsUser]]:
    accounts = BrokerAccounts(tmp_path / "auth")
    accounts.add_hub(HUB_USER)
    accounts.add_observer("observer")
    accounts.add_station(ZWOLLE, "zwolle")
    accounts.add_station("dalfsen-textile-1", "dalfsen")
    return accounts, {user.name: user for user in nats_users(accounts)}


def request(user: str | None, password: str | None, mqtt_id: str | None = None, kind: str = "mqtt") -> dict[str, Any]:
    """An authorization request's claims as nats-server sends them (nats-io/jwt v2, AuthorizationRequest)."""
    client: dict[str, Any] = {"host": "127.0.0.1", "id": 7, "kind": "Client", "type": kind}
    if mqtt_id is not None:
        client["mqtt_id"] = mqtt_id
    options = {key: value for key, value in (("user", user), ("pass", password)) if value is not None}
    return {
        "nats": {
            "server_id": {"name": "n1", "host": "127.0.0.1", "id": SERVER_ID},
            "user_nkey": USER_NKEY,
            "client_info": client,
            "connect_opts": {**options, "protocol": 0},
            "type": "authorization_request",
            "version": 2,
        }
    }


def as_jwt(claims: dict[str, Any]) -> str:
    encode = lambda data: base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")  # noqa: E731
    return f"{encode({'typ': 'JWT', 'alg': 'ed25519-nkey'})}.{encode(claims)}.c2ln"


def test_a_station_logs_in_with_its_own_client_id_only(known: tuple[BrokerAccounts, dict[str, NatsUser]]) -> None:
    accounts, users = known
    password = accounts.passwords[ZWOLLE]
    assert decide(request(ZWOLLE, password, mqtt_id=ZWOLLE), users) == users[ZWOLLE]
    refused = decide(request(ZWOLLE, password, mqtt_id="dalfsen-textile-1"), users)
    assert isinstance(refused, str) and "client id 'dalfsen-textile-1'" in refused
    # Over the NATS protocol a station has no client id to check, and no business either.
    assert isinstance(decide(request(ZWOLLE, password, kind="client"), users), str)


def test_unknown_users_wrong_passwords_and_anonymous_logins_are_refused_alike(
    known: tuple[BrokerAccounts, dict[str, NatsUser]],
) -> None:
    accounts, users = known
    wrong = decide(request(ZWOLLE, accounts.passwords[ZWOLLE] + "x", mqtt_id=ZWOLLE), users)
    unknown = decide(request("nobody", "secret", mqtt_id="nobody"), users)
    assert wrong == f"user {ZWOLLE!r}: unknown or wrong password"
    assert unknown == "user 'nobody': unknown or wrong password"
    assert decide(request(None, None, mqtt_id="x"), users) == "no user name and password"
    assert decide({"nats": "junk"}, users) == "no user name and password"


def test_the_hub_and_observers_may_use_any_client_id(known: tuple[BrokerAccounts, dict[str, NatsUser]]) -> None:
    accounts, users = known
    assert decide(request(HUB_USER, accounts.passwords[HUB_USER], mqtt_id="hub-live-7"), users) == users[HUB_USER]
    assert decide(request("observer", accounts.passwords["observer"], kind="client"), users) == users["observer"]


def test_permissions_mirror_the_mosquitto_acl(known: tuple[BrokerAccounts, dict[str, NatsUser]]) -> None:
    _, users = known
    own = "sortcentre.v1.zwolle.zwolle-plastic-1"
    assert users[ZWOLLE].permissions() == {
        "pub": {"allow": [f"{own}.event", f"{own}.status", f"{own}.heartbeat"]},
        "sub": {"allow": [f"{own}.config", f"{own}.model", "$MQTT.sub.>"]},
    }
    assert users[ZWOLLE].connection_types() == ["MQTT"]
    assert "$JS.API.>" in users[HUB_USER].permissions()["pub"]["allow"]
    assert users[HUB_USER].connection_types() is None
    assert "sortcentre.v1.>" not in users["observer"].permissions()["pub"]["allow"]


def test_an_accepted_login_gets_a_user_jwt_signed_by_the_issuer(
    known: tuple[BrokerAccounts, dict[str, NatsUser]],
) -> None:
    accounts, users = known
    issuer = Issuer.generate()
    token, decision = answer(as_jwt(request(ZWOLLE, accounts.passwords[ZWOLLE], mqtt_id=ZWOLLE)), issuer, users)
    assert decision == users[ZWOLLE]
    response = jwt_claims(token)
    assert (response["sub"], response["aud"], response["iss"]) == (USER_NKEY, SERVER_ID, issuer.public_key)
    assert response["nats"]["type"] == "authorization_response"
    user = jwt_claims(response["nats"]["jwt"])
    assert (user["sub"], user["aud"], user["name"]) == (USER_NKEY, ACCOUNT, ZWOLLE)
    assert user["nats"]["allowed_connection_types"] == ["MQTT"]
    assert (user["nats"]["subs"], user["nats"]["data"], user["nats"]["payload"]) == (-1, -1, -1)
    assert "exp" not in user  # an expiry would close the station's connection, and its last will would fire
    for jwt in (token, response["nats"]["jwt"]):
        verify(jwt, issuer)
    with_lifetime, _ = answer(as_jwt(request(ZWOLLE, accounts.passwords[ZWOLLE], mqtt_id=ZWOLLE)), issuer, users, 60)
    user = jwt_claims(jwt_claims(with_lifetime)["nats"]["jwt"])
    assert user["exp"] == user["iat"] + 60


def test_a_refused_login_gets_an_error_and_no_user_jwt(known: tuple[BrokerAccounts, dict[str, NatsUser]]) -> None:
    accounts, users = known
    issuer = Issuer.generate()
    token, decision = answer(
        as_jwt(request("dalfsen-textile-1", accounts.passwords["dalfsen-textile-1"], mqtt_id=ZWOLLE)), issuer, users
    )
    response = jwt_claims(token)
    assert isinstance(decision, str)
    assert response["nats"]["error"] == decision
    assert "jwt" not in response["nats"]
    verify(token, issuer)


def test_requests_that_are_no_jwt_are_refused_by_an_error() -> None:
    for junk in ("", "a.b", "a.!!!.c", f"x.{base64.urlsafe_b64encode(b'[1]').decode()}.y"):
        with pytest.raises(ValueError):
            jwt_claims(junk)


def test_the_user_file_holds_no_password_and_is_read_again_when_it_changes(
    tmp_path: Path, known: tuple[BrokerAccounts, dict[str, NatsUser]]
) -> None:
    accounts, _ = known
    path = tmp_path / "callout" / "users.json"
    write_users(path, nats_users(accounts))
    assert accounts.passwords[ZWOLLE] not in path.read_text()
    assert path.stat().st_mode & 0o077 == 0
    file = UserFile(path)
    assert ZWOLLE in file.users()
    accounts.add_station("ommen-plastic-1", "ommen")
    write_users(path, nats_users(accounts))
    assert "ommen-plastic-1" in file.users()


def test_the_issuer_seed_is_kept(tmp_path: Path) -> None:
    first = Issuer.load_or_create(tmp_path / "issuer.seed")
    assert Issuer.load_or_create(tmp_path / "issuer.seed").public_key == first.public_key
    assert (tmp_path / "issuer.seed").stat().st_mode & 0o777 == 0o600


def verify(token: str, issuer: Issuer) -> None:
    """The JWT's signature checks against the issuer's public key (NATS's nkey: base32, a prefix byte, the 32-byte
    Ed25519 key, a CRC16), and its header names NATS's algorithm."""
    header, claims, signature = token.split(".")
    assert json.loads(base64.urlsafe_b64decode(header + "==")) == {"typ": "JWT", "alg": "ed25519-nkey"}
    raw = base64.b32decode(issuer.public_key + "=" * (-len(issuer.public_key) % 8))
    key = nacl.signing.VerifyKey(raw[1:33])
    key.verify(f"{header}.{claims}".encode(), base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4)))
