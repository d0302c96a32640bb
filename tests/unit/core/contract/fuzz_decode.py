"""Atheris fuzz harness over core.contract.decode(): any exception but ContractError is a crash.

Run by tests/unit/core/contract/test_fuzz_decode.py in a subprocess; by hand, for a longer run:

    PYTHONPATH=$PWD python tests/unit/core/contract/fuzz_decode.py -runs=1000000 -max_len=9000 CORPUS_DIR

The first input byte picks the topic (the three kinds, or a topic made of the next bytes); the rest is the
payload. The corpus the test passes holds the valid payloads of each kind, so mutations start from the real
shape of an event instead of from nothing.
"""

from __future__ import annotations

import contextlib
import sys

import atheris

with atheris.instrument_imports(include=["core.contract"]):
    from core.contract import ContractError, decode, topic
    from core.contract.topics import TopicKind

_TOPICS = [
    topic("zwolle", "zwolle-plastic-1", kind) for kind in (TopicKind.EVENT, TopicKind.STATUS, TopicKind.HEARTBEAT)
]


def one_input(data: bytes) -> None:
    if not data:
        return
    choice, rest = data[0], data[1:]
    if choice < 240:
        where, payload = _TOPICS[choice % 3], rest
    else:  # a topic of its own: up to the first NUL, as text (surrogates escaped the way paho would refuse)
        raw_topic, _, payload = rest.partition(b"\0")
        where = raw_topic.decode("utf-8", "surrogateescape")
    with contextlib.suppress(ContractError):
        decode(where, payload)


def main() -> None:
    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
