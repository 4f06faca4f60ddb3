"""Message text as Telegram counts and lays it out: 4096 UTF-16 units a message, direction per line."""

from __future__ import annotations

TELEGRAM_LIMIT = 4096
"""Most characters (UTF-16 code units, as the Bot API counts them) in one message."""

RLM = "\u200f"
"""Right-to-left mark: Telegram picks a paragraph's direction from its first strong character, so a
Persian line that starts with a digit, a tracking code or a Latin word would otherwise run left to right."""

RTL_LANGUAGES = frozenset({"fa", "ar", "he", "ur"})


def left_to_right(text: str) -> str:
    """A phone number or URL isolated left to right, so in a Persian line `+98912...` keeps its plus in front."""
    return f"\u2066{text}\u2069"


def utf16_len(text: str) -> int:
    """Length as the Bot API counts it (an emoji outside the BMP is two)."""
    return len(text.encode("utf-16-le")) // 2


def right_to_left(text: str, lang: str) -> str:
    """Each non-empty line of a right-to-left language starts with an RLM; other languages unchanged."""
    if lang not in RTL_LANGUAGES:
        return text
    return "\n".join(RLM + line if line and not line.startswith(RLM) else line for line in text.split("\n"))


def _fitting_prefix(text: str, limit: int) -> int:
    """Characters of `text` whose UTF-16 length is at most `limit`."""
    used = 0
    for index, char in enumerate(text):
        used += 2 if ord(char) > 0xFFFF else 1
        if used > limit:
            return index
    return len(text)


def split_text(text: str, limit: int = TELEGRAM_LIMIT) -> list[str]:
    """Parts of at most `limit` units, cut at a line break, else a space, else anywhere; never lost."""
    parts: list[str] = []
    rest = text
    while utf16_len(rest) > limit:
        size = _fitting_prefix(rest, limit)
        cut = rest.rfind("\n", 0, size + 1)
        if cut < size // 2:
            cut = rest.rfind(" ", 0, size + 1)
        if cut < size // 2:
            cut = size
        parts.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip("\n ")
    if rest or not parts:
        parts.append(rest)
    return parts


def split_for(text: str, lang: str, limit: int = TELEGRAM_LIMIT) -> list[str]:
    """`split_text` of the direction-marked text; a part cut mid-line gets its own mark."""
    marked = right_to_left(text, lang)
    if lang not in RTL_LANGUAGES:
        return split_text(marked, limit)
    return [p if p.startswith(RLM) or not p else RLM + p for p in split_text(marked, limit - 1)]
