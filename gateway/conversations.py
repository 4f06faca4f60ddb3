"""One turn of a conversation: load the session, run the engine, save the session.

Channel-independent; the only USSD-specific knowledge here is how to find the new input in an
accumulated `a*b*c` string and how a direct dial replays its menu path.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from dataclasses import dataclass

from channels.inbound import Inbound
from flows.engine import Engine
from flows.masking import mask_phone
from flows.paging import Surface
from flows.reply import Reply
from flows.session import Session
from gateway.state import StateStore

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ConversationSettings:
    """Session lifetimes per channel and where a direct dial starts."""

    ttl: dict[str, int]
    language_ttl: int
    direct_dial_root: str


def session_key(channel: str, address: str) -> str:
    """Where a conversation's session is stored."""
    return f"session:{channel}:{address}"


def language_key(address: str) -> str:
    """Where a citizen's chosen language is remembered, across channels of the same address."""
    return f"lang:{address}"


def masked(address: str) -> str:
    """An address safe for logs: the phone part masked."""
    scheme, _, rest = address.partition(":")
    return f"{scheme}:{mask_phone(rest)}" if rest.startswith("+") else address


def new_input(accumulated: str, previous: str) -> str:
    """The part of an accumulated USSD string the citizen just typed (free text may contain `*`)."""
    if previous and accumulated.startswith(previous + "*"):
        return accumulated[len(previous) + 1:]
    return accumulated.rsplit("*", 1)[-1]


class Conversations:
    """Runs turns against the current engine; the engine is swapped when flows or the catalogue change."""

    def __init__(self, engine: Engine, state: StateStore, settings: ConversationSettings) -> None:
        self.engine = engine
        self.state = state
        self.settings = settings
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()

    def _lock(self, key: str) -> asyncio.Lock:
        lock = self._locks.get(key)
        if lock is None:
            lock = asyncio.Lock()
            self._locks[key] = lock
        return lock

    async def turn(self, inbound: Inbound, surface: Surface) -> Reply:
        """Answer one inbound message; hops of one address are handled one at a time."""
        key = session_key(inbound.channel, inbound.address)
        async with self._lock(key):
            stored = await self.state.get(key)
            session = Session.from_dict(stored) if stored else None
            if self._is_new(session, inbound):
                known_lang = None
                session, reply = await self._start(inbound, surface)
            else:
                assert session is not None
                known_lang = session.lang if session.lang_chosen else None
                reply = await self._continue(session, inbound, surface)
            if session.lang_chosen and session.lang != known_lang:
                await self.state.set(language_key(session.address), {"lang": session.lang}, self.settings.language_ttl)
            session.provider_session = inbound.session_id
            session.last_text = inbound.accumulated_text or ""
            await self._save(key, session)
        return reply

    @staticmethod
    def _is_new(session: Session | None, inbound: Inbound) -> bool:
        if session is None or session.ended or inbound.new_session:
            return True
        return bool(inbound.session_id) and session.provider_session != inbound.session_id

    async def _start(self, inbound: Inbound, surface: Surface) -> tuple[Session, Reply]:
        remembered = await self.state.get(language_key(inbound.address))
        lang = remembered.get("lang") if remembered else None
        path = inbound.dial_path or tuple(p for p in (inbound.accumulated_text or "").split("*") if p)
        entry = inbound.entry or (self.settings.direct_dial_root if path else None)
        session = self.engine.new_session(
            inbound.channel, inbound.address, lang=lang, phone=inbound.phone, entry=entry
        )
        reply = await self.engine.open(session, surface)
        for choice in path:
            if session.ended:
                break
            reply = await self.engine.handle(session, choice, surface)
        if inbound.text and inbound.accumulated_text is None and not path and not session.ended and inbound.channel != "ussd":
            reply = await self.engine.handle(session, inbound.text, surface)
        log.info("%s %s started at %s", inbound.channel, masked(inbound.address), session.node)
        return session, reply

    async def _continue(self, session: Session, inbound: Inbound, surface: Surface) -> Reply:
        if inbound.accumulated_text is not None:
            if inbound.accumulated_text == session.last_text:
                return self.engine.current(session, surface)  # the provider retried the same hop
            text = new_input(inbound.accumulated_text, session.last_text)
        else:
            text = inbound.text
        return await self.engine.handle(session, text, surface)

    async def _save(self, key: str, session: Session) -> None:
        if session.ended:
            await self.state.delete(key)
        else:
            await self.state.set(key, session.to_dict(), self.settings.ttl.get(session.channel, 600))
