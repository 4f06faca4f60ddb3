"""Phone numbers from providers, parsed once into E.164 with phonenumbers."""

from __future__ import annotations

from functools import lru_cache

import phonenumbers

from flows.errors import ChannelError


@lru_cache(maxsize=16384)
def to_e164(raw: str, default_region: str = "IR") -> str:
    """A provider's number as E.164; ChannelError when it is not a possible number.

    Kept for the numbers seen lately: every hop of a USSD session carries the same number, and
    phonenumbers' parse was a third of a hop's CPU. A refused number is not kept (it raises)."""
    text = raw.strip()
    if text.isdigit() and not text.startswith("0") and len(text) > 10:
        text = "+" + text  # aggregators often drop the plus: 98912...
    try:
        number = phonenumbers.parse(text, default_region)
    except phonenumbers.NumberParseException as exc:
        raise ChannelError(f"not a phone number: {exc}") from exc
    if not phonenumbers.is_possible_number(number):
        raise ChannelError("not a possible phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
