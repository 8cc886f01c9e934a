"""Pure checks of the expression limits and of what the engine agrees to store."""

from __future__ import annotations

import pytest

from executions.engine.errors import NodeFailure
from executions.engine.expressions import (
    MAX_EXPRESSION_CHARS,
    ExpressionError,
    compile_expression,
    evaluate,
)
from executions.engine.outputs import MAX_OUTPUT_DEPTH, loggable_json, storable_json


def nested_list(depth: int) -> list:
    value: list = []
    for _ in range(depth - 1):
        value = [value]
    return value


def test_an_expression_longer_than_the_cap_is_refused_before_parsing():
    with pytest.raises(ExpressionError, match=f"at most {MAX_EXPRESSION_CHARS}"):
        compile_expression("a" * (MAX_EXPRESSION_CHARS + 1))


def test_an_expression_nested_too_deeply_is_an_expression_error():
    with pytest.raises(ExpressionError, match="nested too deeply"):
        evaluate("(" * 999 + "a" + ")" * 999, {"a": 1})


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ({"when": object()}, "not JSON-serialisable"),
        ({1: float("inf")}, "NaN or Infinity"),
        (nested_list(MAX_OUTPUT_DEPTH + 1), f"nested more than {MAX_OUTPUT_DEPTH}"),
        (nested_list(100_000), f"nested more than {MAX_OUTPUT_DEPTH}"),
        (["ok", {"k": "a\x00"}], "NUL character"),
    ],
)
def test_values_jsonb_cannot_store_are_refused_without_retry(value, reason):
    with pytest.raises(NodeFailure, match=reason) as info:
        storable_json(value)
    assert info.value.retryable is False


def test_storable_values_round_trip_as_a_client_reads_them():
    assert storable_json({"n": 1, "t": (1, 2)}) == {"n": 1, "t": [1, 2]}
    assert storable_json(nested_list(MAX_OUTPUT_DEPTH)) == nested_list(MAX_OUTPUT_DEPTH)


def test_log_data_that_cannot_be_stored_is_described_instead():
    assert loggable_json({"x": 1}) == {"x": 1}
    assert "NaN or Infinity" in loggable_json({"x": float("nan")})["unstorable"]


def test_failure_messages_never_carry_nul():
    assert NodeFailure("bad \x00 byte").message == "bad \\x00 byte"
