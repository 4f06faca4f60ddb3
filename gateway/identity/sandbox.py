"""The sandbox ownership check: offline and deterministic, so testers can make every outcome.

The rule is on the national code, which a tester types (their phone number is their SIM's):
  - a code starting `000` is not the number's owner (e.g. 0001234005): "does not match";
  - a code starting `999` makes the provider act down (e.g. 9991234004): the request waits, as it
    would for a real outage, and is finished by the background retry, which meets the same rule;
  - any other valid code matches any number.
No real registry is asked, so the sandbox must never be the provider of a real deployment.
"""

from __future__ import annotations

from flows.errors import ProviderError

NO_MATCH_PREFIX = "000"
DOWN_PREFIX = "999"


class SandboxIdentity:
    """IdentityProvider answering by the rule above."""

    name = "sandbox"

    async def check(self, mobile: str, national_code: str) -> bool:
        """The rule above; `mobile` does not matter."""
        if national_code.startswith(DOWN_PREFIX):
            raise ProviderError(f"sandbox identity check: codes starting {DOWN_PREFIX} act as an outage", retryable=True)
        return not national_code.startswith(NO_MATCH_PREFIX)

    async def close(self) -> None:
        """Nothing to release."""
