"""Canonical form of what a citizen types, before any validator looks at it.

Phones in Iran send Persian or Arabic-Indic digits, Arabic or Persian yeh/kaf
and invisible bidi marks depending on the keyboard; flows compare and store
only one spelling of each.
"""

from __future__ import annotations

import re

# Validators must match digits with these, never `\d`: Python's `\d` and int()
# also accept Persian and Arabic-Indic digits, which would slip past unnormalised.
ASCII_DIGITS = re.compile(r"[0-9]+")
ASCII_INTEGER = re.compile(r"-?[0-9]+")

ZWNJ = "\u200c"

_FOLD = str.maketrans(
    {
        **{chr(0x06F0 + i): str(i) for i in range(10)},  # Persian digits
        **{chr(0x0660 + i): str(i) for i in range(10)},  # Arabic-Indic digits
        "\u064a": "\u06cc",  # Arabic yeh -> Persian yeh
        "\u0649": "\u06cc",  # Arabic alef maksura -> Persian yeh
        "\u0643": "\u06a9",  # Arabic kaf -> Persian keheh
    }
)

# Zero-width and bidi controls that keyboards and copy-paste leave behind.
# ZWNJ is not here: it is part of Persian spelling (می‌خواهم).
_INVISIBLE = re.compile("[\u200b\u200d\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
# A ZWNJ only means something between two letters; elsewhere it is noise.
_STRAY_ZWNJ = re.compile(rf"(?<!\S){ZWNJ}|{ZWNJ}(?!\S)")
_ZWNJ_RUN = re.compile(f"{ZWNJ}{{2,}}")

_KEPT_AS_WRITTEN = re.compile(r"https?://\S+|[A-Za-z0-9]*[A-Za-z][A-Za-z0-9]*")
"""A URL, or a Latin word with digits in it (G2C, B2B, ISO9001, v2): read as written, not as a number."""
_TO_PERSIAN = str.maketrans({str(i): chr(0x06F0 + i) for i in range(10)})


def normalise_input(text: str) -> str:
    """Fold digits and letters to one spelling, drop invisible marks, tidy spaces.

    Idempotent, so it is safe to apply at every layer that is unsure.
    """
    if text.isascii() and text.isalnum():  # a menu choice, most inputs: nothing below would change it
        return text
    text = _INVISIBLE.sub("", text.translate(_FOLD))
    text = _ZWNJ_RUN.sub(ZWNJ, text)
    text = _STRAY_ZWNJ.sub("", text)
    return " ".join(text.split())


def to_persian_digits(text: str) -> str:
    """Show ASCII digits as Persian ones where a citizen reads them as a number (amounts, dates,
    tracking codes), leaving URLs and Latin identifiers alone: a link must still work, and `G2C`
    written `G۲C` in a Persian card reads as neither."""
    pieces: list[str] = []
    last = 0
    for kept in _KEPT_AS_WRITTEN.finditer(text):
        pieces.append(text[last : kept.start()].translate(_TO_PERSIAN))
        pieces.append(kept.group())
        last = kept.end()
    pieces.append(text[last:].translate(_TO_PERSIAN))
    return "".join(pieces)


def is_ascii_digits(text: str) -> bool:
    """True when text is one or more ASCII digits and nothing else."""
    return ASCII_DIGITS.fullmatch(text) is not None
