"""Message text as Telegram counts and lays it out: 4096 UTF-16 units a message, direction per line."""

from __future__ import annotations

from itertools import takewhile

from flows.graphemes import fitting_prefix, gaps

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


def _break(text: str, size: int) -> tuple[int, int]:
    """(end of this part, start of the next) for a text cut near `size`: at the last line break,
    else space, that keeps at least half the part; else at `size` itself, a cluster boundary."""
    # A gap's whitespace is dropped, so it may run past the limit.
    breaks = [gap for gap in takewhile(lambda gap: gap[0] <= size, gaps(text)) if gap[0] >= size // 2]
    lines = [(end, start) for end, start in breaks if "\n" in text[end:start]]
    return (lines or breaks or [(size, size)])[-1]


def split_text(text: str, limit: int = TELEGRAM_LIMIT) -> list[str]:
    """Parts of at most `limit` units, cut at a line break, else a space, else between grapheme
    clusters (a flag or an emoji family is never split); never lost."""
    parts: list[str] = []
    rest = text
    while utf16_len(rest) > limit:
        end, start = _break(rest, fitting_prefix(rest, lambda part: utf16_len(part) <= limit))
        parts.append(rest[:end])
        rest = rest[start:]
    if rest or not parts:
        parts.append(rest)
    return parts


def split_for(text: str, lang: str, limit: int = TELEGRAM_LIMIT) -> list[str]:
    """`split_text` of the direction-marked text; a part cut mid-line gets its own mark."""
    marked = right_to_left(text, lang)
    if lang not in RTL_LANGUAGES:
        return split_text(marked, limit)
    return [p if p.startswith(RLM) or not p else RLM + p for p in split_text(marked, limit - 1)]
