"""Deprecation headers: RFC 9745's date, RFC 8594's sunset, and a Link kept beside others."""

from datetime import UTC, datetime

from rest_framework.response import Response

from synapscale.api.deprecation import Deprecation, deprecation_headers

NOTICE = Deprecation(
    since=datetime(2026, 12, 4, tzinfo=UTC),
    sunset=datetime(2027, 6, 30, tzinfo=UTC),
    docs_path="api-versioning#example",
)


def test_the_headers_say_since_when_until_when_and_where_it_is_explained():
    response = deprecation_headers(Response(), NOTICE)
    assert response["Deprecation"] == "@1796342400"
    assert response["Sunset"] == "Wed, 30 Jun 2027 00:00:00 GMT"
    assert response["Link"] == (
        '<https://docs.synapscale.dev/api-versioning#example>; rel="deprecation"; type="text/html"'
    )


def test_a_link_the_response_already_has_is_kept():
    response = Response()
    response["Link"] = '<https://example.com/next>; rel="next"'
    deprecation_headers(response, NOTICE)
    first, second = response["Link"].split(", ")
    assert first == '<https://example.com/next>; rel="next"'
    assert 'rel="deprecation"' in second
