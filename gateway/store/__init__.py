"""Durable records on SQLite (aiosqlite): requests, events, the outbox, tokens, payments."""

from gateway.store.database import Database

__all__ = ["Database"]
