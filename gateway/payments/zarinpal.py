"""Zarinpal v4 redirect gateway client (aiohttp).

request: POST /pg/v4/payment/request.json {merchant_id, amount, callback_url, description, metadata}
  -> {"data": {"code": 100, "authority": "A0..."}, "errors": []}; the browser goes to /pg/StartPay/<authority>
  and comes back to callback_url?Authority=...&Status=OK|NOK.
verify:  POST /pg/v4/payment/verify.json {merchant_id, amount, authority}
  -> data.code 100 (verified now) or 101 (verified before), with ref_id and card_pan;
  errors.code -50 when the amount differs, -51 when it was not paid.
5xx, timeouts and unreachable hosts are retryable ProviderErrors; the sweeper asks again later.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Literal

import aiohttp

from flows.errors import ProviderError
from gateway.payments.models import Payment, Verification
from gateway.payments.providers import PaymentOrder, authority_param
from gateway.payments.settings import ZarinpalSettings

PAID_CODES = frozenset({100, 101})
AMOUNT_MISMATCH = -50
NOT_PAID = -51
_REFUSALS: dict[int, Literal["mismatch", "unpaid"]] = {AMOUNT_MISMATCH: "mismatch", NOT_PAID: "unpaid"}
"""Refusal codes with an outcome of their own; any other is `rejected`."""
MAX_RESPONSE = 64 * 1024


def _code_and_message(body: Mapping[str, Any]) -> tuple[int | None, str, Mapping[str, Any]]:
    """(code, message, data) from a v4 answer: success in `data`, refusals in `errors`."""
    data = body.get("data")
    if isinstance(data, Mapping) and "code" in data:
        return int(data["code"]), str(data.get("message", "")), data
    errors = body.get("errors")
    if isinstance(errors, Mapping) and "code" in errors:
        return int(errors["code"]), str(errors.get("message", "")), {}
    return None, "no code in the answer", {}


class Zarinpal:
    """PaymentProvider for Zarinpal v4 (or anything speaking its JSON, e.g. our test fake)."""

    name = "zarinpal"

    def __init__(self, settings: ZarinpalSettings) -> None:
        self.settings = settings
        self.base = settings.url
        self._session: aiohttp.ClientSession | None = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=self.settings.timeout),
                headers={"Accept": "application/json", "User-Agent": "pishkhan"},
            )
        return self._session

    async def _post(self, path: str, payload: Mapping[str, Any]) -> Mapping[str, Any]:
        """POST JSON and return the JSON answer; ProviderError when there is no usable answer."""
        url = f"{self.base}{path}"
        try:
            async with self._client().post(url, json=dict(payload)) as response:
                raw = await response.content.read(MAX_RESPONSE)
                if response.status >= 500:
                    raise ProviderError(f"zarinpal {path}: HTTP {response.status}", retryable=True)
                try:
                    body = json.loads(raw.decode("utf-8"))
                except (ValueError, UnicodeDecodeError) as exc:
                    raise ProviderError(f"zarinpal {path}: HTTP {response.status}, not JSON", retryable=response.status == 429) from exc
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            raise ProviderError(f"zarinpal {path}: unreachable ({exc.__class__.__name__})", retryable=True) from exc
        if not isinstance(body, Mapping):
            raise ProviderError(f"zarinpal {path}: the answer is not a JSON object", retryable=False)
        return body

    async def create(self, order: PaymentOrder) -> str:
        """request.json; the authority, or a ProviderError saying why Zarinpal refused."""
        metadata = {k: v for k, v in (("mobile", order.mobile), ("order_id", order.order_id)) if v}
        body = await self._post("/pg/v4/payment/request.json", {
            "merchant_id": self.settings.merchant_id, "amount": order.amount, "currency": "IRR",
            "callback_url": order.callback_url, "description": order.description, "metadata": metadata,
        })
        code, message, data = _code_and_message(body)
        authority = data.get("authority") if code == 100 else None
        if not isinstance(authority, str) or authority_param({"Authority": authority}) is None:
            raise ProviderError(f"zarinpal refused the payment request: code {code} {message}", retryable=False)
        return authority

    def redirect_url(self, authority: str) -> str:
        """/pg/StartPay/<authority> on the same host."""
        return f"{self.base}/pg/StartPay/{authority}"

    def authority_from(self, query: Mapping[str, str]) -> str | None:
        """`Authority` from the callback (`Status` is ignored: we verify)."""
        return authority_param(query)

    async def verify(self, payment: Payment) -> Verification:
        """verify.json with our stored amount."""
        body = await self._post("/pg/v4/payment/verify.json", {
            "merchant_id": self.settings.merchant_id, "amount": payment.amount, "authority": payment.authority,
        })
        code, message, data = _code_and_message(body)
        if code is None:
            raise ProviderError(f"zarinpal verify: {message}", retryable=True)
        if code in PAID_CODES:
            ref = data.get("ref_id")
            return Verification("paid", code, message, ref_id=str(ref) if ref is not None else None,
                                card_pan=str(data["card_pan"])[:32] if data.get("card_pan") else None)
        outcome: Literal["mismatch", "unpaid", "rejected"] = _REFUSALS.get(code, "rejected")
        return Verification(outcome, code, message[:200])

    async def close(self) -> None:
        """Close the HTTP session."""
        if self._session is not None:
            await self._session.close()
            self._session = None
