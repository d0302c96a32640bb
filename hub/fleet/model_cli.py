"""``sortcentre models ...``: the hub's model signing key and publishing a model to stations (docs/fleet.md).

``keygen`` writes the hub's Ed25519 key pair to ``models.signing_key_file`` and ``models.public_key_file`` and
refuses to overwrite either. ``publish`` stores a bundle in the hub's model store, signs its manifest and
publishes it retained on each named station's model topic. It connects with the hub's live-status account
(``[live_mqtt]``): on a broker that binds client ids to accounts that pushes the running hub's live client off
for the second the publish takes, and it reconnects by itself. Heavy modules are imported inside the commands.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from config.hub import HubSettings

models_app = typer.Typer(
    help="The hub's model signing key, and publishing a signed model to stations.", no_args_is_help=True
)

ConfigOption = Annotated[
    Path | None,
    typer.Option("--config", help="hub TOML file, for its [models] and MQTT settings (SORTCENTRE_HUB_* overrides)"),
]
# Publishing waits this long for the broker to take the retained manifests (PUBACK).
PUBLISH_TIMEOUT_S = 15.0


def _fail(message: str) -> typer.Exit:
    typer.echo(message, err=True)
    return typer.Exit(2)


def _settings(config: Path | None) -> HubSettings:
    from config.files import ConfigError
    from config.hub import HubSettings

    try:
        return HubSettings.load(config)
    except ConfigError as exc:
        raise _fail(str(exc)) from None


@models_app.command()
def keygen(config: ConfigOption = None) -> None:
    """Write the hub's signing key pair (the private key readable by its owner only). Refuses to overwrite."""
    from edge.vision.model_signing import generate_keypair

    models = _settings(config).models
    for path in (models.signing_key_file, models.public_key_file):
        if path.exists():
            raise _fail(f"{path} exists: not overwritten (docs/fleet.md, 'Keys and how to rotate them')")
    try:
        generate_keypair(models.signing_key_file, models.public_key_file)
    except OSError as exc:
        raise _fail(f"cannot write the key pair: {exc}") from None
    typer.echo(f"private key: {models.signing_key_file} (only the hub reads it)")
    typer.echo(f"public key:  {models.public_key_file} (copy it to each station's models.public_key_file)")


@models_app.command()
def publish(
    bundle: Annotated[Path, typer.Argument(help="a model bundle (NAME.model.tar: the model and its card)")],
    station: Annotated[
        list[str], typer.Option("--station", help="SITE/STATION to offer the model to; repeat for more")
    ],
    stream: Annotated[str | None, typer.Option(help="the stream it is for (default: the card's)")] = None,
    config: ConfigOption = None,
) -> None:
    """Store BUNDLE, sign its manifest and publish it (retained) on each station's model topic."""
    from core.contract.topics import TopicError, check_slug
    from core.transport.mqtt import MqttClient
    from edge.vision.model_signing import SignatureError, load_private_key
    from hub.fleet.models import ModelStore, PublishError, publish_model

    settings = _settings(config)
    targets: list[tuple[str, str]] = []
    for name in station:
        site, _, ident = name.partition("/")
        try:
            targets.append((check_slug(site, "site"), check_slug(ident, "station")))
        except TopicError as exc:
            raise _fail(f"--station {name!r}: write SITE/STATION ({exc})") from None
    try:
        key = load_private_key(settings.models.signing_key_file)
    except SignatureError as exc:
        raise _fail(f"{exc} (make one with 'sortcentre models keygen')") from None
    store = ModelStore(settings.models)
    mqtt = MqttClient(settings.live_mqtt_settings(), f"{settings.client_id}-live")
    acked: set[int] = set()
    done = threading.Event()
    mids: set[int] = set()

    def on_published(mid: int) -> None:
        acked.add(mid)
        if mids and mids <= acked:
            done.set()

    mqtt.add_published_listener(on_published)
    mqtt.start()
    try:
        if not mqtt.connected.wait(PUBLISH_TIMEOUT_S):
            raise _fail(f"no connection to the broker {settings.mqtt.host}:{settings.mqtt.port}")
        try:
            sent = publish_model(store, mqtt, bundle, targets, stream=stream, key=key)
        except PublishError as exc:
            raise _fail(str(exc)) from None
        mids.update(mid for _manifest, mid in sent if mid is not None)
        if len(mids) != len(sent) or not (mids <= acked or done.wait(PUBLISH_TIMEOUT_S)):
            raise _fail("the broker did not take every manifest; publish again")
    finally:
        mqtt.stop()
    manifest = sent[0][0]
    typer.echo(f"model {manifest.version} ({manifest.size_bytes} bytes, sha256 {manifest.sha256[:12]}) offered to:")
    for offered, _mid in sent:
        typer.echo(f"  {offered.site}/{offered.station}")
