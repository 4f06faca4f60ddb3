"""Where conversations are kept: one object owns the session and language keys, lifetimes, the phone
attached to a session and the per-conversation lock, for USSD, SMS and bots alike.

aiogram's `StorageKey` + `BaseStorage` is the model: no channel builds a state key by hand.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

from flows.session import Session
from gateway.state import Delete, Get, Op, Put, StateStore

if TYPE_CHECKING:  # read for its lifetimes only: the settings need not be imported to keep sessions
    from gateway.analytics.tally import Tally
    from gateway.settings import Settings

EXTRA = "extra"
"""The key under which a channel keeps its own data beside the session (USSD: the provider's hop)."""


SESSION_PREFIX = "session:"
RECENT_LOCKS = 4096
"""Conversation locks kept alive between messages (see `Sessions.lock`): a USSD session's hops come
seconds apart, and making its lock again each hop cost more than the rest of the look-up."""


class SessionKey(NamedTuple):
    """One conversation: a channel and the address on it. A tuple rather than a frozen dataclass:
    each hop finds its conversation's lock by it, and a tuple hashes and compares in C where a
    dataclass runs a Python `__hash__` and `__eq__` every time."""

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


class Stored(NamedTuple):
    """A stored session and what its channel keeps beside it. This and `Reading` and `Loaded` are
    named tuples, not frozen dataclasses, for the same reason as `SessionKey`: every hop makes one
    of each, and a frozen dataclass sets each field through `object.__setattr__`."""

    session: Session
    extra: Mapping[str, Any]


class ConversationLock(asyncio.Lock):
    """A conversation's lock, counting this process's saves of it: a read made before the lock was
    taken is still good under it when no save came in between."""

    saves = 0


class Reading(NamedTuple):
    """A read of a conversation that a caller sends in a batch with its own ops (an SMS claims the
    text's id in the same round trip); stamped before it is sent."""

    key: SessionKey
    lock: ConversationLock
    saves: int

    @property
    def ops(self) -> list[Op]:
        """The session and the remembered language, in that order."""
        return [Get(self.key.session), Get(language_key(self.key.address))]

    def loaded(self, results: Sequence[Any]) -> Loaded:
        """What the ops' results say."""
        data, remembered = results
        stored = Stored(Session.from_dict(data), dict(data.get(EXTRA) or {})) if data else None
        return Loaded(stored, _lang(remembered), self)


class Loaded(NamedTuple):
    """What one read of a conversation brings: its stored session, if any, and the language the
    citizen chose before (read together, as a new conversation starts in it)."""

    stored: Stored | None
    lang: str | None
    reading: Reading

    @property
    def live(self) -> Session | None:
        """The session still going on, or None."""
        return None if self.stored is None or self.stored.session.ended else self.stored.session

    @property
    def fresh(self) -> bool:
        """No save of the conversation in this process since the read (other processes take a
        citizen's messages one after another anyway)."""
        return self.reading.lock.saves == self.reading.saves


def session_lifetimes(settings: Settings) -> SessionLifetimes:
    """Session lifetimes from the settings' `sessions:` section."""
    s = settings.sessions
    return SessionLifetimes(ttl={"ussd": s.ussd_ttl, "sms": s.sms_ttl, "telegram": s.telegram_ttl}, language_ttl=s.language_ttl)


class Sessions:
    """Sessions, remembered languages and per-conversation locks over a StateStore."""

    def __init__(self, state: StateStore, settings: SessionLifetimes, tally: Tally | None = None) -> None:
        self.state = state
        self.settings = settings
        self.tally = tally
        """Counts each save for flow analytics (in memory; see gateway.analytics.tally)."""
        self._locks: weakref.WeakValueDictionary[SessionKey, ConversationLock] = weakref.WeakValueDictionary()
        self._recent: dict[SessionKey, ConversationLock] = {}
        """The last RECENT_LOCKS conversations' locks, held so they outlive the hop that took them.
        `_locks` still finds any lock someone holds (a read in flight), so a key never has two."""

    def lock(self, key: SessionKey) -> ConversationLock:
        """Held while a conversation's session is read, changed and written, so two messages of one
        citizen in this process are taken one at a time (across processes a citizen's messages are
        sequential anyway, and effects are idempotent)."""
        lock = self._recent.get(key)
        if lock is None:
            lock = self._locks.get(key)
            if lock is None:
                lock = self._locks[key] = ConversationLock()
            if len(self._recent) >= RECENT_LOCKS:
                del self._recent[next(iter(self._recent))]  # the oldest in: a dict keeps insertion order
            self._recent[key] = lock
        return lock

    def ttl(self, channel: str) -> float:
        """How long a conversation on `channel` is kept between messages."""
        return self.settings.ttl.get(channel, 600)

    async def read(self, key: SessionKey) -> Loaded:
        """The stored session (ended ones included: a retried last hop needs them) and the remembered
        language, in one round trip."""
        reading = self.reading(key)
        return reading.loaded(await self.state.batch(reading.ops))

    def reading(self, key: SessionKey) -> Reading:
        """A read of the conversation for a batch of the caller's (see `read`)."""
        lock = self.lock(key)
        return Reading(key, lock, lock.saves)

    async def count_on(self, nodes: Collection[str]) -> int:
        """How many conversations still going sit on one of `nodes` (a scan: for operators, not hops)."""
        count = 0
        async for data in self.state.values(SESSION_PREFIX):
            count += not data.get("ended") and data.get("node") in nodes
        return count

    async def live(self, key: SessionKey) -> Session | None:
        """The session still going on, or None."""
        return (await self.read(key)).live

    async def save(self, session: Session, extra: Mapping[str, Any] | None = None, *, ttl: float | None = None,
                   lang: str | None = None) -> None:
        """Keep `session` for `ttl` seconds (default: its channel's); an ended one is forgotten unless
        a `ttl` says how long to keep it. `lang`: a language the citizen just chose, remembered for
        their next conversation on any channel, in the same round trip."""
        key = SessionKey(session.channel, session.address)
        self.lock(key).saves += 1  # before the write: a read racing it is not taken as fresh
        counted = self.tally.saved(key, session) if self.tally is not None else ()
        if session.ended and ttl is None:
            ops: list[Put | Delete] = [Delete(key.session)]
        else:
            data = session.to_dict()
            if extra:
                data[EXTRA] = dict(extra)
            ops = [Put(key.session, data, self.ttl(session.channel) if ttl is None else ttl)]
        if lang:
            ops.append(Put(language_key(session.address), {"lang": lang}, self.settings.language_ttl))
        ops.extend(counted)
        await self.state.batch(ops)

    async def language(self, address: str) -> str | None:
        """The language this citizen chose on any channel, if remembered."""
        return _lang(await self.state.get(language_key(address)))

    async def attach_phone(self, key: SessionKey, phone: str) -> None:
        """A conversation already going gets a verified number, so a request submitted in it carries it."""
        async with self.lock(key):
            stored = (await self.read(key)).stored
            if stored is not None and not stored.session.ended:
                stored.session.phone = phone
                await self.save(stored.session, stored.extra)


def _lang(remembered: Mapping[str, Any] | None) -> str | None:
    lang = remembered.get("lang") if remembered else None
    return str(lang) if lang else None
