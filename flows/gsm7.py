"""How much of a USSD page or an SMS a text uses (GSM 03.38 / UCS-2 maths).

One character outside the GSM alphabet turns the whole message into UCS-2,
which more than halves the room; Persian text is always UCS-2.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from flows.graphemes import fitting_prefix, gaps

ESC = "\x1b"
GSM7_TABLE = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ" + ESC + "ÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
"""GSM 03.38 default alphabet: the character each septet value 0x00–0x7F stands for."""
GSM7_ESCAPED = {0x0A: "\f", 0x14: "^", 0x28: "{", 0x29: "}", 0x2F: "\\", 0x3C: "[", 0x3D: "~", 0x3E: "]", 0x40: "|", 0x65: "€"}
"""The extension table: the septet after ESC and the character the pair stands for."""

# The basic alphabet without ESC: a literal ESC in our text would be read by the handset as the
# start of an extension character.
GSM7_BASIC = frozenset(GSM7_TABLE) - {ESC}
# Sent as ESC + one septet, so each costs two.
GSM7_EXTENSION = frozenset(GSM7_ESCAPED.values())

SMS_SINGLE = {"gsm7": 160, "ucs2": 70}
# A concatenated part loses room to the 6-octet user data header.
SMS_MULTIPART = {"gsm7": 153, "ucs2": 67}

Coding = Literal["gsm7", "ucs2"]


_GSM7_ALL = GSM7_BASIC | GSM7_EXTENSION


def is_gsm7(text: str) -> bool:
    """True when every character can be sent in the GSM 7-bit alphabet."""
    return _GSM7_ALL.issuperset(text)  # set maths in C: this runs for every page of every hop


def gsm7_length(text: str) -> int:
    """Septets the text takes in GSM 7-bit; extension characters count two."""
    return len(text) + sum(text.count(c) for c in GSM7_EXTENSION)


def ucs2_length(text: str) -> int:
    """UTF-16 code units the text takes (emoji and other astral characters count two)."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def coding_of(text: str) -> Coding:
    """The coding a gateway will pick: GSM 7-bit if it can, otherwise UCS-2."""
    return "gsm7" if is_gsm7(text) else "ucs2"


def _length(text: str, coding: Coding) -> int:
    return gsm7_length(text) if coding == "gsm7" else ucs2_length(text)


def ussd_budget_used(text: str, gsm_limit: int = 182, ucs2_limit: int = 80) -> tuple[int, int]:
    """(used, limit) for a USSD page, with the limit of the coding the text needs."""
    coding = coding_of(text)
    return _length(text, coding), gsm_limit if coding == "gsm7" else ucs2_limit


def fits_ussd(text: str, gsm_limit: int = 182, ucs2_limit: int = 80) -> bool:
    """True when the text fits on one USSD page."""
    used, limit = ussd_budget_used(text, gsm_limit, ucs2_limit)
    return used <= limit


@dataclass(frozen=True)
class SmsEncoding:
    """How an SMS will go out: its coding, how many parts and how many units in all."""

    coding: Coding
    segments: int
    units: int


def sms_encoding(text: str) -> SmsEncoding:
    """Coding, segment count and length (septets or UTF-16 units) of an SMS."""
    coding = coding_of(text)
    units = _length(text, coding)
    if units <= SMS_SINGLE[coding]:
        return SmsEncoding(coding, 1, units)
    per_part = SMS_MULTIPART[coding]
    return SmsEncoding(coding, -(-units // per_part), units)


def split_sms(text: str) -> list[str]:
    """Cut text into segment bodies, breaking after whitespace where it can; "".join(parts) == text.

    Cuts fall between grapheme clusters, so a flag, a ZWJ family, a skin tone or a keycap is never
    split across parts (only a cluster longer than a whole segment would have to be).
    """
    coding = coding_of(text)
    if _length(text, coding) <= SMS_SINGLE[coding]:
        return [text]
    room = SMS_MULTIPART[coding]
    parts: list[str] = []
    rest = text
    while _length(rest, coding) > room:
        size = fitting_prefix(rest, lambda part: _length(part, coding) <= room)
        # After the last whitespace that fits, unless that wastes more than half the segment.
        after_space = max((start for end, start in gaps(rest[:size]) if end < size), default=0)
        cut = after_space if after_space > size // 2 else size
        parts.append(rest[:cut])
        rest = rest[cut:]
    parts.append(rest)
    return parts


def decode_gsm7_septets(raw: bytes) -> str | None:
    """GSM 03.38 text from unpacked septets, one per octet, as SMPP carries `data_coding` 0.

    None when an octet is above 0x7F: the bytes are not septets (many SMSCs put Latin-1 or UTF-8
    there instead), and the caller decides what they are. An ESC before a septet with no extension
    character reads as the basic character (03.38's rule for an unknown escape); a trailing ESC is a
    space."""
    if any(octet > 0x7F for octet in raw):
        return None
    chars: list[str] = []
    escaped = False
    for septet in raw:
        if escaped:
            chars.append(GSM7_ESCAPED.get(septet, GSM7_TABLE[septet]))
            escaped = False
        elif septet == 0x1B:
            escaped = True
        else:
            chars.append(GSM7_TABLE[septet])
    if escaped:
        chars.append(" ")
    return "".join(chars)
