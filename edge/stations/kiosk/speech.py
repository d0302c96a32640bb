"""Spoken Dutch: when a press sorts an item, the station says the category's Dutch name (espeak-ng, offline).

A sorter learning Dutch hears the word with the item in hand. Speech never stands in the way of weighing: it runs
in its own thread, which watches the agent's published view (never the state machine) and starts espeak-ng as a
child process without waiting for it. A station without espeak-ng says so once, loudly, and goes on silent.
"""

from __future__ import annotations

import logging
import re
import shutil
import subprocess
import threading
from collections.abc import Callable
from pathlib import Path
from uuid import UUID

from config.station import SpeechConfig
from edge.stations.agent_view import AgentView

logger = logging.getLogger(__name__)

ESPEAK = "espeak-ng"
# 100 ms: the word follows the press at once for a listener, and one attribute read per poll costs nothing.
POLL_INTERVAL_S = 0.1
# A name longer than this is cut: a label is a few words, and espeak-ng's run time follows the text.
MAX_PHRASE_CHARS = 120


def spoken_phrase(dutch_name: str) -> str:
    """What the station says for a category: its Dutch name, brackets read as a pause ("PP (polypropeen)" is said
    "PP, polypropeen"), nothing but letters, digits and plain punctuation."""
    text = re.sub(r"\s*[()\[\]]\s*", ", ", dutch_name)
    text = re.sub(r"[^\w\s,.'-]", " ", text)
    text = re.sub(r"\s+", " ", re.sub(r"(,\s*)+", ", ", text)).strip(" ,")
    return text[:MAX_PHRASE_CHARS]


def espeak_command(phrase: str, config: SpeechConfig, wav: Path | None = None, program: str = ESPEAK) -> list[str]:
    """The espeak-ng command line that says ``phrase`` (to ``wav`` instead of the speaker when given). The phrase
    is one argument after ``--``, so no text is ever read as an option."""
    command = [program, "-v", config.voice, "-a", str(config.volume), "-s", str(config.words_per_minute)]
    if wav is not None:
        command += ["-w", str(wav)]
    return [*command, "--", phrase]


class SpokenNames:
    """Says the Dutch name of each newly sorted item's category. ``start()`` does nothing when speech is off."""

    def __init__(self, config: SpeechConfig, read_view: Callable[[], AgentView], program: str = ESPEAK) -> None:
        self._config = config
        self._read_view = read_view
        self._program = program
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._speaking: subprocess.Popen[bytes] | None = None
        self.spoken: list[str] = []
        """What was said, newest last (the last 100): for the log and tests."""

    def start(self) -> bool:
        """True when speech is on and espeak-ng was found; a missing espeak-ng is one warning."""
        if not self._config.enabled:
            return False
        found = shutil.which(self._program)
        if found is None:
            logger.warning(
                "spoken Dutch is on ([kiosk.speech] enabled) but %s is not installed: the station goes on without "
                "speech; install it with `apt-get install espeak-ng`",
                self._program,
            )
            return False
        self._program = found
        self._thread = threading.Thread(target=self._run, name="kiosk-speech", daemon=True)
        self._thread.start()
        logger.info("spoken Dutch on (%s, volume %d)", found, self._config.volume)
        return True

    def stop(self, timeout_s: float = 2.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout_s)
            self._thread = None
        if self._speaking is not None and self._speaking.poll() is None:
            self._speaking.terminate()

    def _run(self) -> None:
        last = self._read_view().last
        seen: UUID | None = None if last is None else last.event.event_id  # what was sorted before: not said
        while not self._stop.wait(POLL_INTERVAL_S):
            view = self._read_view()
            last = view.last
            if last is None or last.event.event_id == seen:
                continue
            seen = last.event.event_id
            tile = next((t for t in view.tiles if t.id == last.event.category), None)
            if tile is not None:
                self.say(spoken_phrase(tile.nl))

    def say(self, phrase: str) -> None:
        """Starts saying ``phrase``; a word still being said for the previous item is cut short (the sorter is on
        to the next one). Never waits for espeak-ng."""
        if not phrase:
            return
        if self._speaking is not None and self._speaking.poll() is None:
            self._speaking.terminate()
        try:
            self._speaking = subprocess.Popen(
                espeak_command(phrase, self._config, program=self._program),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        except OSError as exc:
            logger.warning(
                "spoken Dutch stopped: %s could not run (%s); the station goes on without it", self._program, exc
            )
            self._stop.set()
            return
        self.spoken = [*self.spoken[-99:], phrase]
