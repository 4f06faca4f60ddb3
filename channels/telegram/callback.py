"""Callback data of inline buttons: `<menu token>.<choice key>`, far under the Bot API's 64 bytes.

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
