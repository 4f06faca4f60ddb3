"""USSD's own rules around a conversation turn.

- Dialects that resend every input joined by `*` (Africa's Talking): the new input is what follows
  the text of the previous hop, so a free-text answer containing `*` stays one answer.
- A provider's retry of a hop (same session, same text) is answered with the same page, even the
  final END, which is why a finished session is kept for `ENDED_TTL`.
- A dial string carrying choices (`*4*3*1#`, or inputs in the first hop) walks them from the
  direct-dial root.
- A session the network dropped (no END) is offered back on the next dial within `resume_window`.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping
from typing import Any

from channels.inbound import Inbound
from flows.clock import SYSTEM_CLOCK, Clock
from flows.engine import Engine
from flows.masking import masked
from flows.normalise import normalise_input
from flows.paging import Surface
from flows.phrases import INVALID_CHOICE
from flows.reply import Choice, Reply
from flows.session import Session
from flows.texts import LocalisedText, pick
from gateway.conversations import Conversations, apologise
from gateway.sessions import SessionKey
from gateway.state.resilient import StateUnavailable

log = logging.getLogger(__name__)

ENDED_TTL = 60
"""Seconds a finished USSD session is kept so a provider's retry of the last hop sees the same END."""
OFFER = "resume_offer"
"""Marks a stored session as a pending offer to resume it (the dropped session itself)."""
RESUME_QUESTION: LocalisedText = {"fa": "از جایی که ماندید ادامه می‌دهید؟", "en": "Continue where you left off?"}
RESUME_YES: LocalisedText = {"fa": "بله", "en": "Yes"}
RESUME_RESTART: LocalisedText = {"fa": "شروع دوباره", "en": "Start over"}


CLOSED = Reply(body="", end=True, expects_input=False, lang="en")
"""The answer to a network's release or timeout: an end with nothing to show (no one is listening)."""


def new_input(accumulated: str, previous: str) -> str:
    """The part of an accumulated USSD string the citizen just typed (free text may contain `*`)."""
    if previous and accumulated.startswith(previous + "*"):
        return accumulated[len(previous) + 1:]
    return accumulated.rsplit("*", 1)[-1]


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


def _hop(inbound: Inbound, **more: Any) -> dict[str, Any]:
    """What is kept of the provider's hop beside the session: which session it was and what it sent."""
    return {"provider_session": inbound.session_id, "last_text": inbound.accumulated_text or "", **more}


class UssdService:
    """Answers USSD hops through the shared conversations."""

    def __init__(self, conversations: Conversations, *, resume_window: float, clock: Clock = SYSTEM_CLOCK) -> None:
        self.conversations = conversations
        self.sessions = conversations.sessions
        self.resume_window = resume_window
        self.clock = clock

    @property
    def engine(self) -> Engine:
        """The engine in use now (swapped when the catalogue changes)."""
        return self.conversations.engine

    async def hop(self, inbound: Inbound, surface: Surface) -> Reply:
        """Answer one hop; hops of one number are handled one at a time. A session the network closed
        is left as it was (resumable like a dropped one) and answered with an end."""
        if inbound.closed:
            log.info("ussd %s: the network closed the session", masked(inbound.address))
            return CLOSED
        key = SessionKey(inbound.channel, inbound.address)
        async with self.sessions.lock(key):
            try:
                return await self._hop(key, inbound, surface)
            except StateUnavailable as exc:
                return apologise(inbound, exc)

    async def _hop(self, key: SessionKey, inbound: Inbound, surface: Surface) -> Reply:
        loaded = await self.sessions.read(key)  # the hop's one read; `_save` is its one write
        stored = loaded.stored
        session, hop = (stored.session, stored.extra) if stored else (None, {})
        if session is not None and hop.get(OFFER):
            if hop.get("provider_session") == inbound.session_id and not inbound.new_session:
                return await self._answer_offer(session, hop, inbound, surface, loaded.lang)
            hop = {}  # dropped again on the offer: the old session still waits
        if session is not None and self._is_retry_of_end(session, hop, inbound):
            return dataclasses.replace(self.engine.current(session, surface), choices=(), expects_input=False, end=True)
        if self._is_new(session, hop, inbound):
            if session is not None and self._resumable(session, inbound):
                return await self._offer(session, inbound)
            known_lang = None
            session, reply = await self._start(inbound, surface, loaded.lang)
        else:
            assert session is not None
            known_lang = session.lang if session.lang_chosen else None
            reply = await self._continue(session, hop, inbound, surface)
        await self.conversations.save_shown(session, reply, known_lang, _hop(inbound), ttl=self._kept(session))
        return reply

    async def _start(self, inbound: Inbound, surface: Surface, remembered: str | None) -> tuple[Session, Reply]:
        """A new session walked through the choices the hop carries. Accumulated text we have no session
        for is either a first hop with the dial's choices (`*4*3*1#`) or a hop of a session this gateway
        lost (a restart of an in-process store): when the citizen's language is not known, it is
        walked first from the very start (the language menu), so a lost English session comes back in
        English; where that walk is refused, as a dial's choices from the direct-dial root."""
        fresh = dataclasses.replace(inbound, text="") if inbound.text else inbound  # most first hops bring none: no copy
        path = dialled(inbound)
        if path and not inbound.dial_path and remembered is None:
            session, reply, walked = await self.conversations.start(fresh, surface, path, remembered=None, from_entry=True)
            if walked:
                return session, reply
        session, reply, _ = await self.conversations.start(fresh, surface, path, remembered=remembered)
        return session, reply

    @staticmethod
    def _is_new(session: Session | None, hop: Mapping[str, Any], inbound: Inbound) -> bool:
        if session is None or session.ended or inbound.new_session:
            return True
        return bool(inbound.session_id) and hop.get("provider_session") != inbound.session_id

    @staticmethod
    def _is_retry_of_end(session: Session, hop: Mapping[str, Any], inbound: Inbound) -> bool:
        """The provider resent the hop that ended the session (it never got our END)."""
        return (session.ended and not inbound.new_session and inbound.accumulated_text is not None
                and hop.get("provider_session") == inbound.session_id and hop.get("last_text") == inbound.accumulated_text)

    def _resumable(self, session: Session, inbound: Inbound) -> bool:
        """A session that went past its first screen and was dropped recently; a direct dial says
        where the citizen wants to go, so it is not interrupted with the offer."""
        return (
            self.resume_window > 0 and not session.ended and bool(session.stack) and not dialled(inbound)
            and self.clock() - session.updated_at <= self.resume_window
        )

    async def _offer(self, session: Session, inbound: Inbound) -> Reply:
        await self.sessions.save(session, _hop(inbound, **{OFFER: True}), ttl=self._ttl())
        log.info("ussd %s offered to resume at %s", masked(inbound.address), session.node)
        return resume_question(session.lang)

    async def _answer_offer(self, dropped: Session, offer: Mapping[str, Any], inbound: Inbound, surface: Surface,
                            remembered: str | None) -> Reply:
        previous = str(offer.get("last_text", ""))
        if inbound.accumulated_text is not None and inbound.accumulated_text == previous:
            return resume_question(dropped.lang)  # the provider retried the offer
        raw = new_input(inbound.accumulated_text, previous) if inbound.accumulated_text is not None else inbound.text
        choice = normalise_input(raw)
        if choice == "1":
            session, reply, known_lang = dropped, self.engine.current(dropped, surface), dropped.lang if dropped.lang_chosen else None
            log.info("ussd %s resumed at %s", masked(inbound.address), session.node)
        elif choice == "2":
            session, reply, _ = await self.conversations.start(dataclasses.replace(inbound, text=""), surface, remembered=remembered)
            known_lang = None
        else:
            await self.sessions.save(dropped, _hop(inbound, **{OFFER: True}), ttl=self._ttl())
            return resume_question(dropped.lang, pick(INVALID_CHOICE, dropped.lang))
        await self.conversations.save_shown(session, reply, known_lang, _hop(inbound), ttl=self._kept(session))
        return reply

    async def _continue(self, session: Session, hop: Mapping[str, Any], inbound: Inbound, surface: Surface) -> Reply:
        if inbound.accumulated_text is not None:
            previous = str(hop.get("last_text", ""))
            if inbound.accumulated_text == previous:
                return self.engine.current(session, surface)  # the provider retried the same hop
            text = new_input(inbound.accumulated_text, previous)
        else:
            text = inbound.text
        return await self.engine.handle(session, text, surface)

    def _ttl(self) -> float:
        """How long a USSD session is kept: at least as long as it may be resumed."""
        return max(self.sessions.ttl("ussd"), self.resume_window)

    def _kept(self, session: Session) -> float:
        """How long to keep a session after this hop: a finished one only for a retry of its END."""
        return ENDED_TTL if session.ended else self._ttl()
