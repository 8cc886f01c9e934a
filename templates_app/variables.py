"""Template variables: what a template asks for at install time, and how values fill it in.

A template's definition refers to a variable with a `{{name}}` placeholder inside any string
value. A string that is exactly one placeholder is replaced by the value itself (so numbers
and booleans keep their type); a placeholder inside a longer string is replaced by the value's
text. Keys are never substituted.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError

PLACEHOLDER_RE = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
MAX_VARIABLES = 50
MAX_DESCRIPTION_LENGTH = 500
SPEC_KEYS = {"name", "description", "type", "required", "default"}

# JSON types a variable may declare, with the check its values must pass. bool is a
# subclass of int in Python, hence the explicit exclusions.
VARIABLE_TYPES = {
    "string": lambda value: isinstance(value, str),
    "number": lambda value: isinstance(value, int | float) and not isinstance(value, bool),
    "integer": lambda value: isinstance(value, int) and not isinstance(value, bool),
    "boolean": lambda value: isinstance(value, bool),
}


@dataclass(frozen=True)
class VariableSpec:
    """One variable a template declares."""

    name: str
    description: str = ""
    type: str = "string"
    required: bool = True
    default: Any = None

    def as_dict(self) -> dict:
        """Return the JSON form stored on the template."""
        data = {
            "name": self.name,
            "description": self.description,
            "type": self.type,
            "required": self.required,
        }
        if self.default is not None:
            data["default"] = self.default
        return data


def parse_variable_specs(raw: Any, *, field: str = "required_variables") -> list[VariableSpec]:
    """Validate the declared variables and return them; raise ValidationError naming each path."""
    if not isinstance(raw, list):
        raise ValidationError({field: ["Must be a list of variables."]})
    if len(raw) > MAX_VARIABLES:
        raise ValidationError({field: [f"At most {MAX_VARIABLES} variables."]})
    errors: dict[str, list[str]] = {}
    specs: list[VariableSpec] = []
    seen: set[str] = set()
    for index, item in enumerate(raw):
        path = f"{field}.{index}"
        if not isinstance(item, dict):
            errors[path] = ["Must be an object with a name."]
            continue
        unknown = sorted(set(item) - SPEC_KEYS)
        if unknown:
            errors[path] = [f"Unknown keys: {', '.join(unknown)}."]
        name = item.get("name")
        if not isinstance(name, str) or not NAME_RE.match(name):
            errors[f"{path}.name"] = ["Must be an identifier (letters, digits, underscore)."]
            continue
        if name in seen:
            errors[f"{path}.name"] = [f"Variable '{name}' is declared twice."]
            continue
        seen.add(name)
        type_name = item.get("type", "string")
        if type_name not in VARIABLE_TYPES:
            errors[f"{path}.type"] = [f"Must be one of: {', '.join(VARIABLE_TYPES)}."]
            continue
        description = item.get("description", "")
        if not isinstance(description, str) or len(description) > MAX_DESCRIPTION_LENGTH:
            errors[f"{path}.description"] = [
                f"Must be text of at most {MAX_DESCRIPTION_LENGTH} characters."
            ]
        required = item.get("required", True)
        if not isinstance(required, bool):
            errors[f"{path}.required"] = ["Must be true or false."]
        default = item.get("default")
        if default is not None and not VARIABLE_TYPES[type_name](default):
            errors[f"{path}.default"] = [f"Must be a {type_name}."]
        specs.append(
            VariableSpec(
                name=name,
                description=description if isinstance(description, str) else "",
                type=type_name,
                required=required if isinstance(required, bool) else True,
                default=default,
            )
        )
    if errors:
        raise ValidationError(errors)
    return specs


def placeholders_in(value: Any) -> set[str]:
    """Return the variable names referenced by `{{name}}` placeholders anywhere in `value`."""
    if isinstance(value, str):
        return set(PLACEHOLDER_RE.findall(value))
    if isinstance(value, dict):
        return set().union(*(placeholders_in(item) for item in value.values()))
    if isinstance(value, list):
        return set().union(*(placeholders_in(item) for item in value))
    return set()


def check_placeholders_declared(definition: Any, specs: list[VariableSpec]) -> None:
    """Raise ValidationError when the definition uses a placeholder no variable declares."""
    undeclared = sorted(placeholders_in(definition) - {spec.name for spec in specs})
    if undeclared:
        raise ValidationError({"definition": [f"Undeclared variables: {', '.join(undeclared)}."]})


def resolve_values(specs: list[VariableSpec], supplied: Any) -> dict[str, Any]:
    """Return each variable's value: the supplied one, else its default.

    Raise ValidationError (paths `variables.<name>`) for a missing required variable, an
    unknown one or a value of the wrong type.
    """
    if supplied is None:
        supplied = {}
    if not isinstance(supplied, dict):
        raise ValidationError({"variables": ["Must be an object of variable values."]})
    declared = {spec.name: spec for spec in specs}
    errors: dict[str, list[str]] = {
        f"variables.{name}": ["Unknown variable."] for name in sorted(set(supplied) - set(declared))
    }
    values: dict[str, Any] = {}
    for spec in specs:
        value = supplied.get(spec.name, spec.default)
        if value is None:
            if spec.required:
                errors[f"variables.{spec.name}"] = ["This variable is required."]
            continue
        if not VARIABLE_TYPES[spec.type](value):
            errors[f"variables.{spec.name}"] = [f"Must be a {spec.type}."]
            continue
        values[spec.name] = value
    if errors:
        raise ValidationError(errors)
    return values


def render_definition(value: Any, values: dict[str, Any]) -> Any:
    """Return a copy of `value` with every placeholder of a known variable filled in."""
    if isinstance(value, str):
        whole = PLACEHOLDER_RE.fullmatch(value.strip())
        if whole and whole.group(1) in values:
            return values[whole.group(1)]
        return PLACEHOLDER_RE.sub(lambda match: _as_text(match, values), value)
    if isinstance(value, dict):
        return {key: render_definition(item, values) for key, item in value.items()}
    if isinstance(value, list):
        return [render_definition(item, values) for item in value]
    return value


def _as_text(match: re.Match, values: dict[str, Any]) -> str:
    name = match.group(1)
    if name not in values:
        # An optional variable left unset: the placeholder disappears rather than leaking.
        return ""
    value = values[name]
    return value if isinstance(value, str) else json.dumps(value)


def definition_outline(definition: Any) -> dict:
    """Return the shape of a definition (node ids and types, edges) without its parameters.

    What a paid template shows before it is installed: enough to judge it, not to copy it.
    """
    if not isinstance(definition, dict):
        return {"nodes": [], "edges": []}
    nodes = [
        {"id": node.get("id"), "type": node.get("type")}
        for node in definition.get("nodes", [])
        if isinstance(node, dict)
    ]
    return {"nodes": nodes, "edges": list(definition.get("edges", []))}
