"""The second language on the sorter's screen: one line under each Dutch category name, in the sorter's own language.

Translations are data, one TOML file per language (``languages/<code>.toml`` in this package): the language's own
name, its writing direction and a ``[categories]`` table keyed by category id (``"stream/category"`` wins over the
plain id, for an id that two streams use). A site adds or corrects languages without code: files of the same shape
in the folder ``[kiosk] languages_folder`` names override the shipped texts key by key, or add a language.

The chosen language is one per station, kept in a small JSON file on the station's disk, so a reboot keeps it.
"""

from __future__ import annotations

import json
import logging
import os
import re
import tempfile
import threading
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from core.package_data import data_path

logger = logging.getLogger(__name__)

SHIPPED = data_path("edge.stations.kiosk", "languages")
# The order the language key cycles through when the config names none: the languages the seed's sorters speak
# most, English first because a supervisor can check it.
SHIPPED_ORDER = ("en", "ar", "ti", "uk", "tr", "pl")

# ISO 639 codes: two or three lowercase letters. Anything else is not a language file (and never reaches a path).
LANGUAGE_CODE = re.compile(r"^[a-z]{2,3}$")
# A translation file is a few kB; a site folder holds a handful. Bounds keep a stray large file from being parsed.
MAX_FILE_BYTES = 64 * 1024
MAX_FILES = 100
MAX_TEXT = 80
# The choice file holds one short JSON object.
MAX_CHOICE_BYTES = 1024

CategoryKey = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,39}(/[a-z0-9][a-z0-9_-]{0,39})?$")]
Text = Annotated[str, StringConstraints(min_length=1, max_length=MAX_TEXT, strip_whitespace=True)]


class LanguageFile(BaseModel):
    """One ``<code>.toml``. In a site's folder every key is optional: what it names overrides the shipped file."""

    model_config = ConfigDict(extra="forbid")

    name: Text | None = Field(None, description="the language's own name, shown on the language key")
    dir: Literal["ltr", "rtl"] | None = Field(None, description="writing direction: rtl for Arabic, Hebrew, Farsi")
    categories: dict[CategoryKey, Text] = Field(default_factory=dict, max_length=1000)


@dataclass(frozen=True, slots=True)
class Language:
    code: str
    name: str
    dir: Literal["ltr", "rtl"]
    categories: Mapping[str, str]

    def text_for(self, stream: str, category: str) -> str | None:
        """The category's name in this language: the stream's own entry first, then the plain id's."""
        return self.categories.get(f"{stream}/{category}") or self.categories.get(category)


def _read(path: Path) -> LanguageFile:
    """Parses one file; raises ValueError with the reason (too large, not TOML, a wrong key)."""
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise ValueError(f"{size} bytes, more than the {MAX_FILE_BYTES} a translation file may have")
    try:
        return LanguageFile.model_validate(tomllib.loads(path.read_text(encoding="utf-8")))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError, ValidationError) as exc:
        raise ValueError(str(exc)) from exc


def _files(folder: Path) -> list[Path]:
    found = sorted(p for p in folder.glob("*.toml") if p.is_file())
    if len(found) > MAX_FILES:
        logger.warning("%s has %d translation files; only the first %d are read", folder, len(found), MAX_FILES)
    return found[:MAX_FILES]


def load_languages(site_folder: Path | None = None) -> dict[str, Language]:
    """The shipped languages, with a site's files laid over them. A bad site file is skipped with a warning that
    names it and why; the station goes on with the rest."""
    merged: dict[str, LanguageFile] = {path.stem: _read(path) for path in _files(SHIPPED)}
    if site_folder is not None:
        if not site_folder.is_dir():
            logger.warning(
                "kiosk languages folder %s is not a folder: only the shipped languages are used", site_folder
            )
        else:
            for path in _files(site_folder):
                code = path.stem
                if not LANGUAGE_CODE.match(code):
                    logger.warning("skipped %s: the file name must be a language code such as ar.toml", path)
                    continue
                try:
                    extra = _read(path)
                except (OSError, ValueError) as exc:
                    logger.warning("skipped the translation file %s: %s", path, exc)
                    continue
                base = merged.get(code, LanguageFile())
                merged[code] = LanguageFile(
                    name=extra.name or base.name,
                    dir=extra.dir or base.dir,
                    categories={**base.categories, **extra.categories},
                )
                logger.info("kiosk language %s: %d texts from %s", code, len(extra.categories), path)
    languages: dict[str, Language] = {}
    for code, file in merged.items():
        if file.name is None:
            logger.warning('kiosk language %s has no name (add name = "..." to its file): not offered', code)
            continue
        languages[code] = Language(code, file.name, file.dir or "ltr", dict(file.categories))
    return languages


def cycle_order(languages: Mapping[str, Language], wanted: Sequence[str] | None) -> list[str]:
    """The languages the key cycles through: the config's list (unknown codes warned about and left out), or every
    language, shipped ones first in :data:`SHIPPED_ORDER`, then a site's in alphabetical order."""
    if wanted is not None:
        unknown = [code for code in wanted if code not in languages]
        if unknown:
            logger.warning("kiosk languages %s have no translation file: left out of the language key", unknown)
        return list(dict.fromkeys(code for code in wanted if code in languages))
    return [c for c in SHIPPED_ORDER if c in languages] + sorted(c for c in languages if c not in SHIPPED_ORDER)


class LanguageChoice:
    """The station's chosen second language (None: Dutch only), kept in ``file`` so that a reboot keeps it.

    Without a file the choice lives in memory only. Safe to use from several threads (the server's pool).
    """

    def __init__(self, offered: Iterable[str], file: Path | None = None) -> None:
        self._offered = frozenset(offered)
        self._file = file
        self._lock = threading.Lock()
        self._code = self._load()

    @property
    def code(self) -> str | None:
        return self._code

    def _load(self) -> str | None:
        if self._file is None or not self._file.exists():
            return None
        try:
            if self._file.stat().st_size > MAX_CHOICE_BYTES:
                raise ValueError("too large")
            saved = json.loads(self._file.read_text(encoding="utf-8")).get("second_language")
        except (OSError, ValueError, AttributeError) as exc:
            logger.warning("could not read the kiosk's chosen language from %s (%s): Dutch only", self._file, exc)
            return None
        if saved is None:
            return None
        if saved not in self._offered:
            logger.warning("the kiosk's saved language %r is no longer offered: Dutch only", saved)
            return None
        return str(saved)

    def choose(self, code: str | None) -> None:
        """Raises KeyError for a language that is not offered. A failed save is a warning: the choice holds until
        the station restarts."""
        if code is not None and code not in self._offered:
            raise KeyError(code)
        with self._lock:
            if code == self._code:
                return  # nothing to write: a key held down or a page sending twice costs no disk writes
            self._code = code
            if self._file is not None:
                try:
                    _write_atomically(self._file, json.dumps({"second_language": code}) + "\n")
                except OSError as exc:
                    logger.warning("could not keep the kiosk's language in %s (%s): lost at restart", self._file, exc)
        logger.info("kiosk second language: %s", code or "none (Dutch only)")


def _write_atomically(path: Path, text: str) -> None:
    """A reboot mid-write leaves the old file or the new one, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class KioskLanguages:
    """What the sorter's screen needs for its second line: the languages, the key's order and the choice."""

    def __init__(
        self,
        site_folder: Path | None = None,
        offered: Sequence[str] | None = None,
        choice_file: Path | None = None,
    ) -> None:
        self.languages = load_languages(site_folder)
        self.order = cycle_order(self.languages, offered)
        self.choice = LanguageChoice(self.order, choice_file)
        self._missing_warned: set[tuple[str, str]] = set()

    @property
    def chosen(self) -> Language | None:
        code = self.choice.code
        return None if code is None else self.languages[code]

    def second_line(self, language: Language, stream: str, category: str, english: str) -> str:
        """The tile's second line; English falls back on the station's own English label. A missing text is an
        empty line (the Dutch still shows) and one warning per language and category."""
        text = language.text_for(stream, category)
        if text is None and language.code == "en":
            text = english
        if text is None:
            if (language.code, category) not in self._missing_warned:
                self._missing_warned.add((language.code, category))
                logger.warning(
                    "no %s text for category %s/%s: add it to %s.toml in the kiosk's languages folder",
                    language.code,
                    stream,
                    category,
                    language.code,
                )
            return ""
        return text
