"""The SMS page: as long as a configured number of concatenated segments, numbered options in text."""

from __future__ import annotations

from functools import lru_cache

from flows.gsm7 import sms_encoding
from flows.paging import Surface, compose_reply
from flows.reply import Reply

DEFAULT_MAX_SEGMENTS = 3


@lru_cache(maxsize=16)
def sms_surface(max_segments: int = DEFAULT_MAX_SEGMENTS) -> Surface:
    """A surface whose pages fit `max_segments` segments (GSM-7 153/160, UCS-2 67/70 per part).

    Cached so that every turn shares one Surface and the engine's page cache hits."""
    if max_segments < 1:
        raise ValueError("an SMS page needs at least one segment")
    return Surface("sms", lambda page: sms_encoding(page).segments <= max_segments)


def render_sms(reply: Reply) -> str:
    """The text of an SMS reply: body, one numbered option a line, navigation (Persian digits for fa)."""
    return compose_reply(reply)
