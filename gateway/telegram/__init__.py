"""Telegram-style bots (Telegram, Bale): bots from settings, webhook processing, phone verification,
"my requests", and the paced outbox sender.

    from gateway.telegram.setup import open_telegram
"""

import os

# python-telegram-bot 22 warns on every RetryAfter unless time periods are opted in as timedeltas
# (its documented switch); our code reads both forms (gateway.telegram.client.retry_seconds).
os.environ.setdefault("PTB_TIMEDELTA", "true")
