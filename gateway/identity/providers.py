"""The ownership-check interface: does this mobile number belong to this national code?

Iran's operators answer it through the national Shahkar service; an agency that trusts the answer
need not ask for copies of identity documents. A provider answers yes or no, or raises
ProviderError (retryable when asking again later can help) when it cannot answer: down, slow,
refusing our credentials. It never says "no" for "I could not tell".
"""

from __future__ import annotations

from typing import Protocol


class IdentityProvider(Protocol):
    """A mobile-ownership check: `check` says whether `mobile` (E.164) is registered to `national_code`."""

    name: str

    async def check(self, mobile: str, national_code: str) -> bool:
        """True: the number is the code's; False: it is not; ProviderError: no answer."""

    async def close(self) -> None:
        """Release connections."""
