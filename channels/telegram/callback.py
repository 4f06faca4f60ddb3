"""Callback data of inline buttons: `<menu token>.<choice key>`, far under the Bot API's 64 bytes.

Buttons under outbox messages (a satisfaction rating, a poll) carry `<namespace>:<numbers>` instead,
`csat:<survey id>:<rating>`: they belong to no menu and stay valid after the conversation moved on.

The token names the menu message the button belongs to and is kept server-side per chat; a press on
an older menu carries an old token and is refused instead of being fed to whatever screen is current.
"""

from __future__ import annotations

import re
import secrets

MAX_CALLBACK_BYTES = 64
RESTART = "start"
"""Data of the "main menu" button under a finished conversation: acts as /start."""

_DATA = re.compile(r"^([0-9a-f]{8})\.([0-9]{1,3})$")
_NAMESPACED = re.compile(r"^([a-z]{2,10}):([0-9]{1,18}(?::[0-9]{1,18}){0,2})$")


def new_menu_token() -> str:
    """A fresh token for the next menu message of a chat."""
    return secrets.token_hex(4)


def encode_callback(token: str, key: str) -> str:
    """Callback data for choice `key` of menu `token`; ValueError for anything that would not round-trip."""
    data = f"{token}.{key}"
    if not _DATA.match(data) or len(data.encode()) > MAX_CALLBACK_BYTES:
        raise ValueError(f"choice key {key!r} cannot be a button (keys are 1-3 digits)")
    return data


def decode_callback(data: str | None) -> tuple[str, str] | None:
    """(token, key) from a button press, or None when the data is not ours (forged, or from another bot)."""
    match = _DATA.match(data or "")
    return (match.group(1), match.group(2)) if match else None


def encode_namespaced(namespace: str, *numbers: int) -> str:
    """Callback data of a button under an outbox message: `csat:12:4`; ValueError for what would not round-trip."""
    data = ":".join((namespace, *map(str, numbers)))
    if not _NAMESPACED.match(data) or len(data.encode()) > MAX_CALLBACK_BYTES:
        raise ValueError(f"{data!r} cannot be callback data (a lower-case namespace and one to three whole numbers)")
    return data


def decode_namespaced(data: str | None) -> tuple[str, tuple[int, ...]] | None:
    """(namespace, numbers) of such a button's data; None for menu buttons and anything not ours."""
    match = _NAMESPACED.match(data or "")
    return (match.group(1), tuple(int(n) for n in match.group(2).split(":"))) if match else None
