"""What the station agent's parts share: its config, the published view, this boot, the devices and the journal.

The agent builds one `StationParts` and hands it to its health reporting and its sorting machine, so each takes the
shared parts in one argument and only its own collaborators beside it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from config.station import StationConfig
from edge.stations.agent_view import PublishedView
from edge.stations.buttons import Buttons
from edge.stations.camera import Camera
from edge.stations.journal import Journal
from edge.stations.lights import Lights
from edge.stations.model_updates import ModelStatus
from edge.stations.scale_supervisor import ScaleSupervisor
from edge.stations.vision_link import VisionLink


@dataclass(frozen=True, slots=True)
class StationParts:
    config: StationConfig
    view: PublishedView
    boot_id: uuid.UUID
    scale: ScaleSupervisor
    buttons: Buttons
    journal: Journal
    vision: VisionLink | None = None
    camera: Camera | None = None
    models: ModelStatus | None = None  # signed models from the hub; None: the station does not follow them
    lights: Lights | None = None  # side lights (vision.lights); None: none configured
