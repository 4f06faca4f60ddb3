"""The composition root: builds every part of a gateway in dependency order, once, and returns the
finished `Gateway` (PTB's ApplicationBuilder and goflow's engine builder are the models).

Order: store → shared state → outbox → catalogue → requests → actions → engine → conversations →
channels (SMS, bots) → payments → dispatcher (with the channels' senders) → readiness. Nothing is
patched after it is built; a part that fails to build closes what was opened before it.
"""

from __future__ import annotations

import logging

from flows.clock import SYSTEM_CLOCK, Clock
from flows.engine import Action
from gateway.actions import request_actions
from gateway.analytics.setup import build_analytics
from gateway.catalogue import Catalogue
from gateway.complaints.actions import complaint_actions
from gateway.complaints.setup import build_complaints
from gateway.consultations.actions import poll_actions
from gateway.consultations.setup import build_polls, hook_polls
from gateway.content.live import ContentWatcher, LiveContent
from gateway.content.model import Content
from gateway.content.publish import Publisher
from gateway.content.startup import served_at_start
from gateway.content.store import ContentStore
from gateway.conversations import Conversations
from gateway.engines import EngineBuilder
from gateway.events.sender import WebhookSender
from gateway.feedback.setup import build_feedback
from gateway.idempotency import IdempotencyKeys
from gateway.identity.setup import build_identity
from gateway.outbox import Outbox, Sender
from gateway.outbox.stream import dispatcher_for, open_stream_outbox
from gateway.payments.setup import build_payments
from gateway.privacy.actions import privacy_actions
from gateway.privacy.setup import build_privacy, hook_privacy
from gateway.requests.lookup import StatusLookup
from gateway.requests.setup import build_requests
from gateway.runtime import Closer, Gateway, Readiness, ReadyCheck
from gateway.sessions import Sessions, session_lifetimes
from gateway.settings import Settings
from gateway.sms.service import note_submission
from gateway.sms.setup import build_sms
from gateway.state import MemoryState, StateStore
from gateway.state.redis import open_redis_state
from gateway.store import Database
from gateway.telegram.setup import bot_checks, open_bots
from gateway.ussd.service import UssdService

log = logging.getLogger(__name__)


class CatalogueNow:
    """The catalogue being served, for parts built before the content is loaded (requests, payments
    read it on each call, so they follow every switch of version)."""

    live: LiveContent | None = None

    def __call__(self) -> Catalogue:
        assert self.live is not None, "read before the content was loaded"
        return self.live.catalogue


async def open_gateway(settings: Settings, *, clock: Clock = SYSTEM_CLOCK, seed: Content | None = None) -> Gateway:
    """Open the store and state, read the catalogue and flows, check them, and build every service;
    raises FlowErrors on broken flows (after closing whatever was opened). Every part that decides
    by the time reads `clock` (tests pass one they move by hand). `seed`: what a new store's first
    version is instead of config/ (the simulator's `--version` and `--draft`)."""
    closers: list[Closer] = []
    try:
        return await _build(settings, closers, clock, seed)
    except BaseException:
        for closer in reversed(closers):
            await closer()
        raise


async def _build(settings: Settings, closers: list[Closer], clock: Clock, seed: Content | None) -> Gateway:
    db = await Database.of(settings).open()
    closers.append(db.close)
    state: StateStore
    outbox: Outbox
    if settings.redis.enabled:
        state = open_redis_state(settings.redis)
        outbox = open_stream_outbox(db, settings.redis, clock)  # the outbox queue on a Redis Stream
    else:
        state, outbox = MemoryState(), Outbox(db, clock=clock)
    closers.append(state.close)
    lifetimes = session_lifetimes(settings)
    analytics = build_analytics(settings, lifetimes, db, state, clock)
    sessions = Sessions(state, lifetimes, analytics.tally)
    catalogue = CatalogueNow()
    requests = build_requests(settings, db, outbox, catalogue, clock)
    polls = build_polls(settings, db, catalogue, clock)
    complaints = build_complaints(settings, db, outbox, catalogue, requests, clock)
    lookups = StatusLookup(requests, state, other_codes=(complaints.status_text,))
    identity = build_identity(settings.identity, settings.flows.action_timeout, db, requests, outbox, clock)
    closers.append(identity.provider.close)
    privacy = build_privacy(settings, db, catalogue, clock)
    actions: dict[str, Action] = {**request_actions(requests, lookups, tuple(settings.flows.languages), identity.gate), **poll_actions(polls),
                                  **complaint_actions(complaints, state), **privacy_actions(privacy)}
    builder = EngineBuilder(settings, actions, clock)
    publisher = Publisher(settings, ContentStore(db), actions, sessions)
    served = await served_at_start(publisher, builder, db, seed)
    conversations = Conversations(served.engine, sessions, direct_dial_root=settings.ussd.direct_dial_root)
    live = catalogue.live = LiveContent(served, conversations)
    watcher = ContentWatcher(publisher.store, live, builder, sessions, settings.redis, settings.flows.live_check_interval)
    ussd = UssdService(conversations, resume_window=settings.resume.window, clock=clock)
    requests.on_submitted.append(note_submission)  # an SMS reply that is a receipt is keyed as one
    feedback = build_feedback(settings, db, state, outbox, requests, catalogue, clock)  # surveys after final answers
    sms, sms_sender = build_sms(settings, db, state, outbox, lookups, conversations)
    sms.pending.append(feedback.sms.answer)
    closers.append(sms.close)
    bots, bot_sender = await open_bots(settings, db, state, outbox, requests, conversations,
                                       buttons=feedback.buttons, pending=[feedback.bot.comment])
    closers.append(bots.close)
    if bots.service is not None:  # a bot chat shares its number before a checked submission
        identity.gate.phone_wanted.append(bots.service.want_contact)
    hook_polls(polls, sms, bots.service)  # the `poll` SMS keyword, `/polls` and its buttons on the bots
    hook_privacy(privacy, sms, bots.service)  # the `privacy` SMS keyword, `/privacy` and `/mydata` on the bots
    payments = build_payments(settings.payments, db, requests, outbox, catalogue, settings.server.public_base_url, clock)
    closers.append(payments.provider.close)
    senders: dict[str, Sender] = {"telegram": bot_sender}
    if sms_sender is not None:
        senders["sms"] = sms_sender
        closers.append(sms_sender.close)
    senders["webhook"] = webhooks = WebhookSender(db, settings.events, max_attempts=outbox.settings.max_attempts, clock=clock)  # agencies' events
    closers.append(webhooks.close)
    dispatcher = dispatcher_for(outbox, senders)
    closers.append(dispatcher.close)
    await requests.resend_unnotified()
    await complaints.resend_unnotified()

    async def catalogue_ready() -> bool:
        return bool(live.catalogue.services)

    async def live_version_served() -> bool:  # false for a moment after a publish; for long when this build refuses it
        return await publisher.store.live_number() == live.number

    checks: dict[str, ReadyCheck] = {"store": db.ping, "redis" if settings.redis.enabled else "state": state.ping, "catalogue": catalogue_ready,
                                     "content": live_version_served}
    bot_ready, advisory = bot_checks(settings, bots)
    advisory.add("content")  # a worker on an older version still serves well: never out of the load balancer for it
    return Gateway(
        settings=settings, db=db, state=state, outbox=outbox, dispatcher=dispatcher, content=live, builder=builder,
        publisher=publisher, watcher=watcher,
        conversations=conversations, ussd=ussd, requests=requests, payments=payments, sms=sms, bots=bots, analytics=analytics,
        readiness=Readiness({**checks, **bot_ready}, frozenset(advisory)), polls=polls, complaints=complaints, feedback=feedback,
        identity=identity, idempotency=IdempotencyKeys(db, clock, settings.api.idempotency_hours), privacy=privacy,
        closers=tuple(closers),
    )
