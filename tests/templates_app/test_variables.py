"""Template variables: declaration, install-time values and placeholder substitution."""

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from templates_app.variables import (
    check_placeholders_declared,
    parse_variable_specs,
    placeholders_in,
    render_definition,
    resolve_values,
)

SPECS = [
    {"name": "channel", "description": "Slack channel", "type": "string"},
    {"name": "limit", "type": "integer", "required": False, "default": 10},
    {"name": "dry_run", "type": "boolean", "required": False},
]


def test_specs_parse_with_defaults():
    specs = parse_variable_specs(SPECS)
    assert [spec.name for spec in specs] == ["channel", "limit", "dry_run"]
    assert specs[0].required is True
    assert specs[1].as_dict() == {
        "name": "limit",
        "description": "",
        "type": "integer",
        "required": False,
        "default": 10,
    }


@pytest.mark.parametrize(
    ("raw", "path"),
    [
        ({"name": "x"}, "required_variables"),
        (["x"], "required_variables.0"),
        ([{"name": "1bad"}], "required_variables.0.name"),
        ([{"name": "a"}, {"name": "a"}], "required_variables.1.name"),
        ([{"name": "a", "type": "date"}], "required_variables.0.type"),
        ([{"name": "a", "type": "integer", "default": "ten"}], "required_variables.0.default"),
        ([{"name": "a", "required": "yes"}], "required_variables.0.required"),
        ([{"name": "a", "colour": "red"}], "required_variables.0"),
        ([{"name": "a", "description": 5}], "required_variables.0.description"),
    ],
)
def test_bad_specs_name_the_offending_path(raw, path):
    with pytest.raises(ValidationError) as caught:
        parse_variable_specs(raw)
    assert path in caught.value.message_dict


def test_too_many_variables_are_rejected():
    with pytest.raises(ValidationError):
        parse_variable_specs([{"name": f"v{index}"} for index in range(51)])


def test_placeholders_are_found_in_nested_strings_only():
    definition = {"nodes": [{"id": "a", "params": {"url": "https://{{ host }}/x", "n": 3}}]}
    assert placeholders_in(definition) == {"host"}


def test_undeclared_placeholders_are_rejected():
    specs = parse_variable_specs([{"name": "host"}])
    with pytest.raises(ValidationError) as caught:
        check_placeholders_declared({"a": "{{host}} {{token}}"}, specs)
    assert caught.value.message_dict == {"definition": ["Undeclared variables: token."]}


def test_resolve_values_fills_defaults_and_reports_every_problem():
    specs = parse_variable_specs(SPECS)
    assert resolve_values(specs, {"channel": "#ops"}) == {"channel": "#ops", "limit": 10}
    with pytest.raises(ValidationError) as caught:
        resolve_values(specs, {"limit": "many", "colour": "red"})
    assert caught.value.message_dict == {
        "variables.channel": ["This variable is required."],
        "variables.limit": ["Must be a integer."],
        "variables.colour": ["Unknown variable."],
    }


def test_resolve_values_rejects_a_non_object():
    with pytest.raises(ValidationError):
        resolve_values([], ["channel"])


def test_render_keeps_types_for_whole_placeholders_and_formats_embedded_ones():
    definition = {
        "nodes": [
            {
                "id": "a",
                "type": "set",
                "params": {"fields": {"n": "{{limit}}", "msg": "to {{channel}} x{{limit}}"}},
            }
        ],
        "edges": [],
    }
    rendered = render_definition(definition, {"limit": 10, "channel": "#ops"})
    assert rendered["nodes"][0]["params"]["fields"] == {"n": 10, "msg": "to #ops x10"}
    assert definition["nodes"][0]["params"]["fields"]["n"] == "{{limit}}"


def test_render_drops_an_unset_optional_placeholder_inside_text():
    assert render_definition("dry run: {{dry_run}}.", {}) == "dry run: ."


@given(st.recursive(st.none() | st.integers() | st.text(), lambda inner: st.lists(inner)))
def test_render_without_placeholders_is_identity(value):
    if not placeholders_in(value):
        assert render_definition(value, {"x": 1}) == value
