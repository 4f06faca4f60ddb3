"""How a state value (a session, a hop's bookkeeping, a claim's leftovers) is written: JSON.

orjson rather than the standard library: every hop writes its session and reads it back, and the
standard encoder was about a tenth of a hop's CPU (20 µs to write and 13 µs to read a session
under load, against 2 and 4 µs). The text is the same JSON, so values written by either read back.
"""

from __future__ import annotations

from typing import Any

import orjson

_OPTIONS = orjson.OPT_NON_STR_KEYS
"""Integer keys become strings, as the standard encoder does, rather than an error."""


def encode(value: dict[str, Any]) -> bytes:
    """The value as UTF-8 JSON; TypeError for what JSON cannot hold."""
    return orjson.dumps(value, option=_OPTIONS)


def decode(raw: bytes | str) -> dict[str, Any]:
    """A value written by `encode` (or by the standard library's json.dumps)."""
    value: dict[str, Any] = orjson.loads(raw)
    return value
