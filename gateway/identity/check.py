"""One ownership question asked the right way: the cache first, then the provider within its time.

The provider is given `identity.timeout`, below the flow's action timeout, so a slow provider ends
as a ProviderError the submit path turns into "your answers are kept", never as a cancelled action
whose answers would be lost. A question the citizen's submission asks counts against the number's
daily limit before the provider hears it; the background retry of answers already kept does not
(the citizen asked once, and an outage must not use their day up).
"""

from __future__ import annotations

import asyncio
import logging

from flows.errors import ProviderError
from flows.masking import mask_national_code, mask_phone
from gateway.identity.cache import IdentityCache
from gateway.identity.limit import DailyLimit
from gateway.identity.providers import IdentityProvider

log = logging.getLogger(__name__)


class IdentityCheck:
    """Does a mobile number belong to a national code: cached answers, else the provider's."""

    def __init__(self, provider: IdentityProvider, cache: IdentityCache, limit: DailyLimit, timeout: float) -> None:
        self.provider = provider
        self.cache = cache
        self.limit = limit
        self.timeout = timeout

    async def matches(self, mobile: str, national_code: str, *, counted: bool = True) -> bool:
        """The answer; ProviderError when the provider cannot give one in time, LimitReached (when
        `counted`) when the number has had its questions for today and the cache has no answer."""
        cached = await self.cache.get(mobile, national_code)
        if cached is not None:
            return cached
        if counted:
            await self.limit.take(mobile)
        try:
            answer = await asyncio.wait_for(self.provider.check(mobile, national_code), self.timeout)
        except TimeoutError:
            raise ProviderError(f"{self.provider.name}: no answer within {self.timeout:.1f} s", retryable=True) from None
        await self.cache.put(mobile, national_code, answer)
        log.info("identity check by %s: %s %s national code %s", self.provider.name, mask_phone(mobile),
                 "matches" if answer else "does not match", mask_national_code(national_code))
        return answer
