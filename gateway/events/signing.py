"""Standard Webhooks signatures (https://www.standardwebhooks.com, spec/standard-webhooks.md).

Written here rather than taken from the `standardwebhooks` package: signing is fifteen lines of
hmac and base64, and the package's `verify` reads the wall clock (no injected clock for tests) and
its `sign` wants a datetime. tests/unit/test_events_signing.py checks these against the
specification's published test vector, and has the package itself (a test dependency: what an
agency's receiver may well run) verify our deliveries.

A secret is `whsec_` + base64 of 32 random bytes; the HMAC-SHA256 key is the decoded bytes. The
signed content is `{webhook-id}.{webhook-timestamp}.{body}`; the header is `v1,<base64 digest>`,
several space-separated while a rotated secret still signs.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from collections.abc import Iterable

PREFIX = "whsec_"
SECRET_BYTES = 32
"""The specification asks for 24 to 64 random bytes."""


class BadSecret(ValueError):
    """A text that is not a `whsec_` secret."""


def new_secret() -> str:
    """A fresh signing secret, as shown to the agency."""
    return PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii")


def key_of(secret: str) -> bytes:
    """The HMAC key of a secret (with or without its prefix)."""
    text = secret[len(PREFIX):] if secret.startswith(PREFIX) else secret
    try:
        key = base64.b64decode(text, validate=True)
    except binascii.Error as error:
        raise BadSecret(f"not base64: {error}") from None
    if not key:
        raise BadSecret("empty")
    return key


def signature(key: bytes, webhook_id: str, timestamp: int, body: bytes) -> str:
    """One `v1,<base64>` signature of a delivery."""
    digest = hmac.new(key, f"{webhook_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


def signature_header(secrets_in_use: Iterable[str], webhook_id: str, timestamp: int, body: bytes) -> str:
    """The `webhook-signature` header: one signature per secret in use, space-separated."""
    return " ".join(signature(key_of(s), webhook_id, timestamp, body) for s in secrets_in_use)


def headers(secrets_in_use: Iterable[str], webhook_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """The three Standard Webhooks headers of one attempt."""
    return {"webhook-id": webhook_id, "webhook-timestamp": str(timestamp),
            "webhook-signature": signature_header(secrets_in_use, webhook_id, timestamp, body)}
