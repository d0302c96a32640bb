"""Spoken Dutch: the phrase for each category, espeak-ng's command line, the speaking thread, and (the issue's
acceptance) every shipped category's phrase rendered by espeak-ng to a WAV file of plausible length."""

from __future__ import annotations

import logging
import shutil
import subprocess
import tomllib
import uuid
import wave
from pathlib import Path

import pytest

from config.station import SpeechConfig
from edge.stations.agent_view import AgentView, LastEvent, PublishedView
from edge.stations.kiosk.speech import ESPEAK, SpokenNames, espeak_command, spoken_phrase
from edge.stations.sorting_events import sorted_event
from tests.conftest import wait_until
from tests.unit.edge.stations.configs import station_config

ROOT = Path(__file__).resolve().parents[5]


def dutch_names() -> dict[str, str]:
    """Every category's Dutch name the project ships (reference data and demo stations), by stream/category."""
    reference = tomllib.loads((ROOT / "hub" / "reference" / "default.toml").read_text(encoding="utf-8"))
    names = {f"{c['stream']}/{c['category']}": c["name_nl"] for c in reference["categories"]}
    demo = tomllib.loads((ROOT / "sortcentre" / "demo" / "stations.toml").read_text(encoding="utf-8"))
    for stream, categories in demo["categories"].items():
        names |= {f"{stream}/{c['id']}-demo": c["nl"] for c in categories}
    return names


def test_the_phrase_reads_brackets_as_a_pause_and_keeps_the_words() -> None:
    assert spoken_phrase("PP (polypropeen)") == "PP, polypropeen"
    assert spoken_phrase("PET (flessen, bakjes)") == "PET, flessen, bakjes"
    assert spoken_phrase("Cd's en dvd's") == "Cd's en dvd's"
    assert spoken_phrase("Crème (hergebruik hier)") == "Crème, hergebruik hier"
    assert spoken_phrase("<script>-x") == "script -x"
    assert len(spoken_phrase("a" * 500)) == 120


def test_the_phrase_is_one_argument_after_the_options() -> None:
    command = espeak_command("-w /etc/passwd", SpeechConfig(enabled=True, volume=60))
    assert command == ["espeak-ng", "-v", "nl", "-a", "60", "-s", "140", "--", "-w /etc/passwd"]
    assert espeak_command("PVC", SpeechConfig(), wav=Path("o.wav"))[-4:] == ["-w", "o.wav", "--", "PVC"]


def test_speech_is_off_by_default() -> None:
    assert SpeechConfig().enabled is False
    assert SpokenNames(SpeechConfig(), lambda: pytest.fail("read while off")).start() is False


def test_a_missing_espeak_is_one_loud_warning_and_the_station_goes_on(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    view = AgentView.at_start(station_config(tmp_path))
    names = SpokenNames(SpeechConfig(enabled=True), lambda: view, program="no-such-espeak-ng")
    with caplog.at_level(logging.WARNING):
        assert names.start() is False
    names.stop()
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "apt-get install espeak-ng" in warnings[0].getMessage()


def test_each_new_sorted_item_is_said_once_in_dutch_and_undo_says_nothing(tmp_path: Path) -> None:
    said = tmp_path / "said.txt"
    program = tmp_path / "fake-espeak"
    program.write_text(f'#!/bin/sh\nfor last; do :; done\nprintf "%s\\n" "$last" >> {said}\n', encoding="utf-8")
    program.chmod(0o755)
    config = station_config(tmp_path)
    published = PublishedView(AgentView.at_start(config))
    names = SpokenNames(SpeechConfig(enabled=True), lambda: published.current, program=str(program))
    assert names.start() is True
    try:
        event = sorted_event(config.station, uuid.uuid4(), 1, "pet", 0.2, None)
        published.change(last=LastEvent(event, 0.0))
        assert wait_until(lambda: said.exists() and said.read_text(encoding="utf-8").count("\n") == 1, timeout=5)
        published.change(last=LastEvent(event, 0.0, undone=True))  # the same event, taken back: not said again
        second = sorted_event(config.station, uuid.uuid4(), 2, "residual", 0.1, None)
        published.change(last=LastEvent(second, 0.0))
        assert wait_until(lambda: said.read_text(encoding="utf-8").count("\n") == 2, timeout=5)
    finally:
        names.stop()
    assert said.read_text(encoding="utf-8").splitlines() == ["PET, flessen, bakjes", "Restafval"]
    assert names.spoken == ["PET, flessen, bakjes", "Restafval"]


def wav_seconds(path: Path) -> float:
    with wave.open(str(path)) as wav:
        return wav.getnframes() / wav.getframerate()


def test_every_shipped_category_is_said_by_espeak_ng_in_plausible_time(tmp_path: Path) -> None:
    """The acceptance test: the station's own command line, to a WAV file instead of the speaker."""
    assert shutil.which(ESPEAK), "espeak-ng is missing: apt-get install espeak-ng (scripts/bootstrap.sh does it)"
    config = SpeechConfig(enabled=True)
    seconds: dict[str, float] = {}
    for key, name in sorted(dutch_names().items()):
        phrase = spoken_phrase(name)
        out = tmp_path / (key.replace("/", "_") + ".wav")
        subprocess.run(espeak_command(phrase, config, wav=out), check=True, timeout=30, capture_output=True)
        assert out.stat().st_size > 1000, key
        seconds[phrase] = wav_seconds(out)
        assert 0.3 <= seconds[phrase] <= 5.0, (phrase, seconds[phrase])
    assert len(seconds) >= 15
    # Longer names take longer to say.
    shortest = min(seconds, key=len)
    longest = max(seconds, key=len)
    assert seconds[longest] > 1.5 * seconds[shortest], (shortest, longest, seconds)
