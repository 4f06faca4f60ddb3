"""What every settings section shares: one strict reader and the error it raises.

Sections are frozen stdlib dataclasses owned by the feature that uses them (`gateway/sms/settings.py`
…); `gateway.settings` gathers them into one `Settings`. Feature modules import this module, never
`gateway.settings`, so the gathering does not make an import cycle.

Types are checked by pydantic (a TypeAdapter over the dataclass), because a hand-written checker
for nested dataclasses, lists, mappings and env strings is a library's worth of code: `port: abc`,
`rate: fast` or `bots: [a]` fail at start with the key named, not later inside a handler.
"""

from __future__ import annotations

import difflib
import typing
from collections.abc import Mapping
from dataclasses import fields, is_dataclass
from typing import Any, TypeVar

from pydantic import ConfigDict, TypeAdapter, ValidationError, with_config

from flows.errors import PishkhanError

T = TypeVar("T")

settings_section = with_config(ConfigDict(extra="forbid", coerce_numbers_to_str=True))
"""Decorator for a section dataclass: unknown keys are errors; a number where text is wanted is text."""


class SettingsError(PishkhanError):
    """The configuration cannot be used; the message says which key and why."""


_ADAPTERS: dict[type[Any], TypeAdapter[Any]] = {}


def _adapter(cls: type[T]) -> TypeAdapter[T]:
    """One adapter per section class, built once: building one compiles the class's validator.

    A dict rather than functools.cache, whose typing wants Hashable arguments, which mypy
    does not see a class object as."""
    if cls not in _ADAPTERS:
        _ADAPTERS[cls] = TypeAdapter(cls)
    return _ADAPTERS[cls]


def _known_keys(cls: type[Any], path: tuple[Any, ...]) -> list[str]:
    """The keys the dataclass reached by `path` accepts (for "did you mean")."""
    current: Any = cls
    for part in path:
        if is_dataclass(current):
            current = typing.get_type_hints(current).get(str(part))
        elif typing.get_origin(current) in (dict, Mapping, typing.get_origin(Mapping[str, int])):
            current = typing.get_args(current)[-1]
        else:
            return []
    return [f.name for f in fields(current)] if is_dataclass(current) else []


def _describe(cls: type[Any], name: str, error: Any) -> str:
    loc = tuple(error["loc"])
    where = ".".join([name, *map(str, loc)])
    if error["type"] in ("unexpected_keyword_argument", "extra_forbidden"):
        known = _known_keys(cls, loc[:-1])
        close = difflib.get_close_matches(str(loc[-1]), known, n=1)
        hint = f" (did you mean `{close[0]}`?)" if close else ""
        return f"`{where}`: unknown key{hint}; known: {', '.join(known)}"
    if error["type"] == "missing_argument":
        return f"`{where}`: required"
    return f"`{where}`: {error['msg']} (got {error.get('input')!r})"


def section(cls: type[T], data: Mapping[str, Any] | None, name: str) -> T:
    """Build a section dataclass from its YAML mapping; SettingsError names every wrong key."""
    if data is not None and not isinstance(data, Mapping):
        raise SettingsError(f"`{name}`: expected a mapping of keys, got {data!r}")
    try:
        return _adapter(cls).validate_python(dict(data or {}))
    except ValidationError as exc:
        raise SettingsError("; ".join(_describe(cls, name, e) for e in exc.errors())) from None
