"""Short numbers: which provider, sender id and flow serve a number citizens text."""

from __future__ import annotations

import logging
import re

from gateway.sms.settings import ShortNumber, SmsSettings

log = logging.getLogger(__name__)

_NOT_DIGIT = re.compile(r"[^0-9]")
COUNTRY_PREFIXES = ("0098", "98")
"""Aggregators write a short number as 3000, 983000 or +983000."""


class ShortNumbers:
    """Finds the short number a text was sent to, and the one a message leaves from."""

    def __init__(self, settings: SmsSettings) -> None:
        self.numbers = dict(settings.short_numbers)
        self.default = settings.default_short_number

    def for_receiver(self, receiver: str) -> ShortNumber | None:
        """The short number a text was addressed to; the default (logged) for an unknown one."""
        digits = _NOT_DIGIT.sub("", receiver)
        candidates = [digits] + [digits[len(p):] for p in COUNTRY_PREFIXES if digits.startswith(p)]
        for candidate in candidates:
            if candidate in self.numbers:
                return self.numbers[candidate]
        if self.default in self.numbers:
            log.warning("SMS to unconfigured number %r answered on the default short number %s; add it under sms.short_numbers",
                        receiver[:20], self.default)
            return self.numbers[self.default]
        return None

    def for_message(self, short_code: str | None) -> ShortNumber | None:
        """The short number a message leaves from: the one it answers, else the default."""
        return self.numbers.get(short_code or "") or self.numbers.get(self.default)
