"""JMESPath expressions over the run context: evaluation, references, and their error messages.

Pure tests (no database). The compile cache is cleared around each test so that every test
compiles what it evaluates (a cached result from another test would hide a defect).
"""

from __future__ import annotations

import pytest

from executions.engine.expressions import (
    ExpressionError,
    compile_expression,
    evaluate,
    expression_problem,
    is_expression,
    resolve,
)

CONTEXT = {"input": {"n": 7, "items": [1, 2, 3]}, "nodes": {"prepare": {"name": "Ada"}}}


@pytest.fixture(autouse=True)
def _fresh_compile_cache():
    compile_expression.cache_clear()
    yield
    compile_expression.cache_clear()


def test_evaluate_reads_the_run_context():
    assert evaluate("input.n", CONTEXT) == 7
    assert evaluate("nodes.prepare.name", CONTEXT) == "Ada"
    assert evaluate("length(input.items)", CONTEXT) == 3
    assert evaluate("input.n > `5`", CONTEXT) is True
    assert evaluate("input.missing", CONTEXT) is None


def test_a_failing_evaluation_names_the_expression_and_the_reason():
    with pytest.raises(ExpressionError) as info:
        evaluate("length(input.n)", CONTEXT)  # length() of a number
    message = str(info.value)
    assert message.startswith("Expression 'length(input.n)' failed: ")
    assert "length()" in message and "number" in message
    assert len(message.splitlines()) == 1


def test_too_deep_an_expression_is_named_abbreviated():
    expression = "(" * 999 + "a" + ")" * 999  # the parser recurses per level: caught there
    with pytest.raises(ExpressionError) as info:
        evaluate(expression, {"a": 1})
    assert str(info.value) == (
        f"Invalid JMESPath expression {expression[:77] + '...'!r}: nested too deeply."
    )


@pytest.mark.parametrize(
    ("expression", "problem"),
    [
        ("input.[", "Invalid JMESPath expression 'input.[': incomplete at position 7."),
        ("input ]", "Invalid JMESPath expression 'input ]': unexpected ']' at position 6."),
        ("nope(input)", "Invalid JMESPath expression 'nope(input)': unknown function nope()."),
        # A function nested inside another one's arguments is found too.
        (
            "length(keys(zzz(input)))",
            "Invalid JMESPath expression 'length(keys(zzz(input)))': unknown function zzz().",
        ),
        # The first unknown name in alphabetical order is the one reported.
        ("[b2(x), a1(y)]", "Invalid JMESPath expression '[b2(x), a1(y)]': unknown function a1()."),
        ("   ", "The expression is empty."),
    ],
)
def test_expression_problem_says_why(expression, problem):
    assert expression_problem(expression) == problem


def test_expression_problem_of_a_valid_expression_is_none():
    assert expression_problem("input.n") is None
    assert expression_problem("length(keys(input))") is None
    assert expression_problem("input.items[?@ > `1`] | [0]") is None


def test_is_expression_only_for_a_single_expr_string():
    assert is_expression({"expr": "input.n"})
    assert not is_expression({"expr": 3})
    assert not is_expression({"expr": "input.n", "other": 1})
    assert not is_expression({"value": "input.n"})
    assert not is_expression("input.n")
    assert not is_expression(["expr"])
    assert not is_expression(None)


def test_resolve_evaluates_references_and_returns_literals_unchanged():
    assert resolve({"expr": "input.n"}, CONTEXT) == 7
    assert resolve({"expr": "nodes.prepare"}, CONTEXT) == {"name": "Ada"}
    literal = {"expr": "input.n", "note": "not a reference"}
    assert resolve(literal, CONTEXT) is literal
    assert resolve("input.n", CONTEXT) == "input.n"
    assert resolve(5, CONTEXT) == 5


def test_message_helpers_cut_long_expressions_and_keep_the_first_line():
    from jmespath.exceptions import JMESPathError

    from executions.engine.expressions import _abbreviated, _describe_parse_error, _first_line

    assert _abbreviated("a" * 80) == repr("a" * 80)
    assert _abbreviated("a" * 81) == repr("a" * 77 + "...")
    assert _first_line(ValueError("  first\nsecond  ")) == "first"
    assert _first_line(ValueError("   ")) == "ValueError"
    # An error without a position (not a parse error) is described by its first line.
    assert _describe_parse_error("x y", JMESPathError("boom\nmore")) == (
        "Invalid JMESPath expression 'x y': boom"
    )
