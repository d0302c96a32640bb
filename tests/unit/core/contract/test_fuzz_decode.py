"""An atheris fuzz run over decode() (fuzz_decode.py), in a subprocess: libFuzzer exits non-zero when anything
but ContractError escapes, and leaves the input that did it as crash-* in the run's folder.

SORTCENTRE_FUZZ_RUNS sets the number of inputs (default 50,000: a few seconds); SORTCENTRE_FUZZ_SEED the
libFuzzer seed (default 1, so `make test` is repeatable; 0 picks a new one each run)."""

import json
import os
import subprocess
import sys
from pathlib import Path

from core.contract.topics import TopicKind
from tests.unit.core.contract.decode_inputs import KINDS, valid_payload

HARNESS = Path(__file__).with_name("fuzz_decode.py")
ROOT = Path(__file__).resolve().parents[4]

# libFuzzer splices these tokens into inputs: JSON's structure, the contract's keys, the values at its edges.
TOKENS = [
    "{", "}", "[", "]", ":", ",", '"', "\\", "\\u", "\\ud800", "null", "true", "false", "NaN", "Infinity",
    "1e400", "-0", "9007199254740993", '"schema_version"', '"station_time"', '"since"', '"weight_kg"',
    '"suggestion"', '"warnings"', '"seq"', '"journal_depth"', '"uptime_s"', "0.0004", "T", "Z", "+14:00",
    "0001-01-01", "9999-12-31", "2300-01-01", "1969-12-31T23:59:59", " ",
]  # fmt: skip


def test_fuzz_decode_raises_only_contract_errors(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for index, kind in enumerate(KINDS):  # the harness' first byte picks the topic: index -> that kind
        (corpus / kind.value).write_bytes(bytes([index]) + valid_payload(kind))
    (corpus / "nested").write_bytes(bytes([KINDS.index(TopicKind.EVENT)]) + b"[" * 1000 + b"]" * 1000)
    dictionary = tmp_path / "json.dict"
    dictionary.write_text("".join(json.dumps(token) + "\n" for token in TOKENS))  # libFuzzer's escapes are JSON's
    runs = int(os.environ.get("SORTCENTRE_FUZZ_RUNS", "50000"))
    seed = int(os.environ.get("SORTCENTRE_FUZZ_SEED", "1"))
    result = subprocess.run(
        [
            sys.executable,
            str(HARNESS),
            f"-runs={runs}",
            f"-seed={seed}",
            "-max_len=9000",  # past MAX_PAYLOAD_BYTES, so too_large is reached too
            f"-dict={dictionary}",
            f"-artifact_prefix={tmp_path}/",
            "-print_final_stats=1",
            str(corpus),
        ],
        check=False,  # the exit status is asserted below, with libFuzzer's report
        cwd=ROOT,
        env=os.environ | {"PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        errors="replace",
        timeout=600,
    )
    crashes = sorted(tmp_path.glob("crash-*"))
    assert result.returncode == 0 and not crashes, (
        f"decode() raised something but ContractError (exit {result.returncode}); input(s): {crashes}\n"
        + result.stderr[-4000:]
    )
    assert f"Done {runs} runs" in result.stderr  # it really ran
