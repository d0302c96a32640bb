"""Package data is found through importlib.resources, as a path on disk, or refused by name."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.package_data import PackageDataError, data_path


def test_a_packages_file_and_folder_are_paths_on_disk() -> None:
    assert (data_path("core.pictograms") / "generic.svg").is_file()
    assert data_path("hub", "web", "static", "dashboard.html").is_file()
    assert data_path("edge.vision.weights", "efficientnet-lite0-features.card.json").is_file()


def test_data_that_is_not_plain_files_is_refused_by_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A namespace package has no single folder: importlib.resources gives a Traversable that is not a Path, as it
    # does for a zipped install.
    (tmp_path / "spread_out").mkdir()
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(PackageDataError, match="spread_out is not installed as plain files"):
        data_path("spread_out")
