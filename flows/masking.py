"""Partial masking of personal identifiers, so logs can be read without leaking them."""

from __future__ import annotations

import re

_KEEP_END = 3
_DIGIT_RUN = re.compile(r"\+?[0-9۰-۹٠-٩]{7,}")
"""A phone number or a national code typed into free text (in any digits)."""


def _hide_before_end(value: str, hidden: int) -> str:
    """Replace `hidden` characters before the last three; all of a value too short for that."""
    end = len(value) - _KEEP_END
    if end - hidden < 0 or hidden < 1:
        return "*" * len(value)
    return value[: end - hidden] + "*" * hidden + value[end:]


def mask_phone(e164: str) -> str:
    """Hide four digits before the last three: "+989121234567" -> "+98912****567".

    The prefix keeps country and operator, which is what debugging delivery needs.
    """
    return _hide_before_end(e164, hidden=4)


def mask_national_code(code: str) -> str:
    """Show only the last three digits: "0499370899" -> "*******899"."""
    return _hide_before_end(code, hidden=len(code) - _KEEP_END)


def masked(address: str) -> str:
    """An address safe for logs (`tel:+98912****567`): the phone part masked, other schemes as they are."""
    scheme, _, rest = address.partition(":")
    return f"{scheme}:{mask_phone(rest)}" if rest.startswith("+") else address


def mask_digit_runs(text: str) -> str:
    """Free text a citizen wrote (a comment, a complaint) as a viewer reads it: every run of digits
    long enough to be a phone number or a national code masked but its last three."""
    return _DIGIT_RUN.sub(lambda found: mask_national_code(found.group(0)), text)
