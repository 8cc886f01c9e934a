"""Answers the live tests cannot provoke on demand: a 503, a gateway's HTML page, a bad header."""

import httpx
import pytest
from synapscale_sdk import ProblemError, ServiceUnavailable, SynapScale
from synapscale_sdk.errors import problem_from_response


def answer(status, body=b"", headers=None, content_type="application/problem+json"):
    return httpx.Response(
        status, content=body, headers={"Content-Type": content_type, **(headers or {})}
    )


def test_a_503_problem_carries_retry_after():
    body = (
        b'{"type": "https://x/problems/query-timeout", "status": 503, "title": "t", "detail": "d"}'
    )
    error = problem_from_response(answer(503, body, {"Retry-After": "30"}))
    assert isinstance(error, ServiceUnavailable)
    assert (error.code, error.retry_after, error.errors) == ("query-timeout", 30.0, {})


def test_a_body_that_is_not_a_problem_still_raises_with_the_status():
    error = problem_from_response(
        answer(502, b"<html>Bad gateway</html>", content_type="text/html")
    )
    assert type(error) is ProblemError
    assert error.status == 502
    assert "Bad gateway" in error.detail


def test_a_retry_after_that_is_not_seconds_is_ignored():
    error = problem_from_response(answer(503, b"{}", {"Retry-After": "Wed, 21 Oct 2026 07:28:00"}))
    assert error.retry_after is None
    assert problem_from_response(answer(503, b"{}")).retry_after is None


def test_a_crud_method_the_resource_lacks_raises_type_error():
    with SynapScale("http://127.0.0.1:1") as client, pytest.raises(TypeError):
        client.insights.delete(1)
