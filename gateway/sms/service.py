"""One incoming text, start to finish: drop duplicates, answer keywords, or run the conversation,
and put the reply in the outbox (never sent inline: the provider is answered at once).

A number with no live session gets the short number's entry screen for its first text, whatever it
says ("سلام", "hi"), unless the text answers that screen (an option number of its menu, or a valid
answer to its question), which is then taken: texting `2`, or a tracking code to the tracking
number, works in one message. The session then lasts `sessions.sms_ttl`.
"""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import dataclass, replace

from channels.inbound import Inbound
from channels.phone import to_e164
from channels.sms import DeliveryReport, KeywordMatch, Keywords, MoMessage, render_sms, sms_surface
from flows.errors import ChannelError
from flows.model import InputNode, MenuNode
from flows.normalise import normalise_input
from flows.session import Session
from flows.tracking import is_valid_tracking_code
from gateway.conversations import Conversations, language_key, masked, session_key
from gateway.outbox import Outbox
from gateway.requests import RequestService
from gateway.sms import texts
from gateway.sms.delivery import DeliveryChange, DeliveryStore
from gateway.sms.optout import OptOuts
from gateway.sms.routing import ShortNumbers
from gateway.sms.settings import ShortNumber, SmsSettings
from gateway.state import StateStore

log = logging.getLogger(__name__)

STATUS_TIMEOUT = 3.0
_CODE_NOISE = re.compile(r"[\s\-_.]")


@dataclass(frozen=True)
class SmsReply:
    """The text to send back, its language, and whether the conversation ended with it."""

    text: str
    lang: str
    end: bool = False


@dataclass(frozen=True)
class Incoming:
    """A new (not duplicate) text with the short number it came to."""

    inbound: Inbound
    number: ShortNumber | None


class SmsService:
    """The SMS channel's behaviour, shared by every provider's webhook."""

    def __init__(self, settings: SmsSettings, *, conversations: Conversations, state: StateStore, outbox: Outbox,
                 requests: RequestService | None, optouts: OptOuts, deliveries: DeliveryStore,
                 languages: tuple[str, ...], region: str) -> None:
        self.settings = settings
        self.conversations = conversations
        self.state = state
        self.outbox = outbox
        self.requests = requests
        self.optouts = optouts
        self.deliveries = deliveries
        self.numbers = ShortNumbers(settings)
        self.keywords = Keywords(settings.keywords)
        self.surface = sms_surface(settings.max_segments)
        self.languages = languages
        self.region = region
        self._running: set[asyncio.Task[None]] = set()

    # -- incoming texts -----------------------------------------------------------------------

    async def accept(self, provider: str, mo: MoMessage) -> Incoming | None:
        """Check and claim a text (fast: the provider is waiting); None for a duplicate."""
        if not mo.message_id:
            raise ChannelError("missing message id")
        if len(mo.text) > self.settings.max_text_chars:
            raise ChannelError(f"text longer than {self.settings.max_text_chars} characters", status=413)
        phone = to_e164(mo.sender, self.region)
        if not await self.state.claim(f"dedupe:sms:{provider}:{mo.message_id}", self.settings.dedupe_ttl):
            log.info("SMS %s from %s on %s is a duplicate; dropped", mo.message_id[:64], masked(f"tel:{phone}"), provider)
            return None
        number = self.numbers.for_receiver(mo.receiver)
        inbound = Inbound("sms", f"tel:{phone}", mo.text, provider, message_id=mo.message_id, phone=phone,
                          entry=number.entry if number else None)
        return Incoming(inbound, number)

    async def respond(self, incoming: Incoming) -> None:
        """Answer an accepted text and queue the reply (idempotent per provider message id)."""
        inbound = incoming.inbound
        reply = await self.answer(inbound, incoming.number)
        await self.outbox.enqueue(
            "sms", inbound.address, reply.text, kind="reply",
            meta={"short_code": incoming.number.number if incoming.number else None, "lang": reply.lang, "provider": inbound.provider},
            idempotency_key=f"sms-reply:{inbound.provider}:{inbound.message_id}",
        )

    async def handle(self, provider: str, mo: MoMessage) -> bool:
        """Accept a text and answer it within `reply_budget`; a slower turn finishes in the background,
        so the provider gets its acknowledgement in time either way. False for a duplicate."""
        incoming = await self.accept(provider, mo)
        if incoming is None:
            return False
        task = asyncio.ensure_future(self.respond(incoming))
        try:
            await asyncio.wait_for(asyncio.shield(task), self.settings.reply_budget)
        except ChannelError:
            raise
        except asyncio.TimeoutError:
            log.warning("SMS turn for %s over %.1f s; answered the provider, the reply follows", masked(incoming.inbound.address),
                        self.settings.reply_budget)
            self._running.add(task)
            task.add_done_callback(self._finished)
        except Exception:  # the id is claimed, so a provider retry would be dropped: acknowledge, keep the trace
            log.exception("SMS turn for %s failed", masked(incoming.inbound.address))
        return True

    def _finished(self, task: "asyncio.Task[None]") -> None:
        self._running.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("SMS turn finished with an error", exc_info=task.exception())

    async def close(self) -> None:
        """Let turns still running finish (briefly) before the store closes."""
        if self._running:
            await asyncio.wait(self._running, timeout=self.settings.reply_budget)

    async def answer(self, inbound: Inbound, number: ShortNumber | None) -> SmsReply:
        """The reply to one text: a keyword's answer or the conversation's next screen."""
        if number is not None and inbound.entry is None:
            inbound = replace(inbound, entry=number.entry)
        session = await self._live_session(inbound.address)
        match = self.keywords.match(inbound.text)
        if match is not None and match.numeric and self._flow_takes(session, int(match.word)):
            match = None  # `11` on a menu with 11 options is option 11
        if match is None or match.kind == "more":
            return await self._converse(inbound, "98" if match else inbound.text, session)
        lang = await self._lang(inbound.address, session, match)
        if match.kind == "help":
            return SmsReply(texts.say(texts.HELP, lang, number=number.number if number else ""), lang)
        if match.kind == "stop":
            await self.optouts.opt_out(inbound.address, match.word)
            log.info("SMS %s opted out of notifications", masked(inbound.address))
            return SmsReply(texts.say(texts.STOPPED, lang), lang)
        if match.kind == "start":
            await self.optouts.opt_in(inbound.address)
            log.info("SMS %s opted back in to notifications", masked(inbound.address))
            return SmsReply(texts.say(texts.STARTED, lang), lang)
        return SmsReply(await self._status(inbound, match.argument, lang), lang)

    async def _live_session(self, address: str) -> Session | None:
        stored = await self.state.get(session_key("sms", address))
        session = Session.from_dict(stored) if stored else None
        return None if session is None or session.ended else session

    def _flow_takes(self, session: Session | None, number: int) -> bool:
        """Whether the screen the citizen is on takes this number as an answer."""
        if session is None:
            return False
        node = self.conversations.engine.flows.find(session.node)
        return isinstance(node, InputNode) or (isinstance(node, MenuNode) and len(node.options) >= number)

    async def _lang(self, address: str, session: Session | None, match: KeywordMatch) -> str:
        """The citizen's chosen language, else the keyword's, else the default."""
        if session is not None and session.lang_chosen:
            return session.lang
        remembered = await self.state.get(language_key(address))
        if remembered and remembered.get("lang") in self.languages:
            return str(remembered["lang"])
        return match.lang if match.lang in self.languages else self.languages[0]

    async def _converse(self, inbound: Inbound, text: str, session: Session | None) -> SmsReply:
        if session is None and not await self._opens_with(inbound, text):
            text = ""  # a greeting opens the menu instead of being refused by it
        reply = await self.conversations.turn(replace(inbound, text=text), self.surface)
        return SmsReply(render_sms(reply), reply.lang, reply.end)

    async def _opens_with(self, inbound: Inbound, text: str) -> bool:
        """Whether a first text answers the screen the session opens on: an option number of its menu,
        or a valid answer to its question."""
        flows = self.conversations.engine.flows
        ref = inbound.entry or (flows.home if await self.state.get(language_key(inbound.address)) else flows.entry)
        node = flows.find(ref)
        choice = normalise_input(text)
        if isinstance(node, InputNode):
            return bool(choice) and node.validator(choice).ok  # a tracking-code number: the code itself
        return isinstance(node, MenuNode) and choice.isascii() and choice.isdigit() and 1 <= int(choice) <= len(node.options)

    async def _status(self, inbound: Inbound, argument: str, lang: str) -> str:
        """`STATUS <code>`: the check digit is checked before any lookup, lookups are rate-limited."""
        code = _CODE_NOISE.sub("", normalise_input(argument))
        if not code:
            return texts.say(texts.STATUS_USAGE, lang)
        if not is_valid_tracking_code(code):
            return texts.say(texts.BAD_CODE, lang, code=code[:20])
        if self.requests is None:
            return texts.say(texts.UNAVAILABLE, lang)
        limits = self.requests.settings
        if not await self.state.allow(f"lookup:{inbound.address}", limits.lookup_limit, limits.lookup_window):
            return texts.say(texts.TOO_MANY, lang)
        try:
            found = await asyncio.wait_for(
                self.requests.status_text(code, asker_address=inbound.address, asker_phone=inbound.phone, lang=lang), STATUS_TIMEOUT
            )
        except Exception:  # a slow or broken store must end in a polite answer
            log.exception("SMS status lookup failed")
            return texts.say(texts.UNAVAILABLE, lang)
        if found is None:
            return texts.say(texts.NOT_FOUND, lang, code=code)
        return f"{texts.say(texts.STATUS_OF, lang, code=code)}\n{found}"

    # -- delivery reports ---------------------------------------------------------------------

    async def report(self, provider: str, report: DeliveryReport) -> DeliveryChange | None:
        """Apply a delivery report; None for one that says nothing we track."""
        if report.state is None:
            log.info("SMS report from %s for %s ignored: %s", provider, report.provider_message_id[:64], report.detail)
            return None
        change = await self.deliveries.report(provider, report.provider_message_id, report.state, report.detail)
        if change.changed:
            log.info("SMS %s on %s: %s -> %s", report.provider_message_id[:64], provider, change.before, change.after)
        return change
