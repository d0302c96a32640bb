"""The production wheel, installed the way a station or a hub installs it (docs/deploy-station.md): built from the
sources, installed into a fresh virtual environment outside the checkout, and run from a folder outside it.

Nothing here uses the network. The wheel is built with this environment's setuptools (``--no-build-isolation``), and
the fresh environment borrows the dependencies already installed here through a ``.pth`` line that puts this
environment's site-packages on its path. That line only appends a folder: the ``.pth`` files in it (among them the
editable install's finder, which would map ``hub`` and the rest back to the checkout) are not run, so every project
module the fresh environment imports is the wheel's copy, and the first test asserts it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

import pytest

from tests.unit.edge.vision.test_classifier import STREAM, write_dataset

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_STATION = ROOT / "docs" / "examples" / "station.toml"
# What the wheel must leave out: development code (pyproject.toml, [tool.setuptools.packages.find]).
CHECKOUT_ONLY = ("firmware_mocks/", "local_servers/", "sortcentre/demo/")
# Data the runtime finds with importlib.resources: one file of each kind.
PACKAGE_DATA = (
    "core/pictograms/generic.svg",
    "edge/vision/weights/efficientnet-lite0-features.onnx",
    "edge/vision/weights/efficientnet-lite0-features.card.json",
    "edge/stations/kiosk/static/index.html",
    "edge/stations/kiosk/languages/ar.toml",
    "hub/web/static/dashboard.html",
    "hub/web/static/login.html",
    "hub/web/static/vendor/uplot/uPlot.iife.min.js",
    "hub/reference/default.toml",
)
CHECKOUT_ONLY_MESSAGE = "the demo and the simulators run from a source checkout: make demo"
# Building copies the 13 MB backbone; installing, importing FastAPI and onnxruntime and training take seconds each on
# a busy machine. Generous, so a slow machine fails only on a real hang.
TIMEOUT_S = 180


@dataclass(frozen=True, slots=True)
class Installed:
    wheel: Path
    venv: Path
    workdir: Path  # outside the checkout: every command runs here

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "PYTHONHOME", "PYTHONSAFEPATH"}}
        return subprocess.run(
            [str(self.venv / "bin" / args[0]), *args[1:]],
            cwd=self.workdir,
            env=env,
            capture_output=True,
            text=True,
            timeout=TIMEOUT_S,
            check=False,
        )


def _sources(into: Path) -> Path:
    """A copy of what the build reads (setuptools writes build/ and *.egg-info next to the sources it builds): the
    project files and every top-level package, the development ones too, so leaving them out is the config's work."""
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, into / name)
    for folder in sorted(ROOT.iterdir()):
        if (folder / "__init__.py").is_file() and folder.name != "tests":
            shutil.copytree(folder, into / folder.name, ignore=shutil.ignore_patterns("__pycache__"))
    return into


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    if int(version("setuptools").split(".")[0]) < 77:
        pytest.fail(f"setuptools {version('setuptools')} cannot build this project: pip install -e '.[dev]'")
    src = _sources(tmp_path_factory.mktemp("src"))
    dist = tmp_path_factory.mktemp("dist")
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check"]
    build = [*pip, "wheel", "--no-deps", "--no-build-isolation", "--no-index", "--wheel-dir", str(dist), str(src)]
    subprocess.run(build, check=True, capture_output=True, timeout=TIMEOUT_S)
    (wheel,) = dist.glob("sortcentre-*.whl")

    venv = tmp_path_factory.mktemp("venv")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=TIMEOUT_S)
    python = venv / "bin" / "python"
    purelib = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
    ).stdout.strip()
    here = sysconfig.get_paths()
    dependencies = dict.fromkeys([here["purelib"], here["platlib"]])  # one line each, in order, no repeats
    (Path(purelib) / "_sortcentre_test_dependencies.pth").write_text("".join(f"{p}\n" for p in dependencies))
    install = [*pip, "--python", str(python), "install", "--no-deps", "--no-index", "--quiet", str(wheel)]
    subprocess.run(install, check=True, capture_output=True, timeout=TIMEOUT_S)

    workdir = tmp_path_factory.mktemp("elsewhere")
    assert not workdir.is_relative_to(ROOT) and not venv.is_relative_to(ROOT)
    return Installed(wheel, venv, workdir)


def test_the_wheel_holds_the_runtime_and_its_data_and_no_development_code(installed: Installed) -> None:
    names = zipfile.ZipFile(installed.wheel).namelist()
    for prefix in CHECKOUT_ONLY:
        assert not [n for n in names if n.startswith(prefix)], f"{prefix} is development code, not for the wheel"
    assert not [n for n in names if n.startswith(("tests/", "bench/", "models/"))]
    for package in ("core", "config", "edge", "hub", "sortcentre"):
        assert f"{package}/__init__.py" in names
    for data in PACKAGE_DATA:
        assert data in names


def test_the_installed_copy_is_the_wheels_and_finds_its_data(installed: Installed) -> None:
    script = """
import importlib.util, json
import core, config, edge, hub, sortcentre
from edge.stations.kiosk.server import PICTOGRAMS, STATIC as KIOSK
from edge.vision.classifier.backbone import DEFAULT_BACKBONE
from hub.api.app import PICTOGRAMS as HUB_PICTOGRAMS, STATIC as HUB
from hub.reference import load_reference
print(json.dumps({
    "modules": [m.__file__ for m in (core, config, edge, hub, sortcentre)],
    "data": [str(p) for p in (DEFAULT_BACKBONE, PICTOGRAMS / "generic.svg", KIOSK / "index.html",
                              HUB_PICTOGRAMS / "generic.svg", HUB / "dashboard.html")],
    "reference": load_reference().version,
    "development": [n for n in ("firmware_mocks", "local_servers", "sortcentre.demo") if importlib.util.find_spec(n)],
}))
"""
    result = installed.run("python", "-c", script)
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)
    for path in [*found["modules"], *found["data"]]:
        assert Path(path).is_relative_to(installed.venv), f"{path} is not the wheel's copy"
        assert Path(path).is_file(), path
    assert found["reference"]
    assert found["development"] == []


def test_the_installed_kiosk_serves_its_page_and_the_pictograms(installed: Installed) -> None:
    script = """
from fastapi.testclient import TestClient
from edge.stations.kiosk.server import create_kiosk_app
client = TestClient(create_kiosk_app(lambda: {}))
for path in ("/", "/static/kiosk.js", "/static/pictograms/generic.svg"):
    assert client.get(path).status_code == 200, path
"""
    result = installed.run("python", "-c", script)
    assert result.returncode == 0, result.stderr


def test_hub_check_passes_in_the_installed_wheel(installed: Installed) -> None:
    result = installed.run("sortcentre", "hub", "--check")
    assert result.returncode == 0, result.stderr
    assert "ok" in result.stdout


@pytest.mark.parametrize("command", [["demo"], ["sim", "--config", str(EXAMPLE_STATION)]])
def test_demo_and_sim_say_in_one_line_that_they_need_a_checkout(installed: Installed, command: list[str]) -> None:
    result = installed.run("sortcentre", *command)
    assert result.returncode == 2
    assert result.stderr.strip() == CHECKOUT_ONLY_MESSAGE
    assert "Traceback" not in result.stdout + result.stderr


def test_vision_train_works_in_the_installed_wheel(installed: Installed) -> None:
    # A small rendered set (three shapes, eight images each): enough for the split, quick on the backbone.
    captures = write_dataset(installed.workdir / "captures", 8, seed=0)
    out = installed.workdir / "site-models"
    result = installed.run("sortcentre", "vision", "train", str(captures), "--stream", STREAM, "--out", str(out))
    assert result.returncode == 0, result.stdout + result.stderr
    assert (out / f"{STREAM}-classifier.onnx").is_file()
    assert (out / f"{STREAM}-classifier.card.json").is_file()
