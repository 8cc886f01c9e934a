"""JMESPath expressions over the run context `{"input": ..., "nodes": {"<id>": <output>}}`."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import jmespath
from jmespath.exceptions import IncompleteExpressionError, JMESPathError
from jmespath.functions import Functions
from jmespath.parser import ParsedResult

_KNOWN_FUNCTIONS = frozenset(Functions().FUNCTION_TABLE)
# Longer expressions are refused before parsing. The parser recurses per nesting level, so
# even a shorter one ("(" * 999) can exhaust the stack: that is caught as an invalid one too.
MAX_EXPRESSION_CHARS = 2000


class ExpressionError(ValueError):
    """An expression that does not compile or fails while evaluating."""


@lru_cache(maxsize=2048)
def compile_expression(expression: str) -> ParsedResult:
    """Compile (and cache) a JMESPath expression, raising ExpressionError when it is invalid."""
    if not expression.strip():
        raise ExpressionError("The expression is empty.")
    if len(expression) > MAX_EXPRESSION_CHARS:
        raise ExpressionError(
            f"The expression is {len(expression)} characters long; at most "
            f"{MAX_EXPRESSION_CHARS} are allowed."
        )
    try:
        parsed = jmespath.compile(expression)
    except JMESPathError as exc:
        raise ExpressionError(_describe_parse_error(expression, exc)) from exc
    except RecursionError as exc:
        raise ExpressionError(
            f"Invalid JMESPath expression {_abbreviated(expression)}: nested too deeply."
        ) from exc
    unknown = sorted(_function_names(parsed.parsed) - _KNOWN_FUNCTIONS)
    if unknown:
        raise ExpressionError(
            f"Invalid JMESPath expression {expression!r}: unknown function {unknown[0]}()."
        )
    return parsed


def expression_problem(expression: str) -> str | None:
    """Return why an expression is invalid, or None when it compiles."""
    try:
        compile_expression(expression)
    except ExpressionError as exc:
        return str(exc)
    return None


def evaluate(expression: str, context: dict[str, Any]) -> Any:
    """Evaluate an expression against the run context."""
    parsed = compile_expression(expression)
    try:
        return parsed.search(context)
    except JMESPathError as exc:
        raise ExpressionError(f"Expression {expression!r} failed: {_first_line(exc)}") from exc
    except RecursionError as exc:
        raise ExpressionError(
            f"Expression {_abbreviated(expression)} failed: nested too deeply."
        ) from exc


def is_expression(value: Any) -> bool:
    """Tell whether a parameter value is an expression reference `{"expr": "..."}`."""
    return isinstance(value, dict) and set(value) == {"expr"} and isinstance(value["expr"], str)


def resolve(value: Any, context: dict[str, Any]) -> Any:
    """Return a literal unchanged, or the value of an `{"expr": ...}` reference."""
    if is_expression(value):
        return evaluate(value["expr"], context)
    return value


def _function_names(ast: dict[str, Any]) -> set[str]:
    """Collect the function names called anywhere in a parsed expression (its AST)."""
    names: set[str] = set()
    stack = [ast]
    while stack:
        node = stack.pop()
        if node.get("type") == "function_expression":
            names.add(node["value"])
        stack.extend(child for child in node.get("children", []) if isinstance(child, dict))
    return names


def _describe_parse_error(expression: str, exc: JMESPathError) -> str:
    position = getattr(exc, "lex_position", None)
    if position is None:
        return f"Invalid JMESPath expression {expression!r}: {_first_line(exc)}"
    if isinstance(exc, IncompleteExpressionError):
        return f"Invalid JMESPath expression {expression!r}: incomplete at position {position}."
    token = getattr(exc, "token_value", None)
    return (
        f"Invalid JMESPath expression {expression!r}: unexpected {token!r} at position {position}."
    )


def _abbreviated(expression: str) -> str:
    """Quote an expression for a message, cut to a readable length."""
    return repr(expression if len(expression) <= 80 else expression[:77] + "...")


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
