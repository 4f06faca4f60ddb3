"""One status-lookup policy for every way a citizen asks "where is my request?" (a flow's
`request_status` action, the SMS `STATUS <code>` keyword): the check digit is checked before any
lookup, lookups per address are rate-limited so codes cannot be enumerated, a slow store ends in a
polite answer within a bound, and someone who only guessed a code sees nothing personal.
"""

from __future__ import annotations

import asyncio
import enum
import logging
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from flows.normalise import normalise_input
from flows.tracking import is_valid_tracking_code
from gateway.requests.service import RequestService
from gateway.state import StateStore

log = logging.getLogger(__name__)

LOOKUP_TIMEOUT = 3.0
"""Seconds a lookup may take; within a USSD hop's budget and an SMS reply budget."""
_CODE_NOISE = re.compile(r"[\s\-_.]")
"""What people type inside a code (spaces, dashes, dots) and the code does not contain."""


class Outcome(enum.Enum):
    """How a lookup ended; the value is the flow outcome a `request_status` action reports."""

    FOUND = "ok"
    NO_CODE = "no_code"
    BAD_CODE = "bad_code"
    RATE_LIMITED = "rate_limited"
    NOT_FOUND = "not_found"
    UNAVAILABLE = "unavailable"


@dataclass(frozen=True)
class Asker:
    """Who is asking: their address on the channel and the phone number a provider vouches for."""

    address: str
    phone: str | None


@dataclass(frozen=True)
class Lookup:
    """A lookup's outcome, the code as read, and the status lines when found."""

    outcome: Outcome
    code: str
    text: str = ""
    other: bool = False
    """The code is another kind's (a complaint's: `other_codes`), whose text says what it is."""


OtherCodes = Callable[[str, Asker, str], Awaitable[str | None]]
"""The status text of another kind of code (the code, who asks, the language); None when it is not one."""


class StatusLookup:
    """Looks up a request's status under the policy above."""

    def __init__(self, requests: RequestService, state: StateStore, *, timeout: float = LOOKUP_TIMEOUT,
                 other_codes: Sequence[OtherCodes] = ()) -> None:
        self.requests = requests
        self.state = state
        self.timeout = timeout
        self.other_codes = tuple(other_codes)
        """Other kinds of codes a citizen may type where a tracking code is asked (a complaint's: those never
        equal a request's), looked up in turn when no request has the code."""

    async def lookup(self, typed: str, asker: Asker, lang: str) -> Lookup:
        """The status of the request whose code the citizen typed (digits in any script, spaces allowed)."""
        code = _CODE_NOISE.sub("", normalise_input(typed))
        if not code:
            return Lookup(Outcome.NO_CODE, code)
        if not is_valid_tracking_code(code):
            return Lookup(Outcome.BAD_CODE, code[:20])
        limits = self.requests.settings
        try:
            if not await self.state.allow(f"lookup:{asker.address}", limits.lookup_limit, limits.lookup_window):
                return Lookup(Outcome.RATE_LIMITED, code)
            text, other = await asyncio.wait_for(self._status_text(code, asker, lang), self.timeout)
        except Exception:  # a slow or broken store must end in a polite answer
            log.exception("status lookup failed")
            return Lookup(Outcome.UNAVAILABLE, code)
        if text is None:
            return Lookup(Outcome.NOT_FOUND, code)
        return Lookup(Outcome.FOUND, code, text, other)

    async def _status_text(self, code: str, asker: Asker, lang: str) -> tuple[str | None, bool]:
        """The status text and whether it is another kind's."""
        text = await self.requests.status_text(code, asker_address=asker.address, asker_phone=asker.phone, lang=lang)
        if text is not None:
            return text, False
        for other in self.other_codes:
            text = await other(code, asker, lang)
            if text is not None:
                return text, True
        return None, False
