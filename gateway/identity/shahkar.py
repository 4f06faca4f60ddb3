"""An ownership check over HTTPS in the wire format of Shahkar's `ServiceIDMatching` (as operators and
aggregators expose it to government agencies).

POST <base_url>/ServiceIDMatching, HTTP Basic credentials, JSON:
  {"requestId": "<32 hex>", "serviceNumber": "09121234567", "serviceType": 2,
   "identificationType": 0, "identificationNo": "0499370899"}
  serviceType 2: a mobile line; identificationType 0: an Iranian national code.
-> 200 {"requestId": ..., "response": 200, "result": "OK.", "comment": ...}        the number is the code's
   200 {"requestId": ..., "response": 600, "result": "Not matched", "comment": ...} it is not
   any other `response` (400 bad input, 401 credentials, 500...), HTTP 5xx, a timeout or no connection:
   ProviderError (5xx, 429, timeouts and unreachable are retryable).
The credentials and the pair are never logged; errors name the status only.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from typing import Any

import aiohttp

from flows.errors import ProviderError
from flows.masking import mask_digit_runs
from gateway.identity.settings import IdentitySettings

PATH = "/ServiceIDMatching"
MATCHED, NOT_MATCHED = 200, 600
SERVICE_TYPE_MOBILE, ID_TYPE_NATIONAL_CODE = 2, 0
MAX_RESPONSE = 16 * 1024


def national_number(mobile: str) -> str:
    """An Iranian E.164 number as Shahkar wants it: `+989121234567` -> `09121234567`."""
    return "0" + mobile[3:] if mobile.startswith("+98") else mobile


class ShahkarIdentity:
    """IdentityProvider speaking the ServiceIDMatching JSON (or anything that does: our test fake)."""

    name = "shahkar"

    def __init__(self, settings: IdentitySettings) -> None:
        self.settings = settings
        self.url = settings.base_url.rstrip("/") + PATH
        self._session: aiohttp.ClientSession | None = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=self.settings.timeout),
                headers={"Accept": "application/json", "User-Agent": "pishkhan",
                         "Authorization": aiohttp.encode_basic_auth(self.settings.username, self.settings.password)},
            )
        return self._session

    async def _post(self, payload: Mapping[str, Any]) -> Mapping[str, Any]:
        try:
            async with self._client().post(self.url, json=dict(payload)) as response:
                raw = await response.content.read(MAX_RESPONSE)
                if response.status >= 500 or response.status == 429:
                    raise ProviderError(f"shahkar: HTTP {response.status}", retryable=True)
                try:
                    body = json.loads(raw.decode("utf-8"))
                except (ValueError, UnicodeDecodeError) as exc:
                    raise ProviderError(f"shahkar: HTTP {response.status}, not JSON", retryable=False) from exc
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            raise ProviderError(f"shahkar: unreachable ({exc.__class__.__name__})", retryable=True) from exc
        if not isinstance(body, Mapping):
            raise ProviderError("shahkar: the answer is not a JSON object", retryable=False)
        return body

    async def check(self, mobile: str, national_code: str) -> bool:
        """ServiceIDMatching for the pair; True on 200, False on 600, ProviderError otherwise."""
        request_id = uuid.uuid4().hex
        body = await self._post({"requestId": request_id, "serviceNumber": national_number(mobile), "serviceType": SERVICE_TYPE_MOBILE,
                                 "identificationType": ID_TYPE_NATIONAL_CODE, "identificationNo": national_code})
        code = body.get("response")
        if code == MATCHED:
            return True
        if code == NOT_MATCHED:
            return False
        result = mask_digit_runs(str(body.get("result", ""))[:100])  # it may echo the number or the code
        raise ProviderError(f"shahkar: response {code!r} ({result})", retryable=isinstance(code, int) and code >= 500)

    async def close(self) -> None:
        """Close the HTTP session."""
        if self._session is not None:
            await self._session.close()
            self._session = None
