"""Data files shipped inside the packages (pictograms, web pages, model files), found with ``importlib.resources``.

A path relative to a source file only works in a checkout laid out like the repository; ``importlib.resources``
finds a package's files wherever the package was installed from (a wheel, an editable install, a checkout).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path


class PackageDataError(RuntimeError):
    """A package's data is not on disk as plain files (a zipped install), so it cannot be served or loaded by path."""


def data_path(package: str, *parts: str) -> Path:
    """The file or folder ``parts`` inside ``package``, as a path on disk.

    The web servers (``StaticFiles``) and onnxruntime need real paths, so a package whose files are not plain files
    on disk is refused with an error naming it instead of failing later on a path that does not exist.
    """
    found = resources.files(package)
    for part in parts:  # one at a time: Python 3.11's namespace-package Traversable takes one name per joinpath
        found = found.joinpath(part)
    if not isinstance(found, Path):
        raise PackageDataError(f"{package} is not installed as plain files, so {'/'.join(parts)} has no path: {found}")
    return found
