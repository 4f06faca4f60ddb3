"""Where conversations are kept: one object owns the session and language keys, lifetimes, the phone
attached to a session and the per-conversation lock, for USSD, SMS and bots alike.

aiogram's `StorageKey` + `BaseStorage` is the model: no channel builds a state key by hand.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from flows.session import Session
from gateway.state import StateStore

if TYPE_CHECKING:  # read for its lifetimes only: the settings need not be imported to keep sessions
    from gateway.settings import Settings

EXTRA = "extra"
"""The key under which a channel keeps its own data beside the session (USSD: the provider's hop)."""


SESSION_PREFIX = "session:"


@dataclass(frozen=True)
class SessionKey:
    """One conversation: a channel and the address on it."""

    channel: str
    address: str

    @property
    def session(self) -> str:
        """Where the conversation's session is stored."""
        return f"{SESSION_PREFIX}{self.channel}:{self.address}"


def language_key(address: str) -> str:
    """Where a citizen's chosen language is remembered, across channels of the same address."""
    return f"lang:{address}"


@dataclass(frozen=True)
class SessionLifetimes:
    """How long things are kept, in seconds."""

    ttl: Mapping[str, float]
    """Per channel: how long a conversation waits for the citizen's next message."""
    language_ttl: float


@dataclass(frozen=True)
class Stored:
    """A stored session and what its channel keeps beside it."""

    session: Session
    extra: Mapping[str, Any]


def session_lifetimes(settings: Settings) -> SessionLifetimes:
    """Session lifetimes from the settings' `sessions:` section."""
    s = settings.sessions
    return SessionLifetimes(ttl={"ussd": s.ussd_ttl, "sms": s.sms_ttl, "telegram": s.telegram_ttl}, language_ttl=s.language_ttl)


class Sessions:
    """Sessions, remembered languages and per-conversation locks over a StateStore."""

    def __init__(self, state: StateStore, settings: SessionLifetimes) -> None:
        self.state = state
        self.settings = settings
        self._locks: weakref.WeakValueDictionary[SessionKey, asyncio.Lock] = weakref.WeakValueDictionary()

    def lock(self, key: SessionKey) -> asyncio.Lock:
        """Held while a conversation's session is read, changed and written, so two messages of one
        citizen in this process are taken one at a time (across processes a citizen's messages are
        sequential anyway, and effects are idempotent)."""
        lock = self._locks.get(key)
        if lock is None:
            lock = asyncio.Lock()
            self._locks[key] = lock
        return lock

    def ttl(self, channel: str) -> float:
        """How long a conversation on `channel` is kept between messages."""
        return self.settings.ttl.get(channel, 600)

    async def load(self, key: SessionKey) -> Stored | None:
        """The stored session (ended ones included: a retried last hop needs them)."""
        data = await self.state.get(key.session)
        if not data:
            return None
        return Stored(Session.from_dict(data), dict(data.get(EXTRA) or {}))

    async def count_on(self, nodes: Collection[str]) -> int:
        """How many conversations still going sit on one of `nodes` (a scan: for operators, not hops)."""
        count = 0
        async for data in self.state.values(SESSION_PREFIX):
            count += not data.get("ended") and data.get("node") in nodes
        return count

    async def live(self, key: SessionKey) -> Session | None:
        """The session still going on, or None."""
        stored = await self.load(key)
        return None if stored is None or stored.session.ended else stored.session

    async def save(self, session: Session, extra: Mapping[str, Any] | None = None, *, ttl: float | None = None) -> None:
        """Keep `session` for `ttl` seconds (default: its channel's); an ended one is forgotten unless
        a `ttl` says how long to keep it."""
        key = SessionKey(session.channel, session.address)
        if session.ended and ttl is None:
            await self.state.delete(key.session)
            return
        data = session.to_dict()
        if extra:
            data[EXTRA] = dict(extra)
        await self.state.set(key.session, data, self.ttl(session.channel) if ttl is None else ttl)

    async def language(self, address: str) -> str | None:
        """The language this citizen chose on any channel, if remembered."""
        remembered = await self.state.get(language_key(address))
        lang = remembered.get("lang") if remembered else None
        return str(lang) if lang else None

    async def remember_language(self, address: str, lang: str) -> None:
        """Remember a chosen language for the citizen's next conversation, on any channel."""
        await self.state.set(language_key(address), {"lang": lang}, self.settings.language_ttl)

    async def attach_phone(self, key: SessionKey, phone: str) -> None:
        """A conversation already going gets a verified number, so a request submitted in it carries it."""
        async with self.lock(key):
            stored = await self.load(key)
            if stored is not None and not stored.session.ended:
                stored.session.phone = phone
                await self.save(stored.session, stored.extra)
