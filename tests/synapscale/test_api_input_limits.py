"""What every endpoint refuses before a view runs: malformed, oversized, gzip-bombed,
NUL-carrying and over-nested bodies, and NUL in query strings."""

import gzip

import pytest
from django.test import override_settings

from synapscale.models import Membership
from tests.api_checks import PROBLEM, assert_problem

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.synapscale.scoped_views")]


def test_malformed_json_is_400_problem(api_client, workspace):
    body = assert_problem(
        api_client.post("/api/v1/scoped/", data=b'{"role": ', content_type="application/json"),
        400,
    )
    assert "Malformed JSON" in body["detail"]


def test_wrong_content_type_is_415_problem(api_client):
    assert_problem(
        api_client.post("/api/v1/scoped/", data=b"role=x", content_type="text/plain"), 415
    )


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1000)
def test_body_over_the_limit_is_413_problem(api_client):
    payload = b'{"role": "' + b"x" * 2000 + b'"}'
    assert_problem(
        api_client.post("/api/v1/scoped/", data=payload, content_type="application/json"), 413
    )


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1000)
def test_gzip_bomb_is_413_problem(api_client):
    payload = gzip.compress(b'{"role": "' + b"x" * 100_000 + b'"}')
    assert len(payload) < 1000
    assert_problem(
        api_client.post(
            "/api/v1/scoped/",
            data=payload,
            content_type="application/json",
            HTTP_CONTENT_ENCODING="gzip",
        ),
        413,
    )


def test_gzip_body_is_accepted(api_client, user, other_user, workspace):
    payload = gzip.compress(b'{"role": "viewer", "user": %d}' % other_user.id)
    response = api_client.post(
        "/api/v1/scoped/",
        data=payload,
        content_type="application/json",
        HTTP_CONTENT_ENCODING="gzip",
    )
    assert response.status_code == 201, response.content
    assert Membership.objects.get(workspace=workspace, user=other_user).role == "viewer"


def test_corrupt_gzip_is_400_problem(api_client):
    assert_problem(
        api_client.post(
            "/api/v1/scoped/",
            data=b"not gzip at all",
            content_type="application/json",
            HTTP_CONTENT_ENCODING="gzip",
        ),
        400,
    )


def test_nul_character_in_a_json_body_is_400_naming_the_path(api_client):
    body = assert_problem(
        api_client.post(
            "/api/v1/scoped/",
            data=b'{"role": "member", "meta": {"notes": ["ok", "bad\\u0000"]}}',
            content_type="application/json",
        ),
        400,
    )
    assert body["errors"] == {"meta.notes.1": ["The NUL character is not allowed."]}


def test_nul_character_in_a_json_key_is_400(api_client):
    body = assert_problem(
        api_client.post(
            "/api/v1/scoped/", data=b'{"ro\\u0000le": 1}', content_type="application/json"
        ),
        400,
    )
    assert list(body["errors"]) == ["ro\x00le"]


def test_an_escaped_backslash_before_u0000_is_not_a_nul(api_client, other_user):
    response = api_client.post(
        "/api/v1/scoped/",
        data=b'{"role": "member", "user": %d, "note": "C:\\\\u0000"}' % other_user.id,
        content_type="application/json",
    )
    assert response.status_code == 201, response.content


@pytest.mark.parametrize("query", ["role=a%00b", "role=x&role=%00", "ro%00le=x"])
def test_nul_character_in_the_query_string_is_400(api_client, query):
    body = assert_problem(api_client.get(f"/api/v1/scoped/?{query}"), 400)
    assert body["errors"]


def test_json_nested_too_deeply_for_python_is_400_not_500(api_client):
    deep = b'{"role": "member", "meta": ' + b"[" * 5000 + b"]" * 5000 + b"}"
    response = api_client.post("/api/v1/scoped/", data=deep, content_type="application/json")
    assert response.status_code == 400
    assert response["Content-Type"] == PROBLEM


def test_json_deeper_than_the_limit_is_refused_and_at_the_limit_accepted(api_client, other_user):
    from synapscale.api.parsers import MAX_JSON_DEPTH

    def nested(levels):
        return b"[" * (levels - 1) + b"1" + b"]" * (levels - 1)

    too_deep = b'{"role": "member", "meta": ' + nested(MAX_JSON_DEPTH + 1) + b"}"
    body = assert_problem(
        api_client.post("/api/v1/scoped/", data=too_deep, content_type="application/json"), 400
    )
    assert "nested more than 128" in body["detail"]
    fits = b'{"role": "member", "user": %d, "meta": %s}' % (
        other_user.id,
        nested(MAX_JSON_DEPTH - 1),
    )
    response = api_client.post("/api/v1/scoped/", data=fits, content_type="application/json")
    assert response.status_code == 201, response.content


def test_a_view_validating_each_item_itself_receives_nul_characters(api_client):
    from tests.synapscale.scoped_views import RefViewSet

    RefViewSet.validates_nul_per_item = True
    try:
        response = api_client.post(
            "/api/v1/refs/", data=b'{"membership": "x\\u0000"}', content_type="application/json"
        )
    finally:
        del RefViewSet.validates_nul_per_item
    # The view's own validation answers (the id is not a number), not the parser's NUL check.
    assert response.status_code == 400
    assert "NUL" not in str(response.json()["errors"])


@pytest.mark.parametrize(
    ("text", "real"),
    [("a\x00b", True), ("\\u0000", False), ("\\\x00", True), ("\\\\u0000", False), ("ok", False)],
)
def test_has_nul_tells_a_real_nul_from_the_text_backslash_u0000(text, real):
    import orjson

    from synapscale.api.parsers import has_nul

    assert has_nul(orjson.dumps({"k": text})) is real


def test_a_deep_and_wide_body_is_checked_in_memory_proportional_to_its_size():
    import tracemalloc

    from synapscale.api.parsers import nul_path

    body: dict = {"tail": [0] * 20_000 + ["x\x00"]}
    for level in range(100):
        body = {("k" * 10_000) + str(level): body}
    tracemalloc.start()
    try:
        path = nul_path(body)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert path.endswith(".tail.20000") and path.count(".") == 101
    # Copying the 1 MB path into each of the 20,001 list items needed about 20 GB.
    assert peak < 20 * 1024 * 1024
