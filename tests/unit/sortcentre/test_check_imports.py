"""``sortcentre station --check`` and ``sortcentre hub --check`` load only config models: validating a file on a
station (or in CI) must not pay for, or depend on, OpenCV, OCR, onnxruntime, paho or the web stack."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parents[3] / "docs" / "examples" / "station.toml"
RUNTIME_ONLY = ("cv2", "onnxruntime", "rapidocr_onnxruntime", "paho", "fastapi", "starlette", "uvicorn")

# A fresh interpreter: the test process has imported half the project already.
PROGRAM = """
import json, sys
from sortcentre.cli import app
app(sys.argv[1:], prog_name="sortcentre", standalone_mode=False)
print(json.dumps(sorted(sys.modules)))
"""


def modules_after(*args: str) -> list[str]:
    env = {name: value for name, value in os.environ.items() if not name.startswith("SORTCENTRE_")}
    done = subprocess.run(
        [sys.executable, "-c", PROGRAM, *args], capture_output=True, text=True, env=env, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    assert ": ok" in done.stdout  # the check ran and passed
    loaded: list[str] = json.loads(done.stdout.splitlines()[-1])
    return loaded


@pytest.mark.parametrize(
    "args", [("station", "--config", str(EXAMPLE), "--check"), ("hub", "--check")], ids=["station", "hub"]
)
def test_a_config_check_imports_no_runtime_library(args: tuple[str, ...]) -> None:
    loaded = modules_after(*args)
    found = sorted({name.split(".")[0] for name in loaded} & set(RUNTIME_ONLY))
    assert found == [], f"{' '.join(args)} imported {found}"
    assert "config.station" in loaded or "config.hub" in loaded  # and it did load a config


# What a running hub needs in memory: the web stack and paho, but no model runtime. The hub reads model cards
# and bundles to publish them and never runs a model; onnxruntime, numpy and OpenCV doubled every hub process.
HUB_PROGRAM = """
import json, sys
import hub.service
print(json.dumps(sorted(sys.modules)))
"""


def test_the_running_hub_loads_no_model_runtime() -> None:
    done = subprocess.run([sys.executable, "-c", HUB_PROGRAM], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    loaded = {name.split(".")[0] for name in json.loads(done.stdout.splitlines()[-1])}
    assert "fastapi" in loaded  # it did load the hub
    assert sorted(loaded & {"cv2", "onnxruntime", "numpy", "rapidocr_onnxruntime"}) == []
