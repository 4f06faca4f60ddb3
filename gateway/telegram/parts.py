"""Notifications longer than one message, sent part by part so that a retry resumes where the
previous attempt stopped.

A text over 4,096 characters goes as several sendMessage calls. When the Bot API refuses part k
(429, 5xx, a timeout), the outbox retries the whole message later, perhaps on another worker;
without a record the citizen would get parts 1..k-1 again. So after each part reaches the chat,
the number of parts now in it is written to `telegram_parts` under the outbox id, and every
attempt starts after them.

Why SQLite rather than the state store: which parts left is part of the message's delivery, and
the outbox row that makes the message due lives in the same database, shared by every worker and
kept across restarts. The state store is one process's memory when Redis is not configured (a
restart mid-message would resend), can lose keys to a Redis flush or eviction, and would need an
expiry longer than the outbox's retry horizon, which a 429's retry_after leaves unbounded. The
cost is one small write per part of a multi-part message (a one-part message needs no record);
the row goes when its outbox row does (ON DELETE CASCADE).

The record follows the part, so a worker dying between the two, or a timeout on a part the Bot
API did deliver, still repeats that one part: the outbox's at-least-once, narrowed from the whole
message to one part. An attempt resumes only the same split (a digest of the parts is kept); a
text that splits differently now (a new release) starts again from its first part rather than
skip or repeat text at random.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass

from channels.telegram import OutgoingMessage
from gateway.store import Database
from gateway.telegram.client import BotClient

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Progress:
    """How far a multi-part message got: `sent` parts in the chat, the last of them `last_message_id`."""

    sent: int = 0
    last_message_id: int | None = None


def split_digest(parts: Sequence[OutgoingMessage]) -> str:
    """A short fingerprint of how a text was split (the part texts, in order)."""
    return hashlib.sha256("\x00".join(part.text for part in parts).encode()).hexdigest()[:16]


UNKNOWN_MESSAGE = 0
"""`last_message_id` of a part whose sendMessage answer could not be read (Bot API message ids start at 1)."""


class Parts:
    """Sends the parts of outbox messages in order, after those an earlier attempt delivered."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def deliver(self, client: BotClient, outbox_id: int, chat_id: int, parts: Sequence[OutgoingMessage]) -> int | None:
        """Send the parts not yet in the chat; the Bot API message id of the last part (None when the
        Bot API's answer did not say). A Bot API error propagates with the parts before it recorded.
        429s are not waited out (the outbox reschedules the message, see gateway.telegram.sender)."""
        if len(parts) == 1:
            return await client.send(chat_id, parts[0], wait_limit=0.0)
        split = split_digest(parts)
        done = await self.progress(outbox_id, split)
        if done.sent:
            log.info("outbox %d: %d of %d parts already in the chat; sending the rest", outbox_id, done.sent, len(parts))
        last = done.last_message_id
        for index in range(done.sent, len(parts)):
            last = await client.send(chat_id, parts[index], wait_limit=0.0)
            await self._record(outbox_id, split, index + 1, last or UNKNOWN_MESSAGE)
        return last

    async def progress(self, outbox_id: int, split: str) -> Progress:
        """What earlier attempts at this message delivered, if they split it the same way."""
        row = await self.db.fetchone("SELECT split, sent, last_message_id FROM telegram_parts WHERE outbox_id = ?", (outbox_id,))
        if row is None:
            return Progress()
        if row["split"] != split:
            log.warning("outbox %d: the text splits differently from when %d part(s) were sent; sending it from the start",
                        outbox_id, row["sent"])
            return Progress()
        return Progress(row["sent"], row["last_message_id"] or None)

    async def _record(self, outbox_id: int, split: str, sent: int, message_id: int) -> None:
        await self.db.execute(
            "INSERT INTO telegram_parts (outbox_id, split, sent, last_message_id, updated_at) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT (outbox_id) DO UPDATE SET split = excluded.split, sent = excluded.sent,"
            " last_message_id = excluded.last_message_id, updated_at = excluded.updated_at",
            (outbox_id, split, sent, message_id, time.time()),
        )
