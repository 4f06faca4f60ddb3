"""One turn of a conversation, the same for every channel: load the session, run the engine, save.

Channel rules live beside it in the channel services: USSD's accumulated text, retried hops and
resume offer in `gateway.ussd.service`; SMS keywords in `gateway.sms.service`; bot buttons in
`gateway.telegram.service`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from channels.inbound import Inbound
from flows.engine import Engine
from flows.masking import masked
from flows.paging import Surface
from flows.reply import Reply
from flows.session import Session
from gateway.sessions import Loaded, SessionKey, Sessions
from gateway.state.resilient import StateUnavailable

log = logging.getLogger(__name__)

UNAVAILABLE = Reply(
    body="خدمت موقتا در دسترس نیست. بعدا تلاش کنید.\nBusy now. Please try again later.",
    end=True, expects_input=False, lang="en",
)
"""Both languages: when the store is down we cannot know which one the citizen chose. Worded for
every channel, and within one Persian USSD page (80 characters with `END `)."""


class Conversations:
    """Runs turns against the current engine; the engine is swapped when flows or the catalogue change."""

    def __init__(self, engine: Engine, sessions: Sessions, *, direct_dial_root: str) -> None:
        self.engine = engine
        self.sessions = sessions
        self.direct_dial_root = direct_dial_root

    async def turn(self, inbound: Inbound, surface: Surface, loaded: Loaded | None = None) -> Reply:
        """Answer one message: the session's next screen, or the first screen of a new conversation.
        `loaded`: the conversation as the caller read it (with its own ops), used while still fresh."""
        key = SessionKey(inbound.channel, inbound.address)
        async with self.sessions.lock(key):
            try:
                if loaded is None or not loaded.fresh:
                    loaded = await self.sessions.read(key)
                session = None if inbound.new_session else loaded.live
                if session is None:
                    session, reply, _ = await self.start(inbound, surface, remembered=loaded.lang)
                    known = None
                else:
                    known = session.lang if session.lang_chosen else None
                    reply = await self.engine.handle(session, inbound.text, surface)
                await self.save_shown(session, reply, known)
                return reply
            except StateUnavailable as exc:
                return apologise(inbound, exc)

    async def start(self, inbound: Inbound, surface: Surface, path: tuple[str, ...] = (), *, remembered: str | None,
                    from_entry: bool = False) -> tuple[Session, Reply, bool]:
        """A new session in the citizen's `remembered` language (read with the session, see
        `Sessions.read`): at the inbound's entry, then through the
        menu choices of a dial (`path`; from the direct-dial root unless `from_entry`), or answering a
        first text that came with the message. The walk stops at the first choice its screen refuses,
        which is shown without counting as a wrong try; the flag says whether every choice was taken."""
        entry = inbound.entry or (self.direct_dial_root if path and not from_entry else None)
        session = self.engine.new_session(inbound.channel, inbound.address, lang=remembered, phone=inbound.phone, entry=entry)
        reply = await self.engine.open(session, surface)
        walked = True
        for choice in path:
            if session.ended:
                break
            reply = await self.engine.handle(session, choice, surface)
            if session.retries:  # refused: the citizen answers this screen themselves
                session.retries, walked = 0, False
                break
        if inbound.text and not path and not session.ended:
            reply = await self.engine.handle(session, inbound.text, surface)
        log.info("%s %s started at %s", inbound.channel, masked(inbound.address), session.node)
        return session, reply, walked

    async def save_shown(self, session: Session, reply: Reply, known_lang: str | None,
                         extra: Mapping[str, Any] | None = None, *, ttl: float | None = None) -> None:
        """Save the session a reply was computed for, with a language the citizen just chose (one
        write, and no coroutine layer in between: every message of every channel saves). When the
        store fails, a last screen is still shown: it may be a receipt whose request is already
        committed (the citizen must see its tracking code; a retry would find the same request
        anyway). Any other screen is not shown, since its session is lost, and StateUnavailable
        propagates."""
        chosen = session.lang if session.lang_chosen and session.lang != known_lang else None
        try:
            await self.sessions.save(session, extra, ttl=ttl, lang=chosen)
        except StateUnavailable as exc:
            if not reply.end:
                raise
            log.warning("%s %s: last screen shown though the session could not be saved: %s",
                        session.channel, masked(session.address), exc)


def apologise(inbound: Inbound, exc: Exception) -> Reply:
    """The answer when the session store is down: nothing is lost, the citizen is asked to try again."""
    log.warning("%s %s answered with an apology: %s", inbound.channel, masked(inbound.address), exc)
    return UNAVAILABLE
