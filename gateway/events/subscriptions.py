"""Agencies' subscriptions: which URL gets which event types, signed with which secret.

Every change is audited in its own transaction (`event_subscription.*`); the secret is returned
once, on creation and on rotation, and never listed or logged. A URL must be public `https` unless
`events.allow_private_urls` is on: a subscription must not point the gateway at its own network.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from flows.clock import SYSTEM_CLOCK, Clock
from flows.errors import PishkhanError
from gateway.audit import AuditLog
from gateway.events.egress import is_private
from gateway.events.log import TYPES
from gateway.events.settings import EventSettings
from gateway.events.signing import new_secret
from gateway.store import Database, Row, Transaction

STATES = ("enabled", "disabled")


class SubscriptionError(PishkhanError):
    """A subscription cannot be made or changed as asked; `field` names the input at fault."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(f"{field}: {message}")


class SubscriptionNotFound(PishkhanError):
    """No such subscription for this agency."""


@dataclass(frozen=True)
class Subscription:
    """A subscription as operators see it: never its secret."""

    id: int
    agency: str
    url: str
    types: list[str]
    personal: bool
    state: str
    disabled_reason: str | None
    created_by: str
    created_at: float
    updated_at: float
    rotating_until: float | None
    """While the previous secret still signs (after a rotation), until when."""

    def as_json(self) -> dict[str, Any]:
        """The API's and CLI's form."""
        return dict(self.__dict__)


def _subscription(row: Row, now: float) -> Subscription:
    until = row["previous_until"] if row["previous_secret"] and (row["previous_until"] or 0) > now else None
    return Subscription(row["id"], row["agency"], row["url"], json.loads(row["types"]), bool(row["personal"]), row["state"],
                        row["disabled_reason"], row["created_by"], row["created_at"], row["updated_at"], until)


def checked_url(url: str, settings: EventSettings) -> str:
    """The URL if a subscription may use it; SubscriptionError naming `url` otherwise."""
    if not isinstance(url, str) or not url:
        raise SubscriptionError("url", "give the URL events are posted to")
    if len(url) > settings.max_url_length:
        raise SubscriptionError("url", f"at most {settings.max_url_length} characters, not {len(url)}")
    if any(c.isspace() or ord(c) < 32 for c in url):
        raise SubscriptionError("url", "must not contain spaces or control characters")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 -- raises on a port that is not a number
    except ValueError as error:
        raise SubscriptionError("url", f"not a URL: {error}") from None
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise SubscriptionError("url", "must be an https:// URL with a host")
    if parts.username or parts.password:
        raise SubscriptionError("url", "must not carry a user or password (the signature authenticates)")
    if parts.fragment:
        raise SubscriptionError("url", "must not have a #fragment")
    if not settings.allow_private_urls:
        if parts.scheme != "https":
            raise SubscriptionError("url", "must use https (events.allow_private_urls allows http, for tests)")
        if is_private(parts.hostname):
            raise SubscriptionError("url", f"{parts.hostname} is a loopback or private host (events.allow_private_urls allows it, for tests)")
    return url


def checked_types(types: Sequence[str]) -> list[str]:
    """The event types asked for, each known and once, in TYPES order."""
    if not types:
        raise SubscriptionError("types", f"name at least one of {', '.join(TYPES)}")
    unknown = [t for t in types if t not in TYPES]
    if unknown:
        raise SubscriptionError("types", f"unknown event type {unknown[0]!r}; use {', '.join(TYPES)}")
    return [t for t in TYPES if t in types]


class Subscriptions:
    """The event_subscriptions table."""

    def __init__(self, db: Database, settings: EventSettings, clock: Clock = SYSTEM_CLOCK) -> None:
        self.db = db
        self.settings = settings
        self.clock = clock
        self.audit = AuditLog(db, clock=clock)

    async def create(self, agency: str, url: str, types: Sequence[str], *, personal: bool, actor: str) -> tuple[Subscription, str]:
        """A new enabled subscription and its secret (the only time it is seen)."""
        url, kinds, secret, now = checked_url(url, self.settings), checked_types(types), new_secret(), self.clock()
        async with self.db.transaction() as conn:
            if await conn.fetchone("SELECT 1 FROM agencies WHERE id = ?", (agency,)) is None:
                raise SubscriptionError("agency", f"no agency {agency} in the catalogue (its agencies: list)")
            await conn.lock(f"event_subscriptions:{agency}")
            count = await conn.fetchone("SELECT count(*) AS n FROM event_subscriptions WHERE agency = ?", (agency,))
            if count is not None and count["n"] >= self.settings.max_subscriptions:
                raise SubscriptionError("url", f"agency {agency} has {count['n']} subscriptions, the most events.max_subscriptions allows")
            subscription_id = await conn.insert(
                "INSERT INTO event_subscriptions (agency, url, types, personal, secret, created_by, created_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)", (agency, url, json.dumps(kinds), int(personal), secret, actor, now, now))
            await self.audit.record(actor, "event_subscription.created", f"{agency}/{subscription_id}",
                                    {"url": url, "types": kinds, "personal": personal}, conn=conn)
            row = await self._row(conn, agency, subscription_id)
        return _subscription(row, now), secret

    @staticmethod
    async def _row(conn: Transaction, agency: str, subscription_id: int) -> Row:
        row = await conn.fetchone("SELECT * FROM event_subscriptions WHERE id = ? AND agency = ?", (subscription_id, agency))
        if row is None:
            raise SubscriptionNotFound(f"agency {agency} has no subscription {subscription_id}")
        return row

    async def list(self, agency: str) -> list[Subscription]:
        """An agency's subscriptions, oldest first."""
        rows = await self.db.fetchall("SELECT * FROM event_subscriptions WHERE agency = ? ORDER BY id", (agency,))
        return [_subscription(r, self.clock()) for r in rows]

    async def get(self, agency: str, subscription_id: int) -> Subscription:
        """One subscription; SubscriptionNotFound when the agency has no such one."""
        row = await self.db.fetchone("SELECT * FROM event_subscriptions WHERE id = ? AND agency = ?", (subscription_id, agency))
        if row is None:
            raise SubscriptionNotFound(f"agency {agency} has no subscription {subscription_id}")
        return _subscription(row, self.clock())

    async def set_state(self, agency: str, subscription_id: int, state: str, *, actor: str) -> Subscription:
        """Enable or disable; a disabled subscription's queued deliveries are skipped, later events not queued."""
        if state not in STATES:
            raise SubscriptionError("state", f"use {' or '.join(STATES)}")
        now = self.clock()
        async with self.db.transaction() as conn:
            await self._row(conn, agency, subscription_id)
            await conn.execute("UPDATE event_subscriptions SET state = ?, disabled_reason = ?, updated_at = ? WHERE id = ?",
                               (state, None if state == "enabled" else f"by {actor}", now, subscription_id))
            await self.audit.record(actor, f"event_subscription.{state}", f"{agency}/{subscription_id}", conn=conn)
            row = await self._row(conn, agency, subscription_id)
        return _subscription(row, now)

    async def rotate(self, agency: str, subscription_id: int, *, actor: str) -> tuple[Subscription, str]:
        """A new secret (returned once); the old one still signs for `events.rotation_overlap` seconds."""
        secret, now = new_secret(), self.clock()
        async with self.db.transaction() as conn:
            await self._row(conn, agency, subscription_id)
            await conn.execute(
                "UPDATE event_subscriptions SET previous_secret = secret, previous_until = ?, secret = ?, updated_at = ? WHERE id = ?",
                (now + self.settings.rotation_overlap, secret, now, subscription_id))
            await self.audit.record(actor, "event_subscription.rotated", f"{agency}/{subscription_id}", conn=conn)
            row = await self._row(conn, agency, subscription_id)
        return _subscription(row, now), secret

    async def delete(self, agency: str, subscription_id: int, *, actor: str) -> None:
        """Remove a subscription; its queued deliveries are skipped, its delivery log stays."""
        async with self.db.transaction() as conn:
            row = await self._row(conn, agency, subscription_id)
            await conn.execute("DELETE FROM event_subscriptions WHERE id = ?", (subscription_id,))
            await self.audit.record(actor, "event_subscription.deleted", f"{agency}/{subscription_id}", {"url": row["url"]}, conn=conn)
