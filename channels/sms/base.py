"""What every SMS dialect shares: the raw request, the parsed values, and the dialect interface."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Protocol
from urllib.parse import quote, unquote, unquote_to_bytes

from flows.errors import ChannelError

DELIVERY_STATES = ("accepted", "sent_to_smsc", "delivered", "failed", "expired")
"""Where an outgoing SMS has got to, as every dialect's report is mapped."""

MAX_FIELD_BYTES = 4096
"""No genuine field is longer (a 10-part UCS-2 SMS is 1,340 bytes); a longer one is refused."""


_UNRESERVED = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-~"
_ESCAPED = tuple(chr(byte) if byte in _UNRESERVED else f"%{byte:02X}" for byte in range(256))
"""What each byte becomes in `quote(..., safe="")`, by its value."""


@lru_cache(maxsize=4096)
def percent_encoded(text: str) -> str:
    """`urllib.parse.quote(text, safe="")` (UTF-8, every reserved character escaped), the same
    string. Kept for the last 4,096 values: a reply is mostly a menu page that many citizens get,
    and escaping a Persian page byte by byte is most of building a sendsms URL."""
    return "".join([_ESCAPED[byte] for byte in text.encode("utf-8")])


def query_string(params: Mapping[str, str]) -> str:
    """`urlencode(params, quote_via=quote)`, the same string, by `percent_encoded`."""
    return "&".join(f"{percent_encoded(name)}={percent_encoded(value)}" for name, value in params.items())


def parse_form(raw: str) -> dict[str, bytes]:
    """`a=1&b=%D8%B3` as raw bytes per field: percent-escapes stay bytes, so a UTF-16BE text
    survives until we know its charset. The last of a repeated field wins, a field without `=` is
    blank: what `parse_qsl(raw, keep_blank_values=True, encoding="latin-1")` gives, by hand, as
    its generic decoding of every name and value was most of reading a text."""
    fields = {}
    for pair in raw.split("&"):
        if pair:
            name, _, value = pair.partition("=")
            name = name.replace("+", " ")
            fields[unquote(name, encoding="latin-1") if "%" in name else name] = _unquoted(value.replace("+", " "))
    return fields


def _unquoted(value: str) -> bytes:
    """`unquote(value, encoding="latin-1").encode("latin-1")`, the same bytes; for ASCII (what a
    query is) that is `unquote_to_bytes` alone."""
    if "%" not in value:
        return value.encode("latin-1")
    if value.isascii():
        return unquote_to_bytes(value)
    return unquote(value, encoding="latin-1").encode("latin-1")


def dlr_address(base: str, provider: str, secret: str, secret_param: str, query: str = "") -> str:
    """Our delivery report URL for a provider; the secret rides in the query because a provider
    calling a dlr-url cannot add headers. `query` is put in as is (Kannel's `%d` must survive)."""
    parts = [p for p in (query, f"{quote(secret_param)}={quote(secret)}" if secret else "") if p]
    return f"{base.rstrip('/')}/sms/dlr/{quote(provider)}" + (f"?{'&'.join(parts)}" if parts else "")


@dataclass(frozen=True)
class WireRequest:
    """A provider's HTTP request as received: raw query string, body and content type."""

    query: str = ""
    body: bytes = b""
    content_type: str = ""
    headers: Mapping[str, str] = field(default_factory=dict)

    def form(self) -> dict[str, bytes]:
        """Query and form-encoded body fields together (the body wins); ChannelError when too long."""
        fields = parse_form(self.query)
        if self.body and self.content_type in ("", "application/x-www-form-urlencoded"):
            try:
                fields.update(parse_form(self.body.decode("latin-1")))
            except ValueError as exc:
                raise ChannelError(f"unreadable form body: {exc}") from exc
        if max(map(len, fields.values()), default=0) > MAX_FIELD_BYTES:
            raise ChannelError("a field is too long", status=413)
        return fields

    def json(self) -> dict[str, Any]:
        """The body as a JSON object; ChannelError for anything else."""
        try:
            data = json.loads(self.body.decode("utf-8"))
        except (ValueError, UnicodeDecodeError) as exc:
            raise ChannelError(f"the body is not JSON: {exc.__class__.__name__}") from exc
        if not isinstance(data, dict):
            raise ChannelError("the JSON body must be an object")
        return data


def text_of(fields: Mapping[str, bytes], *names: str) -> str:
    """The first present field of `names` as text (UTF-8, or Latin-1 when it is not UTF-8)."""
    for name in names:
        raw = fields.get(name)
        if raw is not None:
            return decode(raw, "utf-8")
    return ""


def decode(raw: bytes, charset: str) -> str:
    """Bytes in the charset the provider declared; UTF-16BE for UCS-2 messages."""
    charset = charset.strip().lower().replace("_", "-")
    if charset in ("utf-16be", "utf16-be", "ucs-2", "ucs2", "utf-16"):
        return raw.decode("utf-16-be", errors="replace")
    if charset in ("iso-8859-1", "latin-1", "latin1"):
        return raw.decode("latin-1")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def required(fields: Mapping[str, bytes], *names: str) -> None:
    """ChannelError naming every missing field."""
    missing = [n for n in names if not fields.get(n)]
    if missing:
        raise ChannelError(f"missing {', '.join(missing)}")


@dataclass(frozen=True)
class MoMessage:
    """A text a citizen sent, as the provider pushed it (numbers not yet normalised)."""

    message_id: str
    sender: str
    receiver: str
    text: str


@dataclass(frozen=True)
class DeliveryReport:
    """A provider's report on a message we sent: whose, the state we map it to, and its own words.

    `state` is None for a report that says nothing we track (an unknown status); it is acknowledged
    and ignored."""

    provider_message_id: str
    state: str | None
    detail: str


@dataclass(frozen=True)
class Ack:
    """The answer a provider expects: anything else and it sends the same request again."""

    status: int = 200
    body: str = ""
    content_type: str = "text/plain"


RETRY = Ack(503, "busy: send this message again later")
"""What makes a provider send a text again: Jasmin retries anything but 200 `ACK/Jasmin` (after
deliversm-thrower `retry_delay`, up to `max_retries`); Kannel's smsbox retries a non-2xx answer when
`http-request-retry` is set (every `http-queue-delay` seconds); a generic adapter, any 5xx."""


class SmsDialect(Protocol):
    """One aggregator's HTTP wire format for texts in (MO) and delivery reports."""

    name: str
    ack: Ack

    def parse_mo(self, request: WireRequest) -> MoMessage:
        """The citizen's text; ChannelError when the request is malformed."""

    def parse_dlr(self, request: WireRequest) -> DeliveryReport:
        """The delivery report; ChannelError when the request is malformed."""
