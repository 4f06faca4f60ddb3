"""One turn of a conversation: load the session, run the engine, save the session.

Channel-independent, except for what USSD needs: finding the new input in an accumulated `a*b*c`
string, replaying a direct dial's menu path, answering a provider's retry of the last hop with the
same page (even the final END), and offering a citizen whose session the network dropped to
continue where they were on their next dial.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
import weakref
from dataclasses import dataclass
from typing import Any

from channels.inbound import Inbound
from flows.engine import Engine
from flows.masking import masked
from flows.normalise import normalise_input
from flows.paging import Surface
from flows.phrases import INVALID_CHOICE
from flows.reply import Choice, Reply
from flows.session import Session
from flows.texts import LocalisedText, pick
from gateway.state import StateStore
from gateway.state.resilient import StateUnavailable

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ConversationSettings:
    """Session lifetimes per channel and where a direct dial starts."""

    ttl: dict[str, int]
    language_ttl: int
    direct_dial_root: str
    resume_window: float = 0.0
    """Seconds after a dropped USSD session during which the next dial offers to continue it; 0: never."""


OFFER = "resume_offer"
"""Marks a stored value that is a pending offer to resume (the dropped session inside it)."""
ENDED_TTL = 60
"""Seconds a finished USSD session is kept so a provider's retry of the last hop sees the same END."""
RESUME_QUESTION: LocalisedText = {"fa": "از جایی که ماندید ادامه می‌دهید؟", "en": "Continue where you left off?"}
RESUME_YES: LocalisedText = {"fa": "بله", "en": "Yes"}
RESUME_RESTART: LocalisedText = {"fa": "شروع دوباره", "en": "Start over"}
UNAVAILABLE = Reply(
    body="خدمت موقتا در دسترس نیست. بعدا تلاش کنید.\nBusy now. Please try again later.",
    end=True, expects_input=False, lang="en",
)
"""Both languages: when the store is down we cannot know which one the citizen chose. Worded for
every channel, and within one Persian USSD page (80 characters with `END `)."""


def session_key(channel: str, address: str) -> str:
    """Where a conversation's session is stored."""
    return f"session:{channel}:{address}"


def language_key(address: str) -> str:
    """Where a citizen's chosen language is remembered, across channels of the same address."""
    return f"lang:{address}"


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
        """Answer one inbound message; hops of one address are handled one at a time (in this process;
        across processes a citizen's hops are sequential anyway, and effects are idempotent)."""
        key = session_key(inbound.channel, inbound.address)
        async with self._lock(key):
            try:
                return await self._turn(key, inbound, surface)
            except StateUnavailable as exc:
                log.warning("%s %s answered with an apology: %s", inbound.channel, masked(inbound.address), exc)
                return UNAVAILABLE

    async def _turn(self, key: str, inbound: Inbound, surface: Surface) -> Reply:
        stored = await self.state.get(key)
        if stored and OFFER in stored:
            if stored.get("provider_session") == inbound.session_id and not inbound.new_session:
                return await self._answer_offer(key, stored, inbound, surface)
            stored = stored[OFFER]  # dropped again on the offer: the old session still waits
        session = Session.from_dict(stored) if stored else None
        if session is not None and self._is_retry_of_end(session, inbound):
            return dataclasses.replace(self.engine.current(session, surface), choices=(), expects_input=False, end=True)
        if self._is_new(session, inbound):
            if session is not None and self._resumable(session, inbound):
                return await self._offer(key, session, inbound)
            known_lang = None
            session, reply = await self._start(inbound, surface, dialled(inbound))
        else:
            assert session is not None
            known_lang = session.lang if session.lang_chosen else None
            reply = await self._continue(session, inbound, surface)
        await self._finish(key, session, inbound, known_lang)
        return reply

    async def _finish(self, key: str, session: Session, inbound: Inbound, known_lang: str | None) -> None:
        if session.lang_chosen and session.lang != known_lang:
            await self.state.set(language_key(session.address), {"lang": session.lang}, self.settings.language_ttl)
        session.provider_session = inbound.session_id
        session.last_text = inbound.accumulated_text or ""
        await self._save(key, session)

    @staticmethod
    def _is_new(session: Session | None, inbound: Inbound) -> bool:
        if session is None or session.ended or inbound.new_session:
            return True
        return bool(inbound.session_id) and session.provider_session != inbound.session_id

    @staticmethod
    def _is_retry_of_end(session: Session, inbound: Inbound) -> bool:
        """The provider resent the hop that ended the session (it never got our END)."""
        return (session.ended and not inbound.new_session and inbound.accumulated_text is not None
                and session.provider_session == inbound.session_id and session.last_text == inbound.accumulated_text)

    def _resumable(self, session: Session, inbound: Inbound) -> bool:
        """A USSD session that went past its first screen and was dropped recently; a direct dial
        says where the citizen wants to go, so it is not interrupted with the offer."""
        return (
            inbound.channel == "ussd" and self.settings.resume_window > 0 and not session.ended
            and bool(session.stack) and not dialled(inbound)
            and time.time() - session.updated_at <= self.settings.resume_window
        )

    async def _offer(self, key: str, session: Session, inbound: Inbound) -> Reply:
        offer = {OFFER: session.to_dict(), "provider_session": inbound.session_id, "last_text": inbound.accumulated_text or ""}
        await self.state.set(key, offer, self._ttl(session.channel))
        log.info("%s %s offered to resume at %s", inbound.channel, masked(inbound.address), session.node)
        return resume_question(session.lang)

    async def _answer_offer(self, key: str, offer: dict[str, Any], inbound: Inbound, surface: Surface) -> Reply:
        previous = str(offer.get("last_text", ""))
        if inbound.accumulated_text is not None and inbound.accumulated_text == previous:
            return resume_question(Session.from_dict(offer[OFFER]).lang)  # the provider retried the offer
        raw = new_input(inbound.accumulated_text, previous) if inbound.accumulated_text is not None else inbound.text
        choice = normalise_input(raw)
        dropped = Session.from_dict(offer[OFFER])
        if choice == "1":
            session, reply, known_lang = dropped, self.engine.current(dropped, surface), dropped.lang if dropped.lang_chosen else None
            log.info("%s %s resumed at %s", inbound.channel, masked(inbound.address), session.node)
        elif choice == "2":
            (session, reply), known_lang = await self._start(inbound, surface, ()), None
        else:
            await self.state.set(key, {**offer, "last_text": inbound.accumulated_text or ""}, self._ttl(inbound.channel))
            return resume_question(dropped.lang, pick(INVALID_CHOICE, dropped.lang))
        await self._finish(key, session, inbound, known_lang)
        return reply

    async def _start(self, inbound: Inbound, surface: Surface, path: tuple[str, ...]) -> tuple[Session, Reply]:
        remembered = await self.state.get(language_key(inbound.address))
        lang = remembered.get("lang") if remembered else None
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

    def _ttl(self, channel: str) -> float:
        """How long a session is kept: USSD ones at least as long as they may be resumed."""
        ttl = self.settings.ttl.get(channel, 600)
        return max(ttl, self.settings.resume_window) if channel == "ussd" else ttl

    async def _save(self, key: str, session: Session) -> None:
        if session.ended and session.channel == "ussd":
            await self.state.set(key, session.to_dict(), ENDED_TTL)
        elif session.ended:
            await self.state.delete(key)
        else:
            await self.state.set(key, session.to_dict(), self._ttl(session.channel))


def dialled(inbound: Inbound) -> tuple[str, ...]:
    """Menu choices carried by the dial itself (a direct dial, or inputs in a session's first hop)."""
    return inbound.dial_path or tuple(p for p in (inbound.accumulated_text or "").split("*") if p)


def resume_question(lang: str, notice: str | None = None) -> Reply:
    """The first screen of a dial after a dropped session: continue or start over."""
    body = pick(RESUME_QUESTION, lang)
    return Reply(
        body=f"{notice}\n{body}" if notice else body,
        choices=(Choice("1", pick(RESUME_YES, lang)), Choice("2", pick(RESUME_RESTART, lang))),
        lang=lang,
    )
