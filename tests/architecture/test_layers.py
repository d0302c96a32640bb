"""The layers of docs/architecture.md hold: checked with import-linter's contracts in pyproject.toml.

The same contracts run on a copy of the tree with one wrong import put in, to show that the check can fail."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("sortcentre", "firmware_mocks", "local_servers", "edge", "hub", "config", "core", "bench")
# import-linter's own command, from the environment that runs the tests
LINT_IMPORTS = [str(Path(sys.executable).with_name("lint-imports"))]


def lint_imports(tree: Path) -> subprocess.CompletedProcess[str]:
    """Run lint-imports on the packages under ``tree`` (and only those: the checkout's editable install is
    found after PYTHONPATH, so the copy wins)."""
    env = os.environ | {"PYTHONPATH": str(tree)}
    return subprocess.run(
        [*LINT_IMPORTS, "--no-cache"], cwd=tree, env=env, capture_output=True, text=True, timeout=180, check=False
    )


@pytest.fixture(scope="module")
def copied_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tree = tmp_path_factory.mktemp("tree")
    for package in PACKAGES:
        skip = shutil.ignore_patterns("__pycache__", "static", "*.onnx", "*.svg")
        shutil.copytree(ROOT / package, tree / package, ignore=skip)
    shutil.copy(ROOT / "pyproject.toml", tree / "pyproject.toml")
    # bench's contract names the test suite: an empty package stands in for it
    (tree / "tests").mkdir()
    (tree / "tests" / "__init__.py").write_text("")
    return tree


def with_import(tree: Path, module: str, statement: str, tmp_path: Path) -> Path:
    """A copy of ``tree`` whose ``module`` gains ``statement``."""
    copy = tmp_path / "tree"
    shutil.copytree(tree, copy)
    path = copy / (module.replace(".", "/") + ".py")
    path.write_text(path.read_text() + f"\n{statement}\n")
    return copy


def test_the_checkout_keeps_every_contract() -> None:
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 4 kept, 0 broken." in result.stdout, result.stdout


def test_the_copy_keeps_every_contract(copied_tree: Path) -> None:
    """The copy is faithful: without a change it passes, so the failures below come from the one added import."""
    result = lint_imports(copied_tree)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("module", "statement", "reported"),
    [
        # the contract reaching up into the hub
        ("core.contract.topics", "import hub.service", "core.contract.topics -> hub.service"),
        # a config model importing the station's runtime
        ("config.files", "import edge.stations.journal", "config.files -> edge.stations.journal"),
        # the hub reaching into the station (siblings never import each other)
        ("hub.storage.points", "import edge.stations.journal", "hub.storage.points -> edge.stations.journal"),
        # production code importing a development-only server
        ("hub.ingest.workers", "import local_servers.process", "hub.ingest.workers -> local_servers.process"),
        # a config model importing an OCR library
        ("config.files", "import cv2", "config.files -> cv2"),
        # a benchmark importing the test suite
        ("bench.stats", "import tests", "bench.stats -> tests"),
    ],
)
def test_a_wrong_import_breaks_a_contract(
    copied_tree: Path, tmp_path: Path, module: str, statement: str, reported: str
) -> None:
    tree = with_import(copied_tree, module, statement, tmp_path)
    result = lint_imports(tree)
    assert result.returncode == 1, result.stdout + result.stderr
    assert reported in result.stdout, result.stdout
