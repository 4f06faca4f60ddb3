"""The durable outbox: messages written first, then sent with retries (`queue`), optionally carried
on a Redis Stream (`stream`), and seen and retried by operators (`admin`)."""

from gateway.outbox.queue import (
    Dispatcher,
    LogSender,
    Outbox,
    OutboxMessage,
    OutboxSettings,
    Sender,
    SendResult,
    Suppressed,
    message_from_row,
)

__all__ = [
    "Dispatcher", "LogSender", "Outbox", "OutboxMessage", "OutboxSettings", "Sender", "SendResult", "Suppressed", "message_from_row",
]
