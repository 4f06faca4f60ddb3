"""SMPP `data_coding`: which value a provider reports, and the text its bytes stand for.

A provider that relays SMPP over HTTP hands on the `short_message` bytes as the SMSC sent them,
with the `data_coding` octet beside them. Jasmin's deliverSm thrower writes that octet raw
(`coding=%08` for UCS-2, `coding=%00` for the default alphabet), other relays and older tools
write it in decimal (`coding=8`); both are read here.
"""

from __future__ import annotations

from flows.errors import ChannelError
from flows.gsm7 import decode_gsm7_septets

CHARSETS = {
    1: "ascii",          # IA5 (CCITT T.50)
    3: "latin-1",
    5: "iso2022_jp",     # JIS X 0208
    6: "iso8859_5",      # Cyrillic
    7: "iso8859_8",      # Latin/Hebrew
    8: "utf-16-be",      # UCS-2; UTF-16 reads the surrogate pairs some handsets send
    10: "iso2022_jp",
    13: "iso2022_jp_2",  # JIS X 0212
    14: "euc_kr",        # KS C 5601
}
"""SMPP 3.4 §5.2.19 values with a character set of their own; the default alphabet (0) is GSM 03.38."""


def coding_value(raw: bytes) -> int:
    """The `data_coding` octet from a form field: decimal digits, or the octet itself.

    No valid data_coding is an ASCII digit as a raw octet (0x30–0x39 are reserved), so the two
    spellings never collide. An empty field is the default alphabet."""
    if not raw:
        return 0
    if raw.isdigit() and len(raw) <= 3 and int(raw) <= 0xFF:
        return int(raw)
    if len(raw) == 1:
        return raw[0]
    raise ChannelError(f"coding {raw[:8]!r} is neither a data_coding number nor one octet")


def charset_of(coding: int) -> str | None:
    """The Python codec for a data_coding value; None for the GSM default alphabet.

    Besides SMPP's own values, the GSM 03.38 coding groups an SMSC may pass on unchanged:
    0xC0–0xDF (message waiting, default alphabet), 0xE0–0xEF (message waiting, UCS-2) and
    0xF0–0xFF (message class; bit 2 set means 8-bit data)."""
    if coding in CHARSETS:
        return CHARSETS[coding]
    if 0xE0 <= coding <= 0xEF:
        return "utf-16-be"
    if coding == 0 or 0xC0 <= coding <= 0xDF or (0xF0 <= coding and not coding & 0x04):
        return None
    return "utf-8"  # 8-bit data (2, 4, 0xF4–0xFF) or a value SMPP reserves: read as UTF-8 if it is


def decode_short_message(raw: bytes, coding: int) -> str:
    """The text a citizen sent, from the SMSC's bytes and the data_coding beside them.

    The default alphabet arrives as unpacked GSM 03.38 septets; where an octet is above 0x7F the
    SMSC put another 8-bit charset there (as many do), read as UTF-8, else Latin-1. A byte that
    does not decode becomes U+FFFD rather than losing the whole text."""
    charset = charset_of(coding)
    if charset is None:
        septets = decode_gsm7_septets(raw)
        if septets is not None:
            return septets
        charset = "utf-8"
    if charset == "utf-16-be":
        return raw.decode("utf-16-be", errors="replace")
    try:
        return raw.decode(charset)
    except UnicodeDecodeError:
        return raw.decode("latin-1" if charset == "utf-8" else charset, errors="replace")
