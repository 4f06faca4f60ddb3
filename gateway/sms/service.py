"""One incoming text, start to finish: drop duplicates, answer keywords, or run the conversation,
and put the reply in the outbox (never sent inline: the provider is answered at once).

A number with no live session gets the short number's entry screen for its first text, whatever it
says ("سلام", "hi"), unless the text answers that screen (an option number of its menu, or a valid
answer to its question), which is then taken: texting `2`, or a tracking code to the tracking
number, works in one message. The session then lasts `sessions.sms_ttl`.

No text is lost to a failed turn: when the database, Redis or anything else fails before the reply
is queued, the provider is asked to send the text again (RetryLater) and the claim on its id is
released for that try (gateway.sms.claims); Redis failing inside Conversations.turn is not such a
failure, it is answered with that turn's "try again later" apology. What the retry may repeat is
decided by where the turn failed. Conversations.turn saves the session last, so a turn that raised before its reply existed
saved nothing and simply runs again (the actions it may have run are idempotent: a submission by its
idempotency key, a receipt by its outbox key). A turn whose reply exists but could not be queued has
saved its session: running it again would apply the citizen's text a second time, to the next
screen (a "1" confirming what they never saw), so the retry queues the reply that turn computed
instead, under the same outbox key `sms-reply:<provider>:<id>`, which makes a repeat harmless.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import asdict, dataclass, replace

import gateway.sms.texts as texts
from channels.inbound import Inbound
from channels.phone import to_e164
from channels.sms import DeliveryReport, KeywordMatch, Keywords, MoMessage, render_sms, sms_surface
from flows.errors import ChannelError, PishkhanError
from flows.masking import masked
from flows.model import InputNode, MenuNode, Node
from flows.normalise import normalise_input
from flows.session import Session
from flows.texts import say
from gateway.conversations import Conversations
from gateway.outbox import Outbox
from gateway.requests.lookup import Asker, Outcome, StatusLookup
from gateway.requests.service import receipt_key
from gateway.requests.store import RequestRecord
from gateway.sessions import Loaded, SessionKey
from gateway.sms.claims import Claim, TextClaims
from gateway.sms.delivery import DeliveryChange, DeliveryStore
from gateway.sms.optout import OptOuts
from gateway.sms.routing import ShortNumbers
from gateway.sms.settings import ShortNumber, SmsSettings
from gateway.state import StateStore

log = logging.getLogger(__name__)



@dataclass(frozen=True)
class SmsReply:
    """The text to send back, its language, and whether the conversation ended with it."""

    text: str
    lang: str
    end: bool = False


@dataclass(frozen=True)
class Incoming:
    """A new (not duplicate) text with the short number it came to, and its claim: a retry after a
    failed turn may carry the reply that turn computed but could not queue."""

    inbound: Inbound
    number: ShortNumber | None
    claim: Claim
    loaded: Loaded
    """The conversation, read in the claim's round trip."""

    @property
    def pending(self) -> SmsReply | None:
        """The reply an earlier try computed (its session is saved); None when the turn must run."""
        reply = self.claim.left.get("reply")
        return SmsReply(**reply) if reply else None


class RetryLater(PishkhanError):
    """A text was not taken, or its turn failed before the reply was queued: the provider must send it again."""


class ReplyNotQueued(PishkhanError):
    """The turn ran and saved its session, but its reply could not be put in the outbox."""

    def __init__(self, reply: SmsReply) -> None:
        self.reply = reply
        super().__init__("the reply could not be queued")


KeywordAnswer = Callable[[Inbound, str, str], Awaitable[str]]
"""The reply to a keyword another part of the gateway answers (`poll`): given the text, what followed the
keyword and the citizen's language."""

PendingAnswer = Callable[[Inbound, Node | None], Awaitable[SmsReply | None]]


SUBMITTED: ContextVar[list[str] | None] = ContextVar("sms_turn_submitted", default=None)
"""Tracking codes of the requests the running SMS turn submitted (its reply is their receipt)."""


async def note_submission(record: RequestRecord) -> None:
    """A RequestService `on_submitted` hook: tell the SMS turn in progress, if any, what it submitted."""
    codes = SUBMITTED.get()
    if codes is not None:
        codes.append(record.tracking_code)


LATE_RETRY_DELAYS = (1.0, 2.0, 4.0, 8.0, 15.0, 30.0, 60.0)
"""Seconds between this worker's own tries of a turn that failed after the provider was answered:
about two minutes in all, past any store lock or Redis failover the gateway is meant to ride out."""

STATUS_ANSWERS = {
    Outcome.NO_CODE: texts.STATUS_USAGE,
    Outcome.BAD_CODE: texts.BAD_CODE,
    Outcome.RATE_LIMITED: texts.TOO_MANY,
    Outcome.NOT_FOUND: texts.NOT_FOUND,
    Outcome.UNAVAILABLE: texts.UNAVAILABLE,
}
"""What `STATUS <code>` answers for each lookup that found nothing to show."""


class SmsService:
    """The SMS channel's behaviour, shared by every provider's webhook."""

    def __init__(self, settings: SmsSettings, *, conversations: Conversations, state: StateStore, outbox: Outbox,
                 lookups: StatusLookup, optouts: OptOuts, deliveries: DeliveryStore,
                 languages: tuple[str, ...], region: str) -> None:
        self.settings = settings
        self.conversations = conversations
        self.state = state
        self.outbox = outbox
        self.lookups = lookups
        self.optouts = optouts
        self.deliveries = deliveries
        self.numbers = ShortNumbers(settings)
        self.keywords = Keywords(settings.keywords)
        self.surface = sms_surface(settings.max_segments)
        self.languages = languages
        self.region = region
        self.claims = TextClaims(state, settings.dedupe_ttl)
        self.keyword_answers: dict[str, KeywordAnswer] = {}
        """Keyword kinds other parts answer (gateway.consultations: `poll`), registered when the gateway is built."""
        self.pending: list[PendingAnswer] = []
        """Answers to what the gateway asked a number (a satisfaction rating), looked at before the
        conversation; each gets the text and the citizen's current screen, and returns None for a text that is not its answer."""
        self._running: set[asyncio.Task[None]] = set()

    # -- incoming texts -----------------------------------------------------------------------

    async def accept(self, provider: str, mo: MoMessage) -> Incoming | None:
        """Check and claim a text (fast: the provider is waiting); None for a duplicate."""
        if not mo.message_id:
            raise ChannelError("missing message id")
        if len(mo.text) > self.settings.max_text_chars:
            raise ChannelError(f"text longer than {self.settings.max_text_chars} characters", status=413)
        phone = to_e164(mo.sender, self.region)
        reading = self.conversations.sessions.reading(SessionKey("sms", f"tel:{phone}"))
        claim = await self.claims.take(provider, mo.message_id, *reading.ops)
        if claim is None:
            log.info("SMS %s from %s on %s is a duplicate; dropped", mo.message_id[:64], masked(f"tel:{phone}"), provider)
            return None
        number = self.numbers.for_receiver(mo.receiver)
        inbound = Inbound("sms", f"tel:{phone}", mo.text, provider, message_id=mo.message_id, phone=phone,
                          entry=number.entry if number else None)
        incoming = Incoming(inbound, number, claim, reading.loaded(claim.read))
        if claim.attempt:
            log.info("SMS %s from %s on %s: try %d after a failed turn%s", mo.message_id[:64], masked(inbound.address), provider,
                     claim.attempt + 1, "; queuing the reply that turn computed" if incoming.pending else "")
        return incoming

    async def respond(self, incoming: Incoming, computed: SmsReply | None = None) -> None:
        """Answer an accepted text and queue the reply (idempotent per provider message id); ReplyNotQueued
        when the turn ran but the outbox refused its reply. `computed`: a reply an earlier try made."""
        inbound = incoming.inbound
        submitted: list[str] = []
        marker = SUBMITTED.set(submitted)
        try:
            reply = computed or incoming.pending or await self.answer(inbound, incoming.number, incoming.loaded)
        finally:
            SUBMITTED.reset(marker)
        # A reply that is a new request's receipt is keyed as that receipt, so its payment link waits for it.
        key = receipt_key(submitted[-1]) if submitted else f"sms-reply:{inbound.provider}:{inbound.message_id}"
        try:
            await self.outbox.enqueue(
                "sms", inbound.address, reply.text, kind="reply",
                meta={"short_code": incoming.number.number if incoming.number else None, "lang": reply.lang, "provider": inbound.provider,
                      "message_id": inbound.message_id},
                idempotency_key=key,
            )
        except Exception as exc:
            raise ReplyNotQueued(reply) from exc

    async def handle(self, provider: str, mo: MoMessage) -> bool:
        """Accept a text and answer it within `reply_budget`; a slower turn finishes in the background,
        so the provider gets its acknowledgement in time either way. False for a duplicate; RetryLater
        when the text could not be taken or its turn failed before the reply was queued."""
        try:
            incoming = await self.accept(provider, mo)
        except ChannelError:
            raise
        except Exception as exc:  # nothing is claimed (the number was read): the provider's next try is a first one
            log.error("SMS %s from %s on %s not taken, the provider is asked to send it again: %s", mo.message_id[:64],
                      masked(f"tel:{to_e164(mo.sender, self.region)}"), provider, _reason(exc), exc_info=not isinstance(exc, PishkhanError))
            raise RetryLater("the text could not be checked for duplicates") from exc
        if incoming is None:
            return False
        task = asyncio.ensure_future(self.respond(incoming))
        self._running.add(task)
        task.add_done_callback(self._running.discard)
        done, _ = await asyncio.wait({task}, timeout=self.settings.reply_budget)
        if not done:
            log.warning("SMS turn for %s over %.1f s; answered the provider, the reply follows", masked(incoming.inbound.address),
                        self.settings.reply_budget)
            task.add_done_callback(lambda late: self._finished(late, incoming))
            return True
        failure = task.exception()
        if failure is not None:
            await self._release(incoming, failure)
            raise RetryLater("the turn failed before its reply was queued") from failure
        return True

    async def _release(self, incoming: Incoming, failure: BaseException) -> None:
        """Release the text's id for the provider's next try, with the reply when the turn ran; log why."""
        inbound = incoming.inbound
        reply = failure.reply if isinstance(failure, ReplyNotQueued) else None
        cause = failure.__cause__ if isinstance(failure, ReplyNotQueued) and failure.__cause__ else failure
        try:
            await self.claims.release(incoming.claim, {"reply": asdict(reply)} if reply else None)
            outcome = "the provider is asked to send it again"
        except Exception as exc:
            outcome = f"its id could not be released ({_reason(exc)}), so the provider's next try will be dropped"
        log.error("SMS %s from %s on %s: the turn failed before its reply was queued%s: %s; %s", incoming.claim.message_id[:64],
                  masked(inbound.address), inbound.provider, " (the session is saved, the reply kept)" if reply else "",
                  _reason(cause), outcome, exc_info=cause if not isinstance(cause, PishkhanError) else None)

    def _finished(self, task: asyncio.Task[None], incoming: Incoming) -> None:
        """A turn that went on after the provider was answered and then failed: the provider will not
        send the text again, so this worker tries the turn again itself (a locked or lost store is
        usually back within seconds)."""
        failure = None if task.cancelled() else task.exception()
        if failure is not None:
            retry = asyncio.ensure_future(self._respond_late(incoming, failure))
            self._running.add(retry)
            retry.add_done_callback(self._running.discard)

    async def _respond_late(self, incoming: Incoming, failure: BaseException) -> None:
        inbound = incoming.inbound
        for delay in LATE_RETRY_DELAYS:
            computed = failure.reply if isinstance(failure, ReplyNotQueued) else None
            log.warning("SMS %s from %s: the turn failed after the provider was answered (%s); trying again in %.0f s",
                        incoming.claim.message_id[:64], masked(inbound.address), _reason(failure), delay)
            await asyncio.sleep(delay)
            try:
                await self.respond(incoming, computed)
                log.info("SMS %s from %s: answered on a later try", incoming.claim.message_id[:64], masked(inbound.address))
                return
            except Exception as exc:
                failure = exc
        log.error("SMS %s from %s: the turn kept failing after the provider was answered; the text is lost",
                  incoming.claim.message_id[:64], masked(inbound.address), exc_info=failure)

    async def close(self) -> None:
        """Let turns still running finish (briefly) before the store closes; say which texts a stop cut short."""
        if self._running:
            _, cut = await asyncio.wait(self._running, timeout=self.settings.reply_budget)
            for task in cut:
                task.cancel()
            if cut:
                log.error("SMS: stopping with %d answered texts not yet replied to; they are lost", len(cut))

    async def answer(self, inbound: Inbound, number: ShortNumber | None, loaded: Loaded | None = None) -> SmsReply:
        """The reply to one text: a keyword's answer or the conversation's next screen. `loaded`: the
        conversation as read with the text's claim (else it is read here)."""
        if number is not None and inbound.entry is None:
            inbound = replace(inbound, entry=number.entry)
        if loaded is None or not loaded.fresh:
            loaded = await self.conversations.sessions.read(SessionKey("sms", inbound.address))
        session = loaded.live
        match = self.keywords.match(inbound.text)
        if match is not None and match.numeric and self._flow_takes(session, int(match.word)):
            match = None  # `11` on a menu with 11 options is option 11
        if match is None:  # not a keyword: perhaps the answer to something this number was asked (a rating)
            screen = self.conversations.engine.flows.find(session.node) if session else None
            for pending in self.pending:
                if (taken := await pending(inbound, screen)) is not None:
                    return taken
        if match is None or match.kind == "more":
            return await self._converse(inbound, "98" if match else inbound.text, loaded)
        lang = self._lang(loaded, match)
        if match.kind == "help":
            return SmsReply(say(texts.HELP, lang, number=number.number if number else ""), lang)
        if match.kind == "stop":
            await self.optouts.opt_out(inbound.address, match.word)
            log.info("SMS %s opted out of notifications", masked(inbound.address))
            return SmsReply(say(texts.STOPPED, lang), lang)
        if match.kind == "start":
            await self.optouts.opt_in(inbound.address)
            log.info("SMS %s opted back in to notifications", masked(inbound.address))
            return SmsReply(say(texts.STARTED, lang), lang)
        if match.kind in self.keyword_answers:
            return SmsReply(await self.keyword_answers[match.kind](inbound, match.argument, lang), lang)
        return SmsReply(await self._status(inbound, match.argument, lang), lang)

    def _flow_takes(self, session: Session | None, number: int) -> bool:
        """Whether the screen the citizen is on takes this number as an answer."""
        if session is None:
            return False
        node = self.conversations.engine.flows.find(session.node)
        return isinstance(node, InputNode) or (isinstance(node, MenuNode) and len(node.options) >= number)

    def _lang(self, loaded: Loaded, match: KeywordMatch) -> str:
        """The citizen's chosen language, else the keyword's, else the default."""
        session = loaded.live
        if session is not None and session.lang_chosen:
            return session.lang
        if loaded.lang in self.languages:
            return str(loaded.lang)
        return match.lang if match.lang in self.languages else self.languages[0]

    async def _converse(self, inbound: Inbound, text: str, loaded: Loaded) -> SmsReply:
        if loaded.live is None and not self._opens_with(inbound, text, loaded.lang):
            text = ""  # a greeting opens the menu instead of being refused by it
        reply = await self.conversations.turn(replace(inbound, text=text), self.surface, loaded)
        return SmsReply(render_sms(reply), reply.lang, reply.end)

    def _opens_with(self, inbound: Inbound, text: str, remembered: str | None) -> bool:
        """Whether a first text answers the screen the session opens on: an option number of its menu,
        or a valid answer to its question."""
        flows = self.conversations.engine.flows
        ref = inbound.entry or (flows.home if remembered else flows.entry)
        node = flows.find(ref)
        choice = normalise_input(text)
        if isinstance(node, InputNode):
            return bool(choice) and node.validator(choice).ok  # a tracking-code number: the code itself
        return isinstance(node, MenuNode) and choice.isascii() and choice.isdigit() and 1 <= int(choice) <= len(node.options)

    async def _status(self, inbound: Inbound, argument: str, lang: str) -> str:
        """`STATUS <code>`, under the one lookup policy (gateway.requests.lookup)."""
        found = await self.lookups.lookup(argument, Asker(inbound.address, inbound.phone), lang)
        if found.outcome is Outcome.FOUND and found.other:  # a complaint's code: its text says what it is
            return found.text
        if found.outcome is Outcome.FOUND:
            return f"{say(texts.STATUS_OF, lang, code=found.code)}\n{found.text}"
        return say(STATUS_ANSWERS[found.outcome], lang, code=found.code)

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


def _reason(exc: BaseException) -> str:
    """An exception for a log line: its kind and its words."""
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
