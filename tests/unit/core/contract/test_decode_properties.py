"""decode() never raises anything but ContractError, on any bytes and any topic (issue 13, build item 1).

A bounded number of examples keeps `make test` fast; fuzz_decode.py runs atheris over the same function for
longer runs (tests/unit/core/contract/test_fuzz_decode.py)."""

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from core.contract.topics import TopicKind
from tests.unit.core.contract.decode_inputs import (
    TOPICS,
    json_documents,
    mutated_payloads,
    only_contract_errors,
    topics,
    valid_payload,
)

BOUNDED = settings(max_examples=300, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
every_topic = st.sampled_from(list(TOPICS.values()))


@BOUNDED
@given(where=every_topic | topics, payload=st.binary(max_size=600))
def test_arbitrary_bytes(where: str, payload: bytes) -> None:
    only_contract_errors(where, payload)


@BOUNDED
@given(where=every_topic, payload=json_documents)
# RecursionError before issue 13 (4,000 deep: hypothesis raises the recursion limit while it runs a test).
@example(where=TOPICS[TopicKind.EVENT], payload=b"[" * 4000 + b"]" * 4000)
@example(where=TOPICS[TopicKind.STATUS], payload=b"[" * 4000 + b"]" * 4000)
@example(where=TOPICS[TopicKind.HEARTBEAT], payload=b"[" * 4000 + b"]" * 4000)
def test_arbitrary_json(where: str, payload: bytes) -> None:
    only_contract_errors(where, payload)


@BOUNDED
@given(mutated_payloads())
def test_mutated_valid_payloads(case: tuple[str, bytes]) -> None:
    only_contract_errors(*case)


@BOUNDED
@given(where=topics, kind=st.sampled_from(list(TOPICS)))
def test_any_topic(where: str, kind: TopicKind) -> None:
    only_contract_errors(where, valid_payload(kind))
