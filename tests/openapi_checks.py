"""Validate a body against a schema from `/api/schema/` as a client would read it."""

from __future__ import annotations

from jsonschema import Draft4Validator


def as_json_schema(schema):
    """OpenAPI 3.0 to draft 4: `nullable` becomes a null type; `$` ends the string (ECMA)."""
    if isinstance(schema, list):
        return [as_json_schema(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    converted = {key: as_json_schema(value) for key, value in schema.items()}
    if converted.pop("nullable", False):
        converted = {"anyOf": [{"type": "null"}, converted]}
    if isinstance(converted.get("pattern"), str):
        converted["pattern"] = converted["pattern"].removesuffix("$") + r"\Z"
    return converted


def schema_errors(schema: dict, instance, components: dict | None = None) -> list[str]:
    """Return why instance does not match schema (whose $refs point into components)."""
    root = as_json_schema({**schema, "components": components or {}})
    return [error.message for error in Draft4Validator(root).iter_errors(instance)]


def component_errors(components: dict, name: str, instance) -> list[str]:
    return schema_errors({"$ref": f"#/components/schemas/{name}"}, instance, components)
