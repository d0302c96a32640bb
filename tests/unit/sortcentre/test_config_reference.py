"""Docs that are generated or quoted from code must match it."""

from pathlib import Path

from sortcentre.config_reference import reference

DOCS = Path(__file__).resolve().parents[3] / "docs"


def test_configuration_reference_is_current() -> None:
    committed = (DOCS / "configuration.md").read_text()
    assert committed == reference(), "run: python -m sortcentre.config_reference > docs/configuration.md"
