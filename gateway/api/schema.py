"""Checks a JSON value against the JSON Schemas the OpenAPI document publishes.

The operator API validates what it receives with the very schemas its document serves, so the two
cannot drift: a field the document calls an enum is refused by the server when it is not one of
them, and a body field the document does not list is refused by name. Only the keywords the
document uses are understood; an unknown one is a programming error, not a silent pass.
"""

from __future__ import annotations

import difflib
import json
import math
import re
from collections.abc import Mapping, Sized
from typing import Any

Json = dict[str, Any]

# keywords that describe rather than constrain (responses' `format` is for readers and fuzzers)
_DESCRIPTIVE = frozenset({"description", "default", "format", "title", "example", "examples", "readOnly"})
_TYPES: dict[str, str] = {"string": "text", "integer": "a whole number", "number": "a number", "boolean": "true or false",
                          "object": "an object", "array": "a list", "null": "null"}


class SchemaError(ValueError):
    """A value that breaks its schema; `field` is the path to the part that is wrong (`inputs[0].name`)."""

    def __init__(self, field: str, message: str, wrong_type: bool = False) -> None:
        self.field, self.message, self.wrong_type = field, message, wrong_type
        super().__init__(f"{field}: {message}" if field else message)


def _is(kind: str, value: Any) -> bool:
    if kind == "integer":
        return (isinstance(value, int) and not isinstance(value, bool)) or (isinstance(value, float) and value.is_integer())
    if kind == "number":
        return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    classes: dict[str, type | tuple[type, ...]] = {"string": str, "boolean": bool, "object": dict, "array": list, "null": type(None)}
    return isinstance(value, classes[kind])


def _join(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def check(value: Any, schema: Json, path: str = "") -> Any:
    """`value` as the schema wants it (whole floats become ints); SchemaError naming the first wrong part."""
    if "anyOf" in schema:
        return _any(value, schema["anyOf"], path)
    unknown = set(schema) - _DESCRIPTIVE - set(_CHECKS) - {"type", "pattern", "properties", "required", "additionalProperties", "items"}
    if unknown:
        raise AssertionError(f"the API schema checker does not understand {sorted(unknown)}")
    kinds = schema.get("type")
    if kinds is not None:
        kinds = [kinds] if isinstance(kinds, str) else kinds
        kind = next((k for k in kinds if _is(k, value)), None)
        if kind is None:
            raise SchemaError(path, f"must be {' or '.join(_TYPES[k] for k in kinds)}", wrong_type=True)
        if kind == "integer":
            value = int(value)
    # re.search, as JSON Schema validators apply `pattern`, so a value the document allows is allowed here
    if "pattern" in schema and isinstance(value, str) and re.search(schema["pattern"], value) is None:
        about = schema.get("description")
        raise SchemaError(path, f"does not match {schema['pattern']}" + (f" ({about})" if about else ""))
    for keyword, rule in _CHECKS.items():
        if keyword in schema:
            rule(schema[keyword], value, path)
    if isinstance(value, dict):
        return _object(value, schema, path)
    if isinstance(value, list) and "items" in schema:
        return [check(item, schema["items"], _join(path, i)) for i, item in enumerate(value)]
    return value


def _any(value: Any, branches: list[Json], path: str) -> Any:
    errors = []
    for branch in branches:
        try:
            return check(value, branch, path)
        except SchemaError as error:
            errors.append(error)
    # the branch of the value's own type says best what is wrong (a text's missing language, not "or null")
    near = [e for e in errors if not (e.wrong_type and e.field == path)]
    if len(near) == 1:
        raise near[0]
    if not near:
        raise SchemaError(path, "must be " + " or ".join(dict.fromkeys(e.message.removeprefix("must be ") for e in errors)), wrong_type=True)
    raise SchemaError(path, "; or ".join(dict.fromkeys(e.message if e.field == path else str(e) for e in near)))


def _object(value: dict[str, Any], schema: Json, path: str) -> dict[str, Any]:
    properties: Mapping[str, Json] = schema.get("properties", {})
    extra = schema.get("additionalProperties", True)
    unknown = [k for k in value if k not in properties] if extra is False else []
    if unknown:
        known = ", ".join(properties) or "none"
        close = difflib.get_close_matches(unknown[0], list(properties), n=1)
        meant = f" (did you mean {close[0]}?)" if close else ""
        raise SchemaError(_join(path, unknown[0]), f"unknown field{'s' if len(unknown) > 1 else ''} "
                                                   f"{', '.join(unknown)}{meant}; the fields are {known}")
    checked = {}
    for key, item in value.items():
        sub = properties.get(key, extra if isinstance(extra, dict) else None)
        checked[key] = check(item, sub, _join(path, key)) if sub is not None else item
    missing = [name for name in schema.get("required", ()) if name not in value]
    if missing:
        others = f" (so are {', '.join(missing[1:])})" if missing[1:] else ""
        raise SchemaError(_join(path, missing[0]), f"is required{others}")
    return checked


def _enum(options: list[Any], value: Any, path: str) -> None:
    if not any(value == o and type(value) is type(o) for o in options):
        raise SchemaError(path, f"use one of {', '.join(str(o) for o in options)}")


def _const(expected: Any, value: Any, path: str) -> None:
    _enum([expected], value, path)


def _bound(test: Any, words: str) -> Any:
    def rule(limit: Any, value: Any, path: str) -> None:
        if _is("number", value) and not test(value, limit):
            raise SchemaError(path, f"must be {words} {limit}")
    return rule


def _size(kind: type[Sized], test: Any, words: str) -> Any:
    def rule(limit: int, value: Any, path: str) -> None:
        if isinstance(value, kind) and not test(len(value), limit):
            raise SchemaError(path, f"must have {words} {limit} {'characters' if kind is str else 'entries'}")
    return rule


def _unique(wanted: bool, value: Any, path: str) -> None:
    if wanted and isinstance(value, list):
        seen: set[str] = set()
        for item in value:
            text = json.dumps(item, sort_keys=True, ensure_ascii=False)
            if text in seen:
                raise SchemaError(path, f"must not repeat an entry ({text} is there twice)")
            seen.add(text)


def _property_names(names: Json, value: Any, path: str) -> None:
    if isinstance(value, dict):
        for key in value:
            check(key, names, _join(path, key))


_CHECKS: dict[str, Any] = {
    "enum": _enum, "const": _const,
    "minimum": _bound(lambda v, limit: v >= limit, "at least"), "maximum": _bound(lambda v, limit: v <= limit, "at most"),
    "minLength": _size(str, lambda n, limit: n >= limit, "at least"), "maxLength": _size(str, lambda n, limit: n <= limit, "at most"),
    "minItems": _size(list, lambda n, limit: n >= limit, "at least"), "maxItems": _size(list, lambda n, limit: n <= limit, "at most"),
    "minProperties": _size(dict, lambda n, limit: n >= limit, "at least"), "maxProperties": _size(dict, lambda n, limit: n <= limit, "at most"),
    "uniqueItems": _unique, "propertyNames": _property_names,
}
