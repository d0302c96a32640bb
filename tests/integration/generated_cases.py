"""One way to run a schemathesis operation's generated cases for the API tests: reproducible (the same requests
on every run, so a failure can be replayed), positive cases with their dates moved near the present."""

from __future__ import annotations

from collections.abc import Callable

from hypothesis import HealthCheck, given, settings
from schemathesis import Case, GenerationMode
from schemathesis.schemas import APIOperation


def for_each_case(
    operation: APIOperation,
    mode: GenerationMode,
    examples: int,
    near_the_present: Callable[[Case], Case],
    check: Callable[[Case], None],
) -> None:
    """Generate ``examples`` cases of ``operation`` in ``mode`` and hand each to ``check``."""
    strategy = operation.as_strategy(generation_mode=mode)
    if mode is GenerationMode.POSITIVE:
        strategy = strategy.map(near_the_present)

    @given(case=strategy)
    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=True,  # the same requests on every run: a failure here is reproducible
        suppress_health_check=list(HealthCheck),
    )
    def one(case: Case) -> None:
        check(case)

    one()
