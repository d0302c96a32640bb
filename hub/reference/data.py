"""Reference data: which municipality each site is in, where each category goes on the R-ladder, and the CO2e
factors with their sources (issue 7).

One versioned TOML file, shipped as ``hub/reference/default.toml``; a site that edits it keeps its own copy
(the hub's ``reference_file`` setting) and raises ``version``. Every feed and report answer carries the version,
so a figure can always be traced to the reference data it was computed with.

Checks that span the file (a site in two municipalities, a factor for a category that does not exist) run in
the model itself, so a ``ReferenceData`` built in code is held to the same rules as one read from a file.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from config.files import ConfigError, describe, read_toml
from core.contract.payloads import Slug  # the wire's: an entry that no event can carry would hide a typo

Name = Annotated[str, Field(min_length=1, max_length=80)]


class Destination(StrEnum):
    """Rungs of the R-ladder that a sorted category can go to; ``residual`` is the incinerator."""

    R3 = "R3"  # reuse
    R4 = "R4"  # repair
    R5 = "R5"  # refurbish
    R6 = "R6"  # remanufacture
    R7 = "R7"  # repurpose
    R8 = "R8"  # recycle
    RESIDUAL = "residual"

    @property
    def name_nl(self) -> str:
        return _DESTINATION_NAMES[self][0]

    @property
    def name_en(self) -> str:
        return _DESTINATION_NAMES[self][1]


_DESTINATION_NAMES = {
    Destination.R3: ("hergebruik", "reuse"),
    Destination.R4: ("reparatie", "repair"),
    Destination.R5: ("opknappen", "refurbish"),
    Destination.R6: ("herfabricage", "remanufacture"),
    Destination.R7: ("herbestemming", "repurpose"),
    Destination.R8: ("recycling", "recycle"),
    Destination.RESIDUAL: ("restafval", "residual"),
}


class Market(StrEnum):
    """Where reused goods are sold: the UPV Textiel report splits reuse in the Netherlands from export."""

    NL = "nl"
    EXPORT = "export"


class _Model(BaseModel):
    # frozen: one ReferenceData is shared by every request of the hub.
    model_config = ConfigDict(extra="forbid", frozen=True)


class CategoryRef(_Model):
    stream: Slug = Field(description="stream slug as the stations send it, e.g. 'textile'")
    category: Slug = Field(description="category slug within the stream, e.g. 'creme'")
    name_nl: Name = Field(description="name in Dutch, for reports")
    name_en: Name = Field(description="name in English, for reports")
    destination: Destination = Field(description="rung of the R-ladder this category goes to")
    market: Market = Field(Market.NL, description="for reuse: sold in the Netherlands or exported")
    fibre_to_fibre: bool = Field(False, description="textile recycling that goes to new fibre for new textile")

    @model_validator(mode="before")
    @classmethod
    def _known_destination(cls, data: Any) -> Any:
        # pydantic's own enum message names the list index only; the sorter who edits the file knows the slugs.
        if isinstance(data, dict) and "destination" in data and data["destination"] not in set(Destination):
            choices = ", ".join(f"{d.value} ({d.name_en})" for d in Destination)
            raise ValueError(
                f"category {data.get('stream')}/{data.get('category')}: unknown destination "
                f"{data['destination']!r}; use one of {choices}"
            )
        return data

    @model_validator(mode="after")
    def _fibre_to_fibre_is_recycling(self) -> Self:
        if self.fibre_to_fibre and self.destination is not Destination.R8:
            raise ValueError(f"category {self.key}: fibre_to_fibre is a kind of recycling; set destination = 'R8'")
        return self

    @property
    def key(self) -> str:
        return f"{self.stream}/{self.category}"


class Factor(_Model):
    # 100 kg CO2e per kg is far above any material we sort (new cotton is about 10-20): more is a typo.
    kg_co2e_per_kg: float = Field(
        ge=0, le=100, description="kg CO2e avoided per kg sent to this destination instead of incineration"
    )
    source: str = Field(
        min_length=1, max_length=500, description="where the figure comes from (a citation), in English"
    )
    source_nl: str | None = Field(
        None, min_length=1, max_length=500, description="the same in Dutch, for the printed reports; none: the English"
    )


class Municipality(_Model):
    slug: Slug = Field(description="municipality slug, e.g. 'dalfsen'")
    name: Name = Field(description="the municipality's name, e.g. 'Dalfsen'")
    sites: list[Slug] = Field(default_factory=list, description="sites (collection points) in this municipality")


class ReferenceData(_Model):
    version: str = Field(min_length=1, max_length=40, description="raise it with every edit, e.g. '2026-11-1'")
    municipalities: list[Municipality] = Field(default_factory=list)
    categories: list[CategoryRef] = Field(default_factory=list)
    factors: dict[str, Factor] = Field(
        default_factory=dict,
        description="keyed 'stream/category', 'stream' (fallback) or a destination code (last fallback)",
    )

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        _unique("municipalities", "slug", (m.slug for m in self.municipalities))
        _unique("municipalities", "name", (m.name.casefold() for m in self.municipalities))
        _unique("categories", "stream/category", (c.key for c in self.categories))
        home: dict[str, str] = {}
        for municipality in self.municipalities:
            for site in municipality.sites:
                if site in home:
                    where = "twice in" if home[site] == municipality.slug else "in two municipalities:"
                    others = "" if home[site] == municipality.slug else f" {home[site]!r} and"
                    raise ValueError(f"municipalities: site {site!r} is {where}{others} {municipality.slug!r}")
                home[site] = municipality.slug
        streams = {c.stream for c in self.categories}
        for key in self.factors:
            if key not in self._by_key and key not in streams and key not in set(Destination):
                raise ValueError(f"factors.{key!r}: matches no category (stream/category), stream or destination code")
        return self

    @cached_property
    def _by_key(self) -> dict[str, CategoryRef]:
        return {c.key: c for c in self.categories}

    @cached_property
    def _by_site(self) -> dict[str, Municipality]:
        return {site: m for m in self.municipalities for site in m.sites}

    @cached_property
    def _by_municipality(self) -> dict[str, Municipality]:
        index = {m.name.casefold(): m for m in self.municipalities}
        index.update({m.slug: m for m in self.municipalities})
        return index

    @property
    def sites(self) -> frozenset[str]:
        """Every site of every municipality."""
        return frozenset(self._by_site)

    def municipality(self, slug_or_name: str) -> Municipality | None:
        """By slug or by name, case-insensitive: ``dalfsen``, ``Dalfsen`` and ``DALFSEN`` are one municipality."""
        return self._by_municipality.get(slug_or_name.strip().casefold())

    def municipality_of(self, site: str) -> Municipality | None:
        return self._by_site.get(site)

    def sites_of(self, municipality: str) -> frozenset[str]:
        """The sites of a municipality given by slug or name; an unknown one is a ``KeyError`` naming it."""
        found = self.municipality(municipality)
        if found is None:
            known = ", ".join(m.name for m in self.municipalities)
            raise KeyError(f"no municipality {municipality!r} in reference data {self.version} (known: {known})")
        return frozenset(found.sites)

    def category(self, stream: str, category: str) -> CategoryRef | None:
        return self._by_key.get(f"{stream}/{category}")

    def factor(self, stream: str, category: str) -> Factor | None:
        """The most specific factor: for the category, else for its stream, else for the category's destination.

        A stream's factor is not for the stream's residual categories: what is burnt saves nothing, and a factor
        for "textile" written with reuse in mind must not count the textile residual as saved."""
        known = self.category(stream, category)
        keys = [f"{stream}/{category}"]
        if known is None or known.destination is not Destination.RESIDUAL:
            keys.append(stream)
        for key in keys:
            if key in self.factors:
                return self.factors[key]
        return self.factors.get(known.destination.value) if known else None


def _unique(section: str, what: str, values: Iterable[str]) -> None:
    seen: set[str] = set()
    for value in values:
        if value in seen:
            raise ValueError(f"{section}: {what} {value!r} appears twice")
        seen.add(value)


def _describe(exc: ValidationError, source: str) -> str:
    """``describe`` quotes each bad input; for our own checks the message names the entry already, and the input
    would be a whole section of the file."""
    lines = describe(exc, source).splitlines()
    for number, error in enumerate(exc.errors(), start=1):
        if error["type"] == "value_error":
            message = str(error["msg"]).removeprefix("Value error, ")
            key = ".".join(str(part) for part in error["loc"])
            lines[number] = f"  {key}: {message}" if key else f"  {message}"
    return "\n".join(lines)


def load_reference(path: Path | None = None) -> ReferenceData:
    """The reference data in ``path``, or the packaged default; a ``ConfigError`` names each bad key."""
    if path is None:
        with resources.as_file(resources.files(__package__).joinpath("default.toml")) as default:
            return _load(default)
    return _load(path)


def _load(path: Path) -> ReferenceData:
    try:
        return ReferenceData.model_validate(read_toml(path))
    except ValidationError as exc:
        raise ConfigError(_describe(exc, str(path))) from None
