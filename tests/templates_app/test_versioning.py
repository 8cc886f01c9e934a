"""Semantic versions of templates."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from templates_app.versioning import is_newer, parse_version


@pytest.mark.parametrize("value", ["1.0.0", "0.1.0", "10.20.30", "1.0.0-rc.1", "2.0.0+build.5"])
def test_valid_versions_parse(value):
    assert parse_version(value).major >= 0


@pytest.mark.parametrize(
    "value",
    [
        "1",
        "1.0",
        "v1.0.0",
        "01.0.0",
        "1.0.0-",
        "1.0.0.0",
        "",
        None,
        "1.0.0\n",  # `$` matched before a final newline
        "1.0.1\u0663",  # an Arabic-Indic digit: `\d` is Unicode without re.ASCII
        "\u0661.0.0",
        "1.0.0-rc.\u0661",
    ],
)
def test_invalid_versions_are_rejected_with_a_message(value):
    with pytest.raises(ValueError, match="semantic version"):
        parse_version(value)


@pytest.mark.parametrize(
    ("candidate", "current"),
    [
        ("1.0.1", "1.0.0"),
        ("1.1.0", "1.0.9"),
        ("2.0.0", "1.99.99"),
        ("1.0.0", "1.0.0-rc.1"),
        ("1.0.0-rc.2", "1.0.0-rc.1"),
        ("1.0.0-rc.10", "1.0.0-rc.9"),
        ("1.0.0-beta", "1.0.0-2"),
    ],
)
def test_is_newer_follows_semver_precedence(candidate, current):
    assert is_newer(candidate, current)
    assert not is_newer(current, candidate)


def test_build_metadata_does_not_make_a_version_newer():
    assert not is_newer("1.0.0+build.2", "1.0.0")


versions = st.tuples(*(st.integers(min_value=0, max_value=50) for _ in range(3))).map(
    lambda parts: ".".join(map(str, parts))
)


@given(versions, versions)
def test_precedence_is_a_total_order_on_releases(first, second):
    newer, older = is_newer(first, second), is_newer(second, first)
    assert not (newer and older)
    assert (newer or older) == (first != second)
