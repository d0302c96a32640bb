"""Reference data: the shipped file, the lookups feeds and reports rely on, and each error a site's edit can make."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest
import tomli_w

from config.files import ConfigError
from hub.reference import Destination, Market, ReferenceData, load_reference

DEFAULT = Path(__file__).resolve().parents[4] / "hub" / "reference" / "default.toml"
STATIONS = Path(__file__).resolve().parents[4] / "sortcentre" / "demo" / "stations.toml"


@pytest.fixture(scope="module")
def reference() -> ReferenceData:
    return load_reference(None)


def default_data() -> dict[str, Any]:
    with DEFAULT.open("rb") as handle:
        return tomllib.load(handle)


def write(tmp_path: Path, data: dict[str, Any]) -> Path:
    path = tmp_path / "reference.toml"
    path.write_text(tomli_w.dumps(data))
    return path


def test_the_default_file_loads_with_the_five_municipalities(reference: ReferenceData) -> None:
    assert reference.version == "2026-12-1"
    assert [m.name for m in reference.municipalities] == ["Zwolle", "Dalfsen", "Ommen", "Staphorst", "Zwartewaterland"]
    assert reference.sites == {"zwolle", "dalfsen", "ommen", "staphorst", "zwartewaterland"}
    assert load_reference(DEFAULT) == reference  # the packaged copy is this file


def test_every_demo_category_has_reference_data_and_a_factor(reference: ReferenceData) -> None:
    with STATIONS.open("rb") as handle:
        demo = tomllib.load(handle)
    for stream, categories in demo["categories"].items():
        for entry in categories:
            found = reference.category(stream, entry["id"])
            assert found is not None, (stream, entry["id"])
            assert found.name_nl == entry["nl"] and found.name_en == entry["en"]
            assert reference.factor(stream, entry["id"]) is not None, (stream, entry["id"])
    for station in demo["station"]:
        assert reference.municipality_of(station["site"]) is not None, station


def destination(reference: ReferenceData, stream: str, category: str) -> Destination:
    found = reference.category(stream, category)
    assert found is not None, (stream, category)
    return found.destination


def factor(reference: ReferenceData, stream: str, category: str) -> float:
    found = reference.factor(stream, category)
    assert found is not None, (stream, category)
    return found.kg_co2e_per_kg


def test_destinations_and_factors_of_the_default(reference: ReferenceData) -> None:
    creme, export = reference.category("textile", "creme"), reference.category("textile", "export")
    assert creme is not None and (creme.destination, creme.market) == (Destination.R3, Market.NL)
    assert export is not None and (export.destination, export.market) == (Destination.R3, Market.EXPORT)
    recycling = reference.category("textile", "recycling")
    assert recycling is not None and recycling.destination is Destination.R8 and not recycling.fibre_to_fibre
    assert destination(reference, "textile", "wipers") is Destination.R7
    assert destination(reference, "duvets", "down") is Destination.R7
    assert destination(reference, "media", "cd") is Destination.R8
    for stream in ("plastic", "textile"):
        assert destination(reference, stream, "residual") is Destination.RESIDUAL
        assert factor(reference, stream, "residual") == 0
    for category in ("pp", "ps", "pet", "hdpe", "ldpe"):
        assert destination(reference, "plastic", category) is Destination.R8
        assert 1 <= factor(reference, "plastic", category) <= 2
    # Reuse saves several times what recycling saves; every factor says where it comes from.
    assert factor(reference, "textile", "creme") > 3 * factor(reference, "textile", "recycling")
    assert all(len(f.source) > 20 for f in reference.factors.values())


def test_lookups_by_slug_and_by_name(reference: ReferenceData) -> None:
    for spelling in ("dalfsen", "Dalfsen", " DALFSEN"):
        assert reference.sites_of(spelling) == {"dalfsen"}
    zwartewaterland, ommen = reference.municipality("Zwartewaterland"), reference.municipality_of("ommen")
    assert zwartewaterland is not None and zwartewaterland.slug == "zwartewaterland"
    assert ommen is not None and ommen.name == "Ommen"
    assert reference.municipality_of("nowhere") is None
    with pytest.raises(KeyError, match=r"no municipality 'Kampen'.*known: Zwolle, Dalfsen"):
        reference.sites_of("Kampen")
    assert reference.category("textile", "nothing") is None
    assert reference.factor("textile", "nothing") is None


def test_factor_falls_back_to_stream_then_destination() -> None:
    data = default_data()
    data["categories"].append(
        {"stream": "textile", "category": "shoes", "name_nl": "Schoenen", "name_en": "Shoes", "destination": "R3"}
    )
    data["categories"].append(
        {"stream": "toys", "category": "lego", "name_nl": "Lego", "name_en": "Lego", "destination": "R3"}
    )
    data["factors"]["toys"] = {"kg_co2e_per_kg": 4.5, "source": "indicative, to be confirmed by the site"}
    reference = ReferenceData.model_validate(data)
    assert factor(reference, "toys", "lego") == 4.5  # the stream's
    assert reference.factor("textile", "shoes") == reference.factors["R3"]  # the destination's
    assert reference.factor("textile", "creme") == reference.factors["textile/creme"]  # the category's own
    # A stream's factor never counts the stream's residual as saved; an unknown category gets it.
    data["categories"].append(
        {"stream": "toys", "category": "broken", "name_nl": "Kapot", "name_en": "Broken", "destination": "residual"}
    )
    reference = ReferenceData.model_validate(data)
    assert factor(reference, "toys", "broken") == 0
    assert factor(reference, "toys", "puzzles") == 4.5


def edited(change: str) -> dict[str, Any]:  # noqa: PLR0912 - one branch per bad edit reads best
    data = default_data()
    if change == "unknown top-level key":
        data["colour"] = "green"
    elif change == "unknown key in a category":
        data["categories"][0]["destinaton"] = "R8"
    elif change == "unknown destination":
        data["categories"][2]["destination"] = "R9"
    elif change == "site in two municipalities":
        data["municipalities"][2]["sites"].append("dalfsen")
    elif change == "site twice in one municipality":
        data["municipalities"][0]["sites"].append("zwolle")
    elif change == "factor matching nothing":
        data["factors"]["plastic/nylon"] = {"kg_co2e_per_kg": 1.0, "source": "x"}
    elif change == "negative factor":
        data["factors"]["plastic/pp"]["kg_co2e_per_kg"] = -1.0
    elif change == "factor without source":
        del data["factors"]["plastic/pp"]["source"]
    elif change == "duplicate category":
        data["categories"].append(dict(data["categories"][0]))
    elif change == "duplicate municipality name":
        data["municipalities"].append({"slug": "dalfsen-2", "name": "dalfsen", "sites": []})
    elif change == "site that is not a slug":
        data["municipalities"][0]["sites"] = ["Zwolle Centrum"]
    elif change == "fibre to fibre that is not recycling":
        next(c for c in data["categories"] if c["category"] == "wipers")["fibre_to_fibre"] = True
    elif change == "no version":
        del data["version"]
    return data


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("unknown top-level key", "colour: unknown key"),
        ("unknown key in a category", "categories.0.destinaton: unknown key"),
        ("unknown destination", "categories.2: category plastic/pet: unknown destination 'R9'; use one of R3 (reuse)"),
        ("site in two municipalities", "site 'dalfsen' is in two municipalities: 'dalfsen' and 'ommen'"),
        ("site twice in one municipality", "site 'zwolle' is twice in 'zwolle'"),
        ("factor matching nothing", "factors.'plastic/nylon': matches no category (stream/category), stream or"),
        ("negative factor", "factors.plastic/pp.kg_co2e_per_kg: Input should be greater than or equal to 0"),
        ("factor without source", "factors.plastic/pp.source: required key is missing"),
        ("duplicate category", "categories: stream/category 'plastic/pp' appears twice"),
        ("duplicate municipality name", "municipalities: name 'dalfsen' appears twice"),
        ("site that is not a slug", "municipalities.0.sites.0: String should match pattern"),
        ("fibre to fibre that is not recycling", "category textile/wipers: fibre_to_fibre is a kind of recycling"),
        ("no version", "version: required key is missing"),
    ],
)
def test_each_bad_edit_is_an_error_naming_it(tmp_path: Path, change: str, message: str) -> None:
    path = write(tmp_path, edited(change))
    with pytest.raises(ConfigError) as caught:
        load_reference(path)
    assert str(path) in str(caught.value)
    assert message in str(caught.value), str(caught.value)
    # One line for the file, one for the problem: no section of the file quoted back whole.
    assert len(str(caught.value).splitlines()) == 2 and len(str(caught.value)) < 400, str(caught.value)


def test_a_missing_or_broken_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such file"):
        load_reference(tmp_path / "nope.toml")
    broken = tmp_path / "broken.toml"
    broken.write_text("version = \n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_reference(broken)
