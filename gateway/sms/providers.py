"""HTTP clients for the aggregators' send APIs: Kannel `sendsms`, Jasmin `/send`, generic JSON.

Each client turns one message into the provider's request and its answer into a provider message
id, or a ProviderError: retryable for 5xx, 429, timeouts and refused connections (the outbox
dispatcher backs off and, after its last try, dead-letters), not retryable for other 4xx.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Protocol

import aiohttp
from yarl import URL

from channels.sms import generic, jasmin, kannel
from channels.sms.base import query_string
from flows.errors import ProviderError
from gateway.sms.settings import ProviderSettings

ERROR_BODY_CHARS = 120
"""How much of a provider's error answer is kept in `last_error` (never the request: it has the password)."""


@dataclass(frozen=True)
class Submission:
    """One SMS to hand to a provider."""

    reference: str
    """Our id for it (the outbox id): Kannel has no id of its own, so its reports carry ours."""
    sender: str
    to: str
    text: str
    dlr_url: str


class ProviderClient(Protocol):
    """Sends one SMS through one aggregator account."""

    name: str
    settings: ProviderSettings

    async def submit(self, http: aiohttp.ClientSession, sms: Submission) -> str:
        """The provider's message id; ProviderError when it refuses or cannot be reached."""


def _retry_after(headers: Mapping[str, str]) -> float | None:
    value = headers.get("Retry-After")
    try:
        return float(value) if value else None
    except ValueError:
        return None


async def call(http: aiohttp.ClientSession, provider: str, method: str, url: str | URL, timeout: aiohttp.ClientTimeout, *,
               data: bytes | None = None, json: object = None, headers: Mapping[str, str] | None = None) -> tuple[int, str]:
    """One request; (status, body) for 2xx, ProviderError otherwise."""
    try:
        async with http.request(method, url, timeout=timeout, data=data, json=json,
                                headers=headers) as response:
            body = await response.text(errors="replace")
            status, answer_headers = response.status, response.headers
    except TimeoutError as exc:
        raise ProviderError(f"{provider}: no answer within {timeout.total:g} s", retryable=True) from exc
    except aiohttp.ClientError as exc:
        raise ProviderError(f"{provider}: cannot connect ({exc.__class__.__name__})", retryable=True) from exc
    if status >= 500 or status == 429:
        raise ProviderError(f"{provider}: HTTP {status} {body[:ERROR_BODY_CHARS]!r}", retryable=True, retry_after=_retry_after(answer_headers))
    if status >= 400:
        raise ProviderError(f"{provider}: refused with HTTP {status} {body[:ERROR_BODY_CHARS]!r}", retryable=False)
    return status, body


class KannelClient:
    """`GET /cgi-bin/sendsms`; Kannel answers 202 `0: Accepted for delivery` and has no message id,
    so our reference is the id its delivery reports carry back."""

    def __init__(self, name: str, settings: ProviderSettings) -> None:
        self.name = name
        self.settings = settings
        self.timeout = aiohttp.ClientTimeout(total=settings.timeout)
        self.endpoint = f"{settings.base_url.rstrip('/')}/cgi-bin/sendsms?"

    async def submit(self, http: aiohttp.ClientSession, sms: Submission) -> str:
        s = self.settings
        params = kannel.sendsms_params(username=s.username, password=s.password, sender=sms.sender, to=sms.to,
                                       text=sms.text, dlr_mask=s.dlr_mask, dlr_url=sms.dlr_url)
        # already percent-encoded: yarl need not parse and quote it again
        url = URL(self.endpoint + query_string(params), encoded=True)
        status, body = await call(http, self.name, "GET", url, self.timeout)
        if not kannel.sendsms_accepted(status, body):
            raise ProviderError(f"{self.name}: unexpected answer HTTP {status} {body[:ERROR_BODY_CHARS]!r}", retryable=True)
        return sms.reference


class JasminClient:
    """`POST /send` (form); Jasmin answers 200 `Success "<message id>"`."""

    def __init__(self, name: str, settings: ProviderSettings) -> None:
        self.name = name
        self.settings = settings
        self.timeout = aiohttp.ClientTimeout(total=settings.timeout)

    async def submit(self, http: aiohttp.ClientSession, sms: Submission) -> str:
        s = self.settings
        form = jasmin.send_form(username=s.username, password=s.password, sender=sms.sender, to=sms.to,
                                text=sms.text, dlr_url=sms.dlr_url, dlr_level=s.dlr_level)
        status, body = await call(http, self.name, "POST", f"{s.base_url.rstrip('/')}/send", self.timeout, data=form,
                                  headers={"Content-Type": "application/x-www-form-urlencoded"})
        message_id = jasmin.sent_message_id(status, body)
        if message_id is None:
            raise ProviderError(f"{self.name}: unexpected answer HTTP {status} {body[:ERROR_BODY_CHARS]!r}", retryable=True)
        return message_id


class GenericClient:
    """`POST <base_url>` JSON, answered 2xx `{"id": "..."}` (our reference when there is no id)."""

    def __init__(self, name: str, settings: ProviderSettings) -> None:
        self.name = name
        self.settings = settings
        self.timeout = aiohttp.ClientTimeout(total=settings.timeout)

    async def submit(self, http: aiohttp.ClientSession, sms: Submission) -> str:
        s = self.settings
        body = generic.message_body(sender=sms.sender, to=sms.to, text=sms.text, reference=sms.reference, dlr_url=sms.dlr_url)
        headers = {"Authorization": aiohttp.encode_basic_auth(s.username, s.password)} if s.username else {}
        _, answer = await call(http, self.name, "POST", s.base_url, self.timeout, json=body, headers=headers)
        try:
            found = json.loads(answer).get("id") if answer.strip() else None
        except (ValueError, AttributeError):
            found = None
        return str(found) if found else sms.reference


CLIENTS: dict[str, Callable[[str, ProviderSettings], ProviderClient]] = {"kannel": KannelClient, "jasmin": JasminClient, "generic": GenericClient}


def client_for(name: str, settings: ProviderSettings) -> ProviderClient:
    """The client for a configured provider."""
    return CLIENTS[settings.type](name, settings)
