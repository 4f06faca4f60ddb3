"""Which version this worker serves, and the loop that follows the live pointer in the store.

Every worker on every host polls the one-row live pointer (`flows.live_check_interval`, 1 s); with
Redis, a publish also announces the new number on a channel so workers switch at once. A new
version is parsed and checked in a thread, so hops go on being answered by the old engine while it
is built; the switch itself is one assignment, between two hops, never during one.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Collection
from functools import partial

from redis.exceptions import RedisError

from flows.errors import FlowErrors
from flows.model import FlowSet
from gateway.background import cancel_and_wait
from gateway.catalogue import Catalogue
from gateway.content.store import ContentStore
from gateway.conversations import Conversations
from gateway.engines import EngineBuilder, Served
from gateway.flowfiles import check_content
from gateway.sessions import Sessions
from gateway.state.connection import redis_client
from gateway.state.resilient import StateUnavailable
from gateway.state.settings import RedisSettings

log = logging.getLogger(__name__)

CHANNEL = "content:live"
"""The Redis channel (after the key prefix) a publish announces the new live version on."""


class LiveContent:
    """The version served now; replaced whole, and the conversations' engine with it."""

    def __init__(self, served: Served, conversations: Conversations) -> None:
        self.served = served
        self.conversations = conversations

    @property
    def number(self) -> int:
        return self.served.version.number

    @property
    def catalogue(self) -> Catalogue:
        return self.served.catalogue

    def switch(self, served: Served) -> None:
        """Serve `served` from the next hop on."""
        self.served = served
        self.conversations.engine = served.engine


def removed_nodes(old: FlowSet, new: FlowSet) -> set[str]:
    """`flow:node` refs the old version has and the new one neither has nor renames: a conversation
    on one of them is moved to a surviving screen."""
    def refs(flows: FlowSet) -> set[str]:
        return {f"{flow.id}:{node}" for flow in flows.flows.values() for node in flow.nodes}

    renamed = new.renamed()
    return {ref for ref in refs(old) - refs(new) if ref not in renamed}


async def conversations_on(sessions: Sessions | None, nodes: Collection[str]) -> int | None:
    """Conversations on `nodes`; None when they cannot be counted here (in a gateway's memory, or
    Redis not answering: a switch never waits for the count)."""
    if sessions is None:
        return None
    try:
        return await sessions.count_on(nodes)
    except (StateUnavailable, RedisError, OSError) as exc:
        log.warning("could not count the conversations on removed nodes (%s)", exc.__class__.__name__)
        return None


class ContentWatcher:
    """Keeps a worker on the live version: polls the store, listens on Redis, switches when it moves."""

    def __init__(self, store: ContentStore, live: LiveContent, builder: EngineBuilder, sessions: Sessions,
                 redis: RedisSettings, interval: float) -> None:
        self.store, self.live, self.builder, self.sessions = store, live, builder, sessions
        self.redis, self.interval = redis, interval
        self._wake = asyncio.Event()
        self._lock = asyncio.Lock()
        self._refused: int | None = None
        self._tasks: list[asyncio.Task[None]] = []

    async def follow(self) -> int:
        """Switch to the live version now if it moved; the number served after."""
        async with self._lock:
            number = await self.store.live_number()
            if number is None or number in (self.live.number, self._refused):
                return self.live.number
            version, content = await self.store.get(number)
            try:
                checked = await asyncio.to_thread(partial(check_content, content, self.builder.settings, self.builder.action_names(),
                                                          unchanged_since=self.live.served.checked))
            except FlowErrors as errors:  # published by a build with other actions or limits: keep serving
                self._refused = number
                log.error("version %d cannot be served by this build; still serving version %d:\n%s", number, self.live.number, errors)
                return self.live.number
            gone = removed_nodes(self.live.served.checked.flowset, checked.flowset)
            previous = self.live.number
            self.live.switch(self.builder.serve(version, checked))
            # counted after the switch, never delaying it; with Redis the publisher counted them already
            # (one scan per publish, not one per worker)
            moving = await conversations_on(self.sessions, gone) if gone and not self.redis.enabled else None
            log.info("serving content version %d (was %d; %d nodes removed%s)", number, previous, len(gone),
                     "" if moving is None else f", {moving} conversations on them are moved")
            return number

    def start(self) -> None:
        """Run the poll loop (and the Redis listener when Redis is configured)."""
        self._tasks.append(asyncio.create_task(self._poll(), name="content-poll"))
        if self.redis.enabled:
            self._tasks.append(asyncio.create_task(self._listen(), name="content-listen"))

    async def stop(self) -> None:
        for task in self._tasks:
            await cancel_and_wait(task)
        self._tasks.clear()

    async def _poll(self) -> None:
        while True:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.interval)
            self._wake.clear()
            try:
                await self.follow()
            except Exception:  # a store outage: keep serving what we have, look again next time
                log.exception("could not look up the live content version; still serving version %d", self.live.number)

    async def _listen(self) -> None:
        """Wake the poll loop when a publish announces a version; reconnect after a Redis outage."""
        while True:
            client = redis_client(self.redis, socket_connect_timeout=self.redis.connect_timeout)
            try:
                async with client.pubsub() as pubsub:
                    await pubsub.subscribe(self.redis.prefix + CHANNEL)
                    async for message in pubsub.listen():
                        if message.get("type") == "message":
                            self._wake.set()
            except Exception as exc:  # the poll loop still follows; try again shortly
                log.debug("content channel unavailable (%s); polling only", exc.__class__.__name__)
            finally:
                await client.aclose()
            await asyncio.sleep(self.interval)


async def announce(redis: RedisSettings, number: int) -> None:
    """Tell every worker listening that `number` is live (best effort: they poll anyway)."""
    if not redis.enabled:
        return
    client = redis_client(redis, socket_connect_timeout=redis.connect_timeout, socket_timeout=redis.timeout)
    try:
        await client.publish(redis.prefix + CHANNEL, str(number))
    except Exception as exc:
        log.warning("could not announce version %d on Redis (%s); workers find it at their next look", number, exc.__class__.__name__)
    finally:
        await client.aclose()

