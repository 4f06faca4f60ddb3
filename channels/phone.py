"""Phone numbers from providers, parsed once into E.164 with phonenumbers."""

from __future__ import annotations

import re
from functools import lru_cache

import phonenumbers

from flows.errors import ChannelError

IRAN_MOBILE = re.compile(r"(?:\+98|98|0)?(9[0-9]{9})")  # ASCII digits only: Persian ones go to phonenumbers
"""An Iranian mobile number as aggregators send it (+98912..., 98912..., 0912..., 912...): what
phonenumbers makes of it is known without asking it (tests/unit/test_hop_parts.py compares the two)."""


@lru_cache(maxsize=16384)
def to_e164(raw: str, default_region: str = "IR") -> str:
    """A provider's number as E.164; ChannelError when it is not a possible number.

    Kept for the numbers seen lately: every hop of a USSD session carries the same number, and
    phonenumbers' parse was a third of a hop's CPU. Iranian mobile numbers do not need it at all:
    its parse costs about 170,000 instructions, once for each new citizen (every USSD session's
    first hop). A refused number is not kept (it raises)."""
    text = raw.strip()
    mobile = IRAN_MOBILE.fullmatch(text) if default_region == "IR" else None
    if mobile is not None:
        return "+98" + mobile[1]
    if text.isdigit() and not text.startswith("0") and len(text) > 10:
        text = "+" + text  # aggregators often drop the plus: 98912...
    try:
        number = phonenumbers.parse(text, default_region)
    except phonenumbers.NumberParseException as exc:
        raise ChannelError(f"not a phone number: {exc}") from exc
    if not phonenumbers.is_possible_number(number):
        raise ChannelError("not a possible phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
