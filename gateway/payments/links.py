"""Payment link tokens: random, unguessable, saying nothing about the request, stored only hashed.

A token is 192 bits from `secrets` (URL-safe, 32 characters), so a plain SHA-256 is enough to
keep a leaked database from yielding working links. The form token (CSRF) is separate and random
per link.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

TOKEN_BYTES = 24
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{32}$")


def new_token() -> str:
    """A fresh link token."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def new_csrf() -> str:
    """A fresh form token for one link's pages."""
    return secrets.token_urlsafe(16)


def token_hash(token: str) -> str:
    """What the store keeps of a token."""
    return hashlib.sha256(token.encode()).hexdigest()


def link_key(payment_id: int, hashed: str) -> str:
    """The outbox key of the message carrying a payment's link for the token with this hash."""
    return f"payment-link:{payment_id}:{hashed[:16]}"


def looks_like_token(text: str) -> bool:
    """Shape check before any lookup (bounds what reaches the store)."""
    return bool(_TOKEN.match(text))


def link_url(public_base_url: str, token: str) -> str:
    """`<public_base_url>/pay/<token>`."""
    return f"{public_base_url.rstrip('/')}/pay/{token}"


def same_secret(given: str | None, expected: str) -> bool:
    """Constant-time comparison of a submitted form or cookie token."""
    return given is not None and hmac.compare_digest(given.encode(), expected.encode())
